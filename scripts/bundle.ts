// `pnpm build` for an app: bundles src/main.ts and every workspace package it
// imports into dist/main.js, so production can run `node dist/main.js` without
// tsx. Third-party packages are bundled too (pnpm's strict layout would not let
// an app resolve its packages' dependencies at run time).
import { build } from "esbuild";

const entry = process.argv[2] ?? "src/main.ts";
await build({
  entryPoints: [entry],
  outfile: "dist/main.js",
  bundle: true,
  platform: "node",
  target: "node20",
  format: "esm",
  sourcemap: true,
  logLevel: "warning",
  // CommonJS dependencies call require(); give the ES module bundle one.
  banner: {
    js: "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);",
  },
});
