import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";
import path from "node:path";
import { createTestDatabase } from "@salvo/db/testing";
import { closeRedis, countLiveWorkers, createRedis, redisKey, workersKey } from "@salvo/queue";
import { deleteRedisKeys, testRedisPrefix, testRedisUrl } from "@salvo/queue/testing";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";

const workerDir = path.join(import.meta.dirname, "..");
const prefix = testRedisPrefix();
const redis = createRedis(testRedisUrl);
let testDb: Awaited<ReturnType<typeof createTestDatabase>>;
const started: ChildProcess[] = [];

beforeAll(async () => {
  testDb = await createTestDatabase();
  // This connection fails fast instead of queueing commands: let it connect first.
  if (redis.status !== "ready") await once(redis, "ready");
});

afterEach(async () => {
  // A failed test must not leave a worker running.
  for (const child of started.splice(0)) {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill("SIGKILL");
      await exited(child);
    }
  }
  await redis.del(workersKey(prefix));
});

afterAll(async () => {
  await deleteRedisKeys(prefix);
  await closeRedis(redis);
  await testDb?.drop();
});

interface Worker {
  child: ChildProcess;
  stdout: () => string;
  stderr: () => string;
}

/** Starts the real worker process (`src/main.ts` through tsx). */
function startWorker(env: Record<string, string> = {}): Worker {
  const child = spawn(process.execPath, ["--import", "tsx", "src/main.ts"], {
    cwd: workerDir,
    env: {
      ...process.env,
      DATABASE_URL: testDb.url,
      REDIS_URL: testRedisUrl,
      REDIS_PREFIX: prefix,
      HEARTBEAT_INTERVAL_MS: "200",
      LOG_LEVEL: "info",
      ...env,
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  started.push(child);
  let stdout = "";
  let stderr = "";
  child.stdout?.on("data", (chunk: Buffer) => {
    stdout += chunk.toString();
  });
  child.stderr?.on("data", (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  return { child, stdout: () => stdout, stderr: () => stderr };
}

/** Resolves with the exit code and signal once the process has exited, or fails after `timeoutMs`. */
function exited(
  child: ChildProcess,
  timeoutMs = 15_000,
): Promise<{ code: number | null; signal: string | null }> {
  if (child.exitCode !== null || child.signalCode !== null) {
    return Promise.resolve({ code: child.exitCode, signal: child.signalCode });
  }
  return new Promise((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`process ${child.pid} still running after ${timeoutMs} ms`)),
      timeoutMs,
    );
    child.once("exit", (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal });
    });
  });
}

/** Polls until `check` holds, or fails after `timeoutMs` with what it last saw. */
async function until<T>(
  what: string,
  read: () => Promise<T>,
  check: (value: T) => boolean,
  timeoutMs = 15_000,
) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (check(value)) return value;
    if (Date.now() > deadline) {
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what} (last: ${JSON.stringify(value)})`);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

const liveWorkers = () => countLiveWorkers(redis, prefix);
const members = () => redis.zrange(workersKey(prefix), 0, -1);

/** The worker id from the worker's own "worker started" log line, once it is printed. */
function startedId(worker: Worker): Promise<string> {
  return until(
    "the worker started log line",
    async () => {
      for (const line of worker.stdout().split("\n")) {
        if (!line.startsWith("{")) continue;
        const entry = JSON.parse(line) as { msg?: string; workerId?: string };
        if (entry.msg === "worker started" && entry.workerId) return entry.workerId;
      }
      return "";
    },
    (id) => id !== "",
  );
}

describe("worker process", () => {
  it.each(["SIGTERM", "SIGINT"] as const)(
    "registers as a live worker, then leaves the set and exits 0 on %s",
    async (signal) => {
      const worker = startWorker();
      await until("one live worker", liveWorkers, (n) => n === 1);
      const id = await startedId(worker);
      expect(await members()).toEqual([id]);

      worker.child.kill(signal);
      expect(await exited(worker.child)).toEqual({ code: 0, signal: null });
      expect(await liveWorkers()).toBe(0);
      expect(await redis.zscore(workersKey(prefix), id)).toBeNull();
      expect(worker.stdout()).toContain('"msg":"worker stopped"');
    },
  );

  it("renews its heartbeat while it runs, and lapses when killed without a word", async () => {
    const worker = startWorker();
    const id = await startedId(worker);
    const firstBeat = Number(await redis.zscore(workersKey(prefix), id));
    expect(firstBeat).toBeGreaterThan(0);
    await until(
      "a renewed heartbeat",
      async () => Number(await redis.zscore(workersKey(prefix), id)),
      (score) => score > firstBeat,
    );

    worker.child.kill("SIGKILL");
    expect(await exited(worker.child)).toEqual({ code: null, signal: "SIGKILL" });
    await until("the dead worker's heartbeat to lapse", liveWorkers, (n) => n === 0);
    // Nobody removed it: it simply stopped counting.
    expect(await members()).toEqual([id]);
  });

  it("counts two workers side by side, and stopping one leaves the other", async () => {
    const first = startWorker();
    const second = startWorker();
    await until("two live workers", liveWorkers, (n) => n === 2);
    const [firstId, secondId] = await Promise.all([startedId(first), startedId(second)]);
    expect(firstId).not.toBe(secondId);
    expect((await members()).sort()).toEqual([firstId, secondId].sort());

    first.child.kill("SIGTERM");
    expect(await exited(first.child)).toEqual({ code: 0, signal: null });
    expect(await members()).toEqual([secondId]);
    expect(await liveWorkers()).toBe(1);

    second.child.kill("SIGTERM");
    expect(await exited(second.child)).toEqual({ code: 0, signal: null });
    expect(await liveWorkers()).toBe(0);
  });

  it("refuses an invalid environment, naming every bad variable, and never registers", async () => {
    const worker = startWorker({
      REDIS_URL: "not-a-url",
      HEARTBEAT_INTERVAL_MS: "abc",
      DATABASE_POOL_SIZE: "0",
      REDIS_PREFIX: "two words",
    });
    expect(await exited(worker.child)).toEqual({ code: 1, signal: null });
    const stderr = worker.stderr();
    expect(stderr).toMatch(/^Invalid configuration:/);
    for (const name of ["REDIS_URL", "HEARTBEAT_INTERVAL_MS", "DATABASE_POOL_SIZE", "REDIS_PREFIX"]) {
      expect(stderr).toMatch(new RegExp(`^  ${name}: `, "m"));
    }
    expect(worker.stdout()).toBe("");
    expect(await redis.exists(workersKey(prefix))).toBe(0);
  });

  it("refuses to start on a prefix another installation's live processes use: takes no job, never registers", async () => {
    const installation = redisKey(prefix, "installation");
    await redis.set(installation, "database elsewhere, installation 0", "PX", 60_000);
    try {
      const worker = startWorker();
      expect(await exited(worker.child)).toEqual({ code: 1, signal: null });
      expect(worker.stdout()).toContain("worker failed to start");
      expect(worker.stdout()).toContain(
        "is in use by another Salvo installation (database elsewhere, installation 0)",
      );
      expect(worker.stdout()).not.toContain('"worker started"');
      expect(await redis.exists(workersKey(prefix))).toBe(0);
    } finally {
      await redis.del(installation);
    }
  });
});
