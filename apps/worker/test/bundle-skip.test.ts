// scripts/bundle.ts rebuilds an app only when a file that went into its bundle
// (or the bundler's own settings, or the lockfile) changed, so that a second
// `pnpm start` or scripts/start.sh does not wait for esbuild.
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, expect, it } from "vitest";

const bundleScript = path.join(import.meta.dirname, "../../../scripts/bundle.ts");
const app = mkdtempSync(path.join(tmpdir(), "salvo-bundle-"));
afterAll(() => rmSync(app, { recursive: true, force: true }));

function bundle(...entries: string[]): string {
  const run = spawnSync(
    process.execPath,
    ["--import", import.meta.resolve("tsx"), bundleScript, ...entries],
    {
      cwd: app,
      encoding: "utf8",
    },
  );
  expect(run.stderr).toBe("");
  expect(run.status).toBe(0);
  return run.stdout;
}

it("bundles, skips while no input changed, and rebuilds when one did", () => {
  mkdirSync(path.join(app, "src"));
  writeFileSync(
    path.join(app, "src/main.ts"),
    'import { greeting } from "./greeting";\nconsole.log(greeting);\n',
  );
  writeFileSync(path.join(app, "src/greeting.ts"), 'export const greeting = "first";\n');
  writeFileSync(path.join(app, "src/thread.ts"), "export default 1;\n");

  expect(bundle()).toMatch(/bundled src\/main\.ts into dist\//);
  expect(readFileSync(path.join(app, "dist/main.js"), "utf8")).toContain('"first"');
  expect(bundle()).toMatch(/bundle up to date .*not rebuilt/);

  // An imported file changes: rebuilt, with the change.
  writeFileSync(path.join(app, "src/greeting.ts"), 'export const greeting = "second";\n');
  expect(bundle()).toMatch(/bundled/);
  expect(readFileSync(path.join(app, "dist/main.js"), "utf8")).toContain('"second"');
  expect(bundle()).toMatch(/up to date/);

  // Other entries: rebuilt; an output removed: rebuilt.
  expect(bundle("src/main.ts", "src/thread.ts")).toMatch(/bundled src\/main\.ts, src\/thread\.ts/);
  expect(bundle("src/main.ts", "src/thread.ts")).toMatch(/up to date/);
  rmSync(path.join(app, "dist/thread.js"));
  expect(bundle("src/main.ts", "src/thread.ts")).toMatch(/bundled/);
  expect(readFileSync(path.join(app, "dist/thread.js"), "utf8")).toContain("thread_default");
});
