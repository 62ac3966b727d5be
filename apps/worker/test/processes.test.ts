// The pipeline across several worker processes: limits and anti-flood shared
// through Redis, and a worker killed with SIGKILL in the middle of a batch.
import type { ChildProcess } from "node:child_process";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { countMessages, messagesByStatus, type Stack, startStack } from "./stack";

let stack: Stack | undefined;
afterEach(async () => {
  await stack?.stopAll();
  stack = undefined;
});
afterAll(async () => {
  await stack?.stopAll();
});

function numbers(count: number, base: number): string[] {
  return Array.from({ length: count }, (_, i) => `+336${String(base + i).padStart(8, "0")}`);
}

async function waitForLedger(s: Stack, atLeast: number, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (s.ledger().length < atLeast) {
    if (Date.now() > deadline) throw new Error(`ledger still below ${atLeast} lines`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/**
 * SIGKILLs `victim` at a moment it holds a group in flight (marked, not yet
 * recorded), so that the kill does leave one for its successor to settle. The
 * worker is frozen first and its state read once what it had already sent to
 * PostgreSQL has landed; without a group in flight, it is let go a moment and
 * caught again.
 */
async function killWithGroupInFlight(s: Stack, victim: ChildProcess, batchId: string): Promise<void> {
  for (let attempt = 0; attempt < 100; attempt++) {
    victim.kill("SIGSTOP");
    await new Promise((resolve) => setTimeout(resolve, 200));
    const [row] = await s.query<{ n: number }>(
      "SELECT count(*)::int AS n FROM batch_chunks WHERE batch_id = $1 AND cardinality(in_flight) > 0",
      [batchId],
    );
    if ((row?.n ?? 0) > 0) {
      victim.kill("SIGKILL");
      return;
    }
    victim.kill("SIGCONT");
    await new Promise((resolve) => setTimeout(resolve, 10 + attempt));
  }
  throw new Error("never caught the worker with a group in flight");
}

function expectEachHandedOffOnce(s: Stack) {
  const ids = s.ledger().map((line) => line.message_id);
  const repeated = ids.filter((id, i) => ids.indexOf(id) !== i);
  expect(repeated).toEqual([]);
  return new Set(ids);
}

describe("several worker processes", () => {
  it("share anti-flood: a number gets at most its hourly quota across every batch and process", async () => {
    stack = await startStack({ workers: 0 });
    const workers = [stack.spawnWorker(), stack.spawnWorker()];
    const { client, accountId } = await stack.newAccount({ credits: 10_000, apiRateLimit: 1_000 });
    await stack.store.accounts.update(accountId, { floodMaxPerHour: 3 });
    const busy = "+33699999901";
    const ids = await Promise.all(
      Array.from({ length: 8 }, async (_, i) => {
        const { body } = await client.batches.create({
          from: "ACME",
          body: `campaign ${i}`,
          recipients: [busy, ...numbers(30, 10_000 + i * 100)],
        });
        return body.data.batch_id;
      }),
    );
    const done = await Promise.all(ids.map((id) => client.batches.wait(id, { timeoutMs: 60_000 })));
    expect(done.reduce((sum, b) => sum + b.attributes.flooded, 0)).toBe(5);
    expect(done.reduce((sum, b) => sum + b.attributes.sent, 0)).toBe(8 * 30 + 3);
    expect(stack.ledger().filter((line) => line.to === busy)).toHaveLength(3);
    expectEachHandedOffOnce(stack);
    for (const worker of workers) worker.kill("SIGTERM");
  });

  it("share the provider's rate limit: no one-second window goes 5% over it", async () => {
    const limit = 200;
    stack = await startStack({ workers: 0, worker: { PROVIDER_MAX_MPS: String(limit) } });
    for (let i = 0; i < 3; i++) stack.spawnWorker();
    const { client } = await stack.newAccount({ credits: 10_000, apiRateLimit: 1_000 });
    // Several batches, so all three processes hand off at once.
    const ids = await Promise.all(
      [0, 1, 2, 3].map(async (i) => {
        const { body } = await client.batches.create({
          from: "ACME",
          body: "paced",
          recipients: numbers(250, 20_000 + i * 1_000),
        });
        return body.data.batch_id;
      }),
    );
    await Promise.all(ids.map((id) => client.batches.wait(id, { timeoutMs: 60_000 })));
    const times = stack
      .ledger()
      .map((line) => Date.parse(line.at))
      .sort((a, b) => a - b);
    expect(times).toHaveLength(1_000);
    let worst = 0;
    for (let start = times[0] as number; start <= (times.at(-1) as number); start += 50) {
      const inWindow = times.filter((t) => t >= start && t < start + 1_000).length;
      worst = Math.max(worst, inWindow);
    }
    expect(worst).toBeLessThanOrEqual(limit * 1.05);
    expect(worst).toBeGreaterThan(limit * 0.5);
  });

  it("hold an account's own sending limit without slowing other accounts", async () => {
    stack = await startStack({ workers: 0 });
    stack.spawnWorker();
    stack.spawnWorker();
    const slow = await stack.newAccount({ credits: 10_000, apiRateLimit: 1_000 });
    const fast = await stack.newAccount({ credits: 10_000, apiRateLimit: 1_000 });
    await stack.store.accounts.update(slow.accountId, { sendRateLimit: 50 });
    const slowBatches = await Promise.all(
      [0, 1].map(async (i) => {
        const { body } = await slow.client.batches.create({
          from: "SLOW",
          body: "paced",
          recipients: numbers(100, 30_000 + i * 1_000),
        });
        return body.data.batch_id;
      }),
    );
    const { body: fastBatch } = await fast.client.batches.create({
      from: "FAST",
      body: "free",
      recipients: numbers(300, 35_000),
    });
    await fast.client.batches.wait(fastBatch.data.batch_id, { timeoutMs: 30_000 });
    // The unlimited account is done while the limited one is still sending.
    const slowNow = await Promise.all(slowBatches.map((id) => slow.client.batches.get(id)));
    expect(slowNow.some((answer) => answer.body.data.attributes.status !== "completed")).toBe(true);
    await Promise.all(slowBatches.map((id) => slow.client.batches.wait(id, { timeoutMs: 60_000 })));
    const times = stack
      .ledger()
      .filter((line) => line.from === "SLOW")
      .map((line) => Date.parse(line.at))
      .sort((a, b) => a - b);
    expect(times).toHaveLength(200);
    for (let start = times[0] as number; start <= (times.at(-1) as number); start += 50) {
      expect(times.filter((t) => t >= start && t < start + 1_000).length).toBeLessThanOrEqual(50 * 1.05);
    }
  });

  it("finish a batch when a worker is killed -9 mid-hand-off, handing nothing off twice", async () => {
    stack = await startStack({ workers: 0 });
    // A slow provider and small groups, so the kill lands in the middle of hand-offs.
    const slow = { SIMULATOR_HANDOFF_DELAY_MS: "40", HANDOFF_GROUP_SIZE: "25", WORKER_CONCURRENCY: "4" };
    // One worker takes every chunk; it dies mid-hand-off and a fresh one resumes.
    const victim: ChildProcess = stack.spawnWorker(slow);
    const { client } = await stack.newAccount({ credits: 10_000, apiRateLimit: 1_000 });
    const recipients = numbers(4_000, 40_000);
    const { body } = await client.batches.create({ from: "ACME", body: "survive", recipients });
    await waitForLedger(stack, 600);
    await killWithGroupInFlight(stack, victim, body.data.batch_id);
    stack.spawnWorker(slow);

    const done = await client.batches.wait(body.data.batch_id, { timeoutMs: 90_000 });
    // The kill left at least one group in flight, which another worker settled.
    const resumed = stack.workerLogs.filter((line) => String(line.msg).startsWith("resumed a chunk"));
    expect(resumed.length).toBeGreaterThan(0);
    expect(done.attributes).toMatchObject({ status: "completed", total: 4_000, pending: 0 });
    // Numbers ending in 97 are refused at hand-off: sent + failed are every sendable message.
    expect(done.attributes.sent + done.attributes.failed).toBe(4_000);
    const handedOff = expectEachHandedOffOnce(stack);
    expect(handedOff.size).toBe(4_000);
    const rows = await countMessages(stack, body.data.batch_id);
    expect(rows).toBe(4_000);
  }, 120_000);
});

describe("fairness", () => {
  it("lets a small batch through while a big one is sending", async () => {
    stack = await startStack({ workers: 1, api: { BATCH_CHUNK_SIZE: "100" } });
    const big = await stack.newAccount({ credits: 200_000, apiRateLimit: 1_000 });
    const small = await stack.newAccount({ credits: 100, apiRateLimit: 1_000 });
    const { body: bigBatch } = await big.client.batches.create({
      from: "BIG",
      body: "big",
      recipients: numbers(50_000, 100_000),
    });
    await big.client.batches.wait(bigBatch.data.batch_id, {
      until: (b) => b.attributes.sent > 0,
      timeoutMs: 30_000,
    });
    const { body: smallBatch } = await small.client.batches.create({
      from: "SMALL",
      body: "small",
      recipients: numbers(10, 900_000),
    });
    await small.client.batches.wait(smallBatch.data.batch_id, { timeoutMs: 30_000 });
    const bigNow = (await big.client.batches.get(bigBatch.data.batch_id)).body.data;
    expect(bigNow.attributes.status).not.toBe("completed");
    expect(bigNow.attributes.pending).toBeGreaterThan(0);
  }, 90_000);
});

/** Resolves with the exit code once `child` has exited; throws after `timeoutMs`. */
function exitCode(child: ChildProcess, timeoutMs: number): Promise<number | null> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(child.exitCode);
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no exit within ${timeoutMs} ms`)), timeoutMs);
    child.once("exit", (code) => {
      clearTimeout(timer);
      resolve(code);
    });
  });
}

describe("a worker stopped or frozen mid-chunk", () => {
  it("on SIGTERM releases its chunk between groups and exits 0; another worker finishes it", async () => {
    // One chunk that takes far longer than SHUTDOWN_TIMEOUT_MS to send at this pace:
    // waiting for it to finish would end in the forced exit (1).
    stack = await startStack({ workers: 0, api: { BATCH_CHUNK_SIZE: "5000" } });
    const slow = { SIMULATOR_HANDOFF_DELAY_MS: "40", HANDOFF_GROUP_SIZE: "25", LOG_LEVEL: "info" };
    const victim = stack.spawnWorker(slow);
    const { client } = await stack.newAccount({ credits: 10_000, apiRateLimit: 1_000 });
    const { body } = await client.batches.create({
      from: "ACME",
      body: "stop",
      recipients: numbers(5_000, 50_000),
    });
    await waitForLedger(stack, 300);
    victim.kill("SIGTERM");
    expect(await exitCode(victim, stack.workerEnv.SHUTDOWN_TIMEOUT_MS + 3_000)).toBe(0);
    const atExit = (await client.batches.get(body.data.batch_id)).body.data.attributes;
    expect(atExit.pending).toBeGreaterThan(0);
    expect(stack.workerLogs.some((line) => line.msg === "released a chunk on shutdown")).toBe(true);

    stack.spawnWorker();
    const done = await client.batches.wait(body.data.batch_id, { timeoutMs: 60_000 });
    expect(done.attributes).toMatchObject({ status: "completed", total: 5_000, pending: 0 });
    expect(done.attributes.sent + done.attributes.failed).toBe(5_000);
    // Released between groups: nothing was left in flight for the next worker to settle.
    expect(stack.workerLogs.filter((line) => String(line.msg).startsWith("resumed a chunk"))).toEqual([]);
    expect(expectEachHandedOffOnce(stack).size).toBe(5_000);
    expect(await countMessages(stack, body.data.batch_id)).toBe(5_000);
  }, 90_000);

  it("frozen (SIGSTOP) past its lock: another worker takes its chunks over, and it sends nothing when it wakes", async () => {
    const lock = { JOB_LOCK_MS: "3000" };
    stack = await startStack({ workers: 0 });
    const slow = { ...lock, SIMULATOR_HANDOFF_DELAY_MS: "40", HANDOFF_GROUP_SIZE: "25", LOG_LEVEL: "info" };
    const frozen = stack.spawnWorker(slow);
    const { client } = await stack.newAccount({ credits: 10_000, apiRateLimit: 1_000 });
    const { body } = await client.batches.create({
      from: "ACME",
      body: "freeze",
      recipients: numbers(4_000, 60_000),
    });
    const batchId = body.data.batch_id;
    await waitForLedger(stack, 600);
    frozen.kill("SIGSTOP");
    const rescuer = stack.spawnWorker(lock);
    const done = await client.batches.wait(batchId, { timeoutMs: 60_000 });
    expect(done.attributes).toMatchObject({ status: "completed", total: 4_000, pending: 0 });
    const handedOff = stack.ledger().length;

    // Awake again, it finds its locks gone and gives its chunks up: one line per chunk it held.
    const gaveUp = () =>
      stack?.workerLogs.filter((line) => line.msg === "lost a chunk's lock; leaving it to its new owner") ??
      [];
    frozen.kill("SIGCONT");
    const deadline = Date.now() + 30_000;
    while (gaveUp().length < 4) {
      if (Date.now() > deadline) throw new Error(`only ${gaveUp().length} chunks given up`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    for (const worker of [frozen, rescuer]) worker.kill("SIGTERM");
    await Promise.all([frozen, rescuer].map((worker) => exitCode(worker, 15_000)));

    expect(stack.ledger()).toHaveLength(handedOff);
    expect(expectEachHandedOffOnce(stack).size).toBe(4_000);
    const byStatus = await messagesByStatus(stack, batchId);
    const after = (await client.batches.get(batchId)).body.data.attributes;
    expect((byStatus.sent ?? 0) + (byStatus.delivered ?? 0) + (byStatus.undelivered ?? 0)).toBe(after.sent);
    expect(byStatus.failed ?? 0).toBe(after.failed);
    expect(after.sent + after.failed).toBe(4_000);
  }, 120_000);
});
