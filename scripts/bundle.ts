// `pnpm build` for an app: bundles src/main.ts and every workspace package it
// imports into dist/main.js, which `pnpm start` runs with plain node: without
// tsx's loader (a thread of its own, in every process and worker thread) an app
// takes about 50 MB less memory. Third-party packages are bundled too (pnpm's
// strict layout would not let an app resolve its packages' dependencies at run
// time), except piscina, which starts its threads from its own files: it is a
// direct dependency of the app that uses it, so Node finds it from dist/. More
// entries (a worker thread's file) land next to main.js under their own names:
// dist/<name>.js. The source map is written beside it; run with
// NODE_OPTIONS=--enable-source-maps to have stack traces point at the sources
// (it costs about 60 MB of memory, hence not the default).
import { mkdirSync, renameSync, writeFileSync } from "node:fs";
import path from "node:path";
import { build } from "esbuild";

const entries = process.argv.slice(2);
const { outputFiles } = await build({
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
  write: false,
  // CommonJS dependencies call require(); give the ES module bundle one.
  banner: {
    js: "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);",
  },
});
// `pnpm start` builds before it runs: each file is replaced in one rename, so a
// process starting meanwhile on this host (another worker) reads the old file
// or the new one, never half of one.
for (const file of outputFiles) {
  mkdirSync(path.dirname(file.path), { recursive: true });
  const partial = `${file.path}.${process.pid}.tmp`;
  writeFileSync(partial, file.contents);
  renameSync(partial, file.path);
}
