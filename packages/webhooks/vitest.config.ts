import { defineProject } from "vitest/config";

export default defineProject({
  test: {
    name: "webhooks",
    include: ["test/**/*.test.ts"],
    // Tests post to real HTTP servers on 127.0.0.1.
    testTimeout: 30_000,
    hookTimeout: 60_000,
  },
});
