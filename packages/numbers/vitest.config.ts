import { defineProject } from "vitest/config";

export default defineProject({
  test: {
    name: "numbers",
    include: ["test/**/*.test.ts"],
    // Tests start real worker threads (each loads tsx and libphonenumber).
    testTimeout: 30_000,
  },
});
