// The quick start as a user meets it: scripts/start.sh on a database and Redis
// prefix of its own, then every ```sh block of the README run with bash against
// it, then Ctrl-C; then a second start, which skips what is up to date, and a
// worker that dies on its own.
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { createTestDatabase } from "@salvo/db/testing";
import { freePort } from "@salvo/providers/testing";
import { deleteRedisKeys, testRedisPrefix } from "@salvo/queue/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const root = path.join(import.meta.dirname, "../../..");

let testDb: Awaited<ReturnType<typeof createTestDatabase>>;
const prefix = testRedisPrefix();
let port: number;
const pids = new Set<number>();

interface Start {
  child: ChildProcess;
  output(): string;
  exit: Promise<number | null>;
}

/** Runs scripts/start.sh as a user would, stdout and stderr in one stream. */
function start(env: Record<string, string> = {}): Start {
  const child = spawn("bash", ["scripts/start.sh"], {
    cwd: root,
    env: {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      DATABASE_URL: testDb.url,
      PORT: String(port),
      REDIS_PREFIX: prefix,
      SIMULATOR_DLR_DELAY_MS: "20",
      ...env,
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  const collect = (chunk: Buffer) => {
    output += chunk.toString();
    // The API's and the worker's pids, to end them should the test fail half-way.
    for (const match of output.matchAll(/"pid":(\d+)|\(salvo-\w+\/(\d+)\)/g)) {
      pids.add(Number(match[1] ?? match[2]));
    }
  };
  child.stdout?.on("data", collect);
  child.stderr?.on("data", collect);
  const exit = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
  return { child, output: () => output, exit };
}

/** Waits until start.sh has printed `text`; fails at once if it exits first. */
async function printed(run: Start, text: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let exited = false;
  void run.exit.then(() => {
    exited = true;
  });
  while (!run.output().includes(text)) {
    if (exited) throw new Error(`start.sh exited before printing "${text}":\n${run.output()}`);
    if (Date.now() > deadline) throw new Error(`start.sh did not print "${text}":\n${run.output()}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** The README's runnable examples: its ```sh blocks (others are ```text, ```ini…). */
function readmeBlocks(): string[] {
  const readme = readFileSync(path.join(root, "README.md"), "utf8");
  return [...readme.matchAll(/^```sh\n([\s\S]*?)^```$/gm)].map((match) => match[1] ?? "");
}

let first: Start;
let token = "";

beforeAll(async () => {
  testDb = await createTestDatabase();
  port = await freePort();
  first = start();
  // A first start may install, generate and build: minutes on a busy machine.
  // The box's last line: the token line before it has arrived too (each is its own write).
  await printed(first, "--watch", 240_000);
  token = /TOKEN=(tok_\S+)/.exec(first.output())?.[1] ?? "";
}, 300_000);

afterAll(async () => {
  for (const pid of pids) {
    try {
      process.kill(pid, "SIGKILL");
    } catch {
      // gone already, as it should be
    }
  }
  await testDb?.drop();
  await deleteRedisKeys(prefix);
});

describe("scripts/start.sh", () => {
  it("shows the demo account's token once the API and the worker are ready, after their logs", async () => {
    const output = first.output();
    const at = (text: string) => {
      const index = output.indexOf(text);
      expect(index, `"${text}" in:\n${output}`).toBeGreaterThanOrEqual(0);
      return index;
    };
    const box = at("Its API token, shown only this once:");
    expect(at('"msg":"api listening"')).toBeLessThan(box);
    expect(at('"msg":"worker started"')).toBeLessThan(box);
    expect(at("Salvo is ready")).toBeLessThan(box);
    expect(token).toMatch(/^tok_\w+\.[\w-]+$/);

    const demo = (await testDb.store.accounts.list()).find((account) => account.name === "demo");
    expect(demo?.credits).toBe(100_000);
    // And an operator's token, in the same box; stored hashed, as account tokens.
    expect(at("An admin token (operators' routes, /v1/admin/...), only this once:")).toBeGreaterThan(box);
    const adminToken = /\b(adm_\w+\.[\w-]+)/.exec(output)?.[1];
    expect(adminToken).toBeDefined();
    const [stored] = await testDb.store.adminTokens.list();
    expect(stored?.id).toBe(adminToken?.split(".")[0]);
  });

  it("runs every ```sh example of the README, as written, with the demo account's token", () => {
    const blocks = readmeBlocks();
    expect(blocks.length).toBeGreaterThanOrEqual(2);
    // The examples run from a checkout's root (./scripts/salvo), in a folder of their own.
    const cwd = mkdtempSync(path.join(tmpdir(), "salvo-readme-"));
    symlinkSync(path.join(root, "scripts"), path.join(cwd, "scripts"));
    try {
      for (const block of blocks) {
        // Only the address differs from the README's: this API listens on a port of its own.
        const script = block.replaceAll("http://localhost:3000", `http://127.0.0.1:${port}`);
        const run = spawnSync(
          "bash",
          [
            "-c",
            // An HTTP error fails the block, as a failing command does.
            `set -euo pipefail\ncurl() { command curl --fail-with-body "$@"; }\n${script}`,
          ],
          {
            cwd,
            encoding: "utf8",
            timeout: 120_000,
            env: {
              PATH: process.env.PATH,
              HOME: process.env.HOME,
              TOKEN: token,
              DATABASE_URL: testDb.url,
              SALVO_URL: `http://127.0.0.1:${port}`,
            },
          },
        );
        expect(run.status, `${block}\nprinted:\n${run.stdout}\n${run.stderr}`).toBe(0);
      }
    } finally {
      rmSync(cwd, { recursive: true, force: true });
    }
  }, 240_000);

  it("stops both processes on Ctrl-C (SIGINT), says so and exits 0", async () => {
    first.child.kill("SIGINT");
    const code = await first.exit;
    const output = first.output();
    expect(code, output).toBe(0);
    expect(output).toContain('"msg":"api stopped"');
    expect(output).toContain('"msg":"worker stopped"');
    expect(output.trimEnd().endsWith("Salvo stopped.")).toBe(true);
    expect(output).not.toContain("ELIFECYCLE");
    expect(output).not.toMatch(/Command failed/);
  }, 60_000);

  it("starts again skipping what is up to date, and stops with exit 1 when the worker dies", async () => {
    // Readable logs, as on a terminal.
    const second = start({ LOG_FORMAT: "pretty" });
    await printed(second, "Salvo is ready", 120_000);
    const output = second.output();
    for (const skipped of [
      "Skipped pnpm install",
      "Database up to date",
      "apps/api: bundle up to date",
      "apps/worker: bundle up to date",
      "The demo account exists already",
    ]) {
      expect(output).toContain(skipped);
    }
    expect(output).not.toContain("shown only this once");
    expect(output).toMatch(/INFO \(salvo-api\/\d+\): api listening/);
    expect(output).toMatch(/INFO \(salvo-worker\/\d+\): worker started/);
    expect(output).not.toContain('{"level"');

    const worker = Number(/\(salvo-worker\/(\d+)\)/.exec(output)?.[1]);
    process.kill(worker, "SIGKILL");
    const code = await second.exit;
    expect(code, second.output()).toBe(1);
    expect(second.output()).toContain("the worker stopped on its own (exit code 137");
    expect(second.output()).toMatch(/INFO \(salvo-api\/\d+\): api stopped/);
  }, 180_000);
});
