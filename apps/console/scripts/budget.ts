// Fails the build when the console's first load (index.html's entry script and
// every chunk it imports statically, before any lazy page or chart) is over
// BUDGET_BYTES of gzipped JavaScript. Reads Vite's manifest of the build.
import { readFileSync } from "node:fs";
import path from "node:path";
import { gzipSync } from "node:zlib";

export const BUDGET_BYTES = 300 * 1024;

type Manifest = Record<string, { file: string; isEntry?: boolean; imports?: string[] }>;

/** The gzipped size of each JavaScript file the first load fetches, from the build in `dist`. */
export function firstLoad(dist: string): { file: string; gzipped: number }[] {
  const manifest = JSON.parse(readFileSync(path.join(dist, ".vite/manifest.json"), "utf8")) as Manifest;
  const seen = new Set<string>();
  const visit = (key: string) => {
    if (seen.has(key)) return;
    seen.add(key);
    for (const imported of manifest[key]?.imports ?? []) visit(imported);
  };
  for (const [key, chunk] of Object.entries(manifest)) if (chunk.isEntry) visit(key);
  return [...seen].map((key) => {
    const file = manifest[key]!.file;
    return { file, gzipped: gzipSync(readFileSync(path.join(dist, file)), { level: 9 }).length };
  });
}

if (process.argv[1] === import.meta.filename) {
  const files = firstLoad(path.join(import.meta.dirname, "../dist"));
  const total = files.reduce((sum, { gzipped }) => sum + gzipped, 0);
  const kB = (bytes: number) => `${(bytes / 1024).toFixed(1)} kB`;
  for (const { file, gzipped } of files) process.stdout.write(`  ${file}: ${kB(gzipped)} gzipped\n`);
  process.stdout.write(
    `console first load: ${kB(total)} of JavaScript gzipped (budget ${kB(BUDGET_BYTES)})\n`,
  );
  if (total > BUDGET_BYTES) {
    process.stderr.write("Over budget: load the new code lazily (React.lazy) or drop a dependency.\n");
    process.exit(1);
  }
}
