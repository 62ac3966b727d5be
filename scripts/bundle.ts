// `pnpm build` for an app: bundles src/main.ts and every workspace package it
// imports into dist/main.js, so production can run `node dist/main.js` without
// tsx. Third-party packages are bundled too (pnpm's strict layout would not let
// an app resolve its packages' dependencies at run time), except piscina, which
// starts its threads from its own files: it is a direct dependency of the app
// that uses it, so Node finds it from dist/. More entries (a worker thread's
// file) land next to main.js under their own names: dist/<name>.js.
import { build } from "esbuild";

const entries = process.argv.slice(2);
await build({
  entryPoints: entries.length > 0 ? entries : ["src/main.ts"],
  outdir: "dist",
  entryNames: "[name]",
  external: ["piscina"],
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
