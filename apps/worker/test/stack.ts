// A whole Salvo on real PostgreSQL, Redis and HTTP for one test file: the API
// (through @salvo/api/testing), in-process workers and, for crash tests, worker
// processes; the simulator writes a ledger of every hand-off.
import { type ChildProcess, execFile, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { startTestApi, type TestApi } from "@salvo/api/testing";
import { createLogger } from "@salvo/runtime";
import { parseWorkerEnv, type WorkerEnv } from "../src/env";
import { type RunningWorker, startWorker } from "../src/worker";

export interface LedgerLine {
  message_id: string;
  to: string;
  from: string;
  body: string;
  at: string;
}

export interface Stack extends TestApi {
  workerEnv: WorkerEnv;
  ledgerPath: string;
  /** Every hand-off the simulator saw, in order. */
  ledger(): LedgerLine[];
  /** The workers running in this process (each with its metricsUrl when WORKER_METRICS_PORT is set). */
  workers: RunningWorker[];
  /** One more worker in this process. */
  addWorker(): Promise<void>;
  /** A worker as its own process (to kill -9 it): `src/main.ts` through tsx, or `main` (a bundle) with node. */
  spawnWorker(extraEnv?: Record<string, string>, main?: string): ChildProcess;
  /** Log lines of the worker processes, parsed. */
  workerLogs: Record<string, unknown>[];
  stopAll(): Promise<void>;
}

const workerMain = path.join(import.meta.dirname, "../src/main.ts");
const cliMain = path.join(import.meta.dirname, "../../cli/bin/salvo.mjs");

/** Runs `salvo <args>` against the stack's API as the account of `token` (stdout a pipe, not a terminal); what it printed. */
export function runCli(stack: Stack, token: string, args: string[], timeoutMs = 60_000): Promise<string> {
  return new Promise<string>((resolve, reject) =>
    execFile(
      process.execPath,
      [cliMain, ...args],
      { env: { ...process.env, SALVO_URL: stack.api.url, SALVO_TOKEN: token }, timeout: timeoutMs },
      (error, stdout, stderr) => (error ? reject(new Error(`${error.message}\n${stderr}`)) : resolve(stdout)),
    ),
  );
}

type Falsy = false | null | undefined;

/** A batch's message rows counted by status (statuses without a row are absent). */
export async function messagesByStatus(stack: Stack, batchId: string): Promise<Record<string, number>> {
  const rows = await stack.query<{ status: string; n: number }>(
    "SELECT status, count(*)::int AS n FROM messages WHERE batch_id = $1 GROUP BY status",
    [batchId],
  );
  return Object.fromEntries(rows.map((row) => [row.status, row.n]));
}

/**
 * A webhook of the account's for `events`, written straight to the store (its
 * URL goes nowhere: these tests read the events written, not their delivery).
 */
export async function subscribe(stack: Stack, accountId: string, name: string, events: string[]) {
  await stack.store.webhooks.create({
    id: `whk_${name}_${accountId}`,
    accountId,
    url: `http://127.0.0.1:9/${name}`,
    events,
    secret: "whsec_x",
  });
}

/** How many message rows a batch has. */
export async function countMessages(stack: Stack, batchId: string): Promise<number> {
  const [row] = await stack.query<{ n: number }>(
    "SELECT count(*)::int AS n FROM messages WHERE batch_id = $1",
    [batchId],
  );
  return row?.n ?? 0;
}

/** How many received messages are stored, every account's and unassigned ones. */
export async function countReplies(stack: Stack): Promise<number> {
  const [row] = await stack.query<{ n: number }>("SELECT count(*)::int AS n FROM replies");
  return row?.n ?? 0;
}

/** Polls `check` until it returns something truthy, and returns that; throws after `timeoutMs`. */
export async function waitFor<T>(
  what: string,
  check: () => Promise<T | Falsy> | T | Falsy,
  timeoutMs = 20_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

export async function startStack(
  options: { workers?: number; api?: Record<string, string>; worker?: Record<string, string> } = {},
): Promise<Stack> {
  const api = await startTestApi(options.api);
  const ledgerPath = path.join(tmpdir(), `salvo-ledger-${randomBytes(6).toString("hex")}.jsonl`);
  const rawWorkerEnv: Record<string, string> = {
    DATABASE_URL: api.env.DATABASE_URL,
    REDIS_URL: api.env.REDIS_URL,
    REDIS_PREFIX: api.env.REDIS_PREFIX,
    SIMULATOR_LEDGER: ledgerPath,
    SIMULATOR_DLR_DELAY_MS: "20",
    RECONCILE_INTERVAL_MS: "1000",
    HEARTBEAT_INTERVAL_MS: "500",
    SHUTDOWN_TIMEOUT_MS: "5000",
    LOG_LEVEL: "warn",
    WEBHOOK_ALLOW_PRIVATE_NETWORKS: "true",
    ...options.worker,
  };
  const workerEnv = parseWorkerEnv(rawWorkerEnv);
  const logger = createLogger("salvo-worker", workerEnv.LOG_LEVEL);
  const running: RunningWorker[] = [];
  const children: ChildProcess[] = [];
  const workerLogs: Record<string, unknown>[] = [];
  const addWorker = async () => {
    running.push(await startWorker(workerEnv, logger));
  };
  for (let i = 0; i < (options.workers ?? 1); i++) await addWorker();

  return {
    ...api,
    workerEnv,
    ledgerPath,
    ledger() {
      let text = "";
      try {
        text = readFileSync(ledgerPath, "utf8");
      } catch {
        return [];
      }
      return text
        .split("\n")
        .filter(Boolean)
        .map((line) => JSON.parse(line) as LedgerLine);
    },
    workers: running,
    addWorker,
    workerLogs,
    spawnWorker(extraEnv = {}, main = workerMain) {
      const args = main.endsWith(".ts") ? ["--import", "tsx", main] : [main];
      const child = spawn(process.execPath, args, {
        cwd: path.dirname(workerMain),
        env: { PATH: process.env.PATH, ...rawWorkerEnv, ...extraEnv },
        stdio: ["ignore", "pipe", "inherit"],
      });
      let pending = "";
      child.stdout?.on("data", (chunk: Buffer) => {
        const lines = (pending + chunk.toString()).split("\n");
        pending = lines.pop() ?? "";
        for (const line of lines) if (line.startsWith("{")) workerLogs.push(JSON.parse(line));
      });
      children.push(child);
      return child;
    },
    async stopAll() {
      for (const child of children) if (child.exitCode === null) child.kill("SIGKILL");
      await Promise.all(running.map((worker) => worker.close()));
      await api.stop();
    },
  };
}
