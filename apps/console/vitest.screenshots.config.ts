import { defineConfig } from "vitest/config";

// `pnpm screenshots`: writes docs/screenshots/*.png from the real stack; not a test of the suite.
export default defineConfig({
  test: { include: ["test/screenshots.ts"], testTimeout: 180_000, hookTimeout: 120_000 },
});
