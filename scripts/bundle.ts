// `pnpm build` for an app: bundles src/main.ts and every workspace package it
// imports into dist/main.js, which `pnpm start` runs with plain node: without
// tsx's loader (a thread of its own, in every process and worker thread) an app
// takes about 50 MB less memory. Third-party packages are bundled too (pnpm's
// strict layout would not let an app resolve its packages' dependencies at run
// time), except piscina, which starts its threads from its own files: an app
// that bundles @salvo/numbers lists it as its own dependency (used only at run
// time, hence knip.json), so Node finds it from dist/. More entries (a worker
// thread's file, ../../packages/numbers/src/thread.ts) land next to main.js
// under their own names: dist/<name>.js. The source map is written beside it; run with
// NODE_OPTIONS=--enable-source-maps to have stack traces point at the sources
// (it costs about 60 MB of memory, hence not the default).
//
// A build is skipped when nothing it read has changed: dist/.inputs.json keeps a
// hash of every file that went into the bundle (esbuild's metafile), of this
// script and of the lockfile, so a second `pnpm start` or scripts/start.sh does
// not wait for esbuild.
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import path from "node:path";
import { build } from "esbuild";

const MANIFEST = "dist/.inputs.json";

interface Manifest {
  recipe: string;
  entries: string[];
  outputs: string[];
  inputs: Record<string, string>;
}

function hashFile(file: string): string | undefined {
  try {
    return createHash("sha256").update(readFileSync(file)).digest("base64url");
  } catch {
    return undefined;
  }
}

/** What else decides the output: this script (esbuild's options) and the installed versions. */
const recipe = [import.meta.filename, path.join(import.meta.dirname, "../pnpm-lock.yaml")]
  .map(hashFile)
  .join(",");

function upToDate(entries: string[]): boolean {
  let manifest: Manifest;
  try {
    manifest = JSON.parse(readFileSync(MANIFEST, "utf8"));
  } catch {
    return false;
  }
  return (
    manifest.recipe === recipe &&
    JSON.stringify(manifest.entries) === JSON.stringify(entries) &&
    manifest.outputs.every((file) => existsSync(file)) &&
    Object.entries(manifest.inputs).every(([file, hash]) => hashFile(file) === hash)
  );
}

/** Writes a file in one rename. */
function replace(file: string, contents: Uint8Array | string) {
  mkdirSync(path.dirname(file), { recursive: true });
  const partial = `${file}.${process.pid}.tmp`;
  writeFileSync(partial, contents);
  renameSync(partial, file);
}

const args = process.argv.slice(2);
const entries = args.length > 0 ? args : ["src/main.ts"];
const app = path.relative(path.join(import.meta.dirname, ".."), process.cwd());
if (upToDate(entries)) {
  process.stdout.write(`${app}: bundle up to date (no input changed since it was built), not rebuilt\n`);
  process.exit(0);
}

const { outputFiles, metafile } = await build({
  entryPoints: entries,
  outdir: "dist",
  entryNames: "[name]",
  // Bull Board (the API's /admin/queues) loads its views, templates and UI files
  // from its own packages at run time: it stays in node_modules.
  external: ["piscina", "@bull-board/api", "@bull-board/express", "@bull-board/ui"],
  bundle: true,
  platform: "node",
  target: "node20",
  format: "esm",
  sourcemap: true,
  logLevel: "warning",
  write: false,
  metafile: true,
  // CommonJS dependencies call require(); give the ES module bundle one.
  banner: {
    js: "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);",
  },
});
// `pnpm start` builds before it runs: each file is replaced in one rename, so a
// process starting meanwhile on this host (another worker) reads the old file
// or the new one, never half of one. The manifest goes last: a build that
// stops half-way is redone next time.
for (const file of outputFiles) replace(file.path, file.contents);
const manifest: Manifest = {
  recipe,
  entries,
  outputs: outputFiles.map((file) => path.relative(process.cwd(), file.path)),
  inputs: Object.fromEntries(Object.keys(metafile.inputs).map((file) => [file, hashFile(file) ?? ""])),
};
replace(MANIFEST, JSON.stringify(manifest));
process.stdout.write(`${app}: bundled ${entries.join(", ")} into dist/\n`);
