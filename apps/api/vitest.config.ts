import { defineProject } from "vitest/config";

export default defineProject({
  test: {
    name: "api",
    include: ["test/**/*.test.ts"],
    // Fails a test during which an answer did not match the OpenAPI document.
    setupFiles: ["test/setup.ts"],
    // Tests talk to real Redis and PostgreSQL and start real processes.
    testTimeout: 30_000,
    hookTimeout: 60_000,
  },
});
