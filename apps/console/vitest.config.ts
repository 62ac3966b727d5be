import { defineProject } from "vitest/config";

export default defineProject({
  test: {
    name: "console",
    include: ["test/**/*.test.ts"],
    // A real browser against the real stack (API, worker, PostgreSQL, Redis).
    testTimeout: 120_000,
    hookTimeout: 120_000,
  },
});
