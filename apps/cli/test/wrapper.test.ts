// ./scripts/salvo: the CLI from any directory, whatever pnpm is on the PATH (or
// none), with its arguments and exit code passed through.
import { spawnSync } from "node:child_process";
import { chmodSync, copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { createTestDatabase } from "@salvo/db/testing";
import { afterAll, beforeAll, expect, it } from "vitest";

const wrapper = path.join(import.meta.dirname, "../../../scripts/salvo");
const elsewhere = mkdtempSync(path.join(tmpdir(), "salvo-wrapper-"));
let testDb: Awaited<ReturnType<typeof createTestDatabase>>;

beforeAll(async () => {
  testDb = await createTestDatabase();
  // A pnpm of another version that cannot switch to the pinned one: it fails
  // whatever it is asked, as on the machines where `pnpm salvo` did.
  mkdirSync(path.join(elsewhere, "bin"));
  writeFileSync(
    path.join(elsewhere, "bin/pnpm"),
    '#!/bin/sh\n[ "$1" = --version ] && { echo 9.0.0; exit 0; }\necho "ERR_PNPM_BAD_PM_VERSION" >&2\nexit 1\n',
  );
  chmodSync(path.join(elsewhere, "bin/pnpm"), 0o755);
});

afterAll(async () => {
  await testDb?.drop();
  rmSync(elsewhere, { recursive: true, force: true });
});

function run(command: string, args: string[]) {
  return spawnSync(command, args, {
    cwd: elsewhere,
    encoding: "utf8",
    timeout: 30_000,
    env: {
      PATH: `${path.join(elsewhere, "bin")}:${process.env.PATH}`,
      HOME: process.env.HOME,
      DATABASE_URL: testDb.url,
    },
  });
}

it("runs the CLI from another directory with a broken pnpm first on the PATH", () => {
  expect(run("pnpm", ["--version"]).stdout.trim()).toBe("9.0.0");

  const created = run(wrapper, ["accounts", "create", "--name", "Elsewhere", "--credits", "7", "--json"]);
  expect(created.stderr).toBe("");
  expect(created.status).toBe(0);
  const { account_id: id } = JSON.parse(created.stdout);

  const shown = run(wrapper, ["accounts", "show", id, "--json"]);
  expect(shown.status).toBe(0);
  expect(JSON.parse(shown.stdout)).toMatchObject({ id, name: "Elsewhere", credits: 7 });
});

it("passes the CLI's exit code and errors through", () => {
  const missing = run(wrapper, ["accounts", "show", "acc_nope"]);
  expect(missing.status).toBe(1);
  expect(missing.stderr).toMatch(/^error: /);
  expect(run(wrapper, ["no-such-command"]).status).not.toBe(0);
});

it("says what to do when the dependencies are not installed yet", () => {
  // A checkout with nothing installed: the wrapper alone in its scripts/.
  const bare = path.join(elsewhere, "bare");
  mkdirSync(path.join(bare, "scripts"), { recursive: true });
  copyFileSync(wrapper, path.join(bare, "scripts/salvo"));
  chmodSync(path.join(bare, "scripts/salvo"), 0o755);

  const bareRun = run(path.join(bare, "scripts/salvo"), ["accounts", "list"]);
  expect(bareRun.status).toBe(1);
  expect(bareRun.stdout).toBe("");
  expect(bareRun.stderr).toContain(`Salvo's dependencies are not installed in ${bare} yet`);
  expect(bareRun.stderr).toContain(`Run ${bare}/scripts/start.sh once`);
});
