import { defineProject } from "vitest/config";

export default defineProject({
  test: {
    name: "providers",
    include: ["src/**/*.test.ts", "test/**/*.test.ts"],
    // Tests talk to real Redis and PostgreSQL and start real processes.
    testTimeout: 30_000,
    hookTimeout: 60_000,
  },
});
