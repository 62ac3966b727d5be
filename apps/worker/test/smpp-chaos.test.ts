// Chaos over SMPP, end to end (API, a worker process, Redis, PostgreSQL): the test
// SMSC, a process of its own that logs every submit_sm before answering it, is
// SIGKILLed while a 100,000-recipient batch is being sent, and started again on
// the same port 10 s later. By the SMSC's own log, no message is sent twice and
// every message Salvo recorded as sent with the SMSC's id was sent once; only
// those in flight at the kill are in doubt (sent without a provider id, 0 or 1
// time in the log), at most binds × window of them. Nothing failed for the link
// being down, nothing stays pending, and the worker rebinds by itself.
import { readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { readSmscLog, type SmscProcess, spawnSmsc } from "@salvo/providers/smsc-process";
import { afterAll, beforeAll, expect, it } from "vitest";
import { messagesByStatus, type Stack, startStack, waitFor } from "./stack";

const RECIPIENTS = 100_000;
const BINDS = 4;
const WINDOW = 10;

const logPath = path.join(tmpdir(), `salvo-smsc-${process.pid}-${Date.now()}.jsonl`);
let smsc: SmscProcess;
let stack: Stack;

beforeAll(async () => {
  smsc = await spawnSmsc(logPath);
  const connectors = JSON.stringify([
    {
      name: "smsc",
      provider: "smpp",
      settings: {
        host: "127.0.0.1",
        port: smsc.port,
        systemId: "salvo",
        password: "secret",
        binds: BINDS,
        window: WINDOW,
        reconnectMinMs: 200,
        reconnectMaxMs: 1_000,
      },
    },
  ]);
  stack = await startStack({
    workers: 0,
    api: { SALVO_CONNECTORS: connectors },
    worker: { SALVO_CONNECTORS: connectors, CONNECTOR_WAIT_MS: "500", CONNECTOR_STATE_INTERVAL_MS: "200" },
  });
  stack.spawnWorker();
});
afterAll(async () => {
  await stack?.stopAll();
  await smsc?.kill();
  rmSync(logPath, { force: true });
});

/** Lines in the SMSC's log so far (cheaper than parsing it, for polling). */
function loggedLines(): number {
  const log = readFileSync(logPath);
  let lines = 0;
  for (let at = log.indexOf(10); at !== -1; at = log.indexOf(10, at + 1)) lines++;
  return lines;
}

it("sends each message of a 100,000-recipient batch at most once while the SMSC is killed and restarted", async () => {
  const { client } = await stack.newAccount({ credits: 2 * RECIPIENTS, apiRateLimit: 1_000 });
  const recipients = Array.from({ length: RECIPIENTS }, (_, i) => `+336${10_000_000 + i}`);
  const { body: created } = await client.batches.create({ from: "Salvo", body: "Chaos", recipients });
  const batchId = created.data.batch_id;

  // Killed in the middle of the batch, with submits in flight on every bind.
  await waitFor("a quarter of the batch at the SMSC", () => loggedLines() >= RECIPIENTS / 4, 120_000);
  await smsc.kill();
  const beforeKill = readSmscLog(logPath).filter((line) => line.kind === "submit").length;
  // The SMSC is down for 10 s: the scenario, not a wait for something to happen.
  await new Promise((resolve) => setTimeout(resolve, 10_000));
  const whileDown = await messagesByStatus(stack, batchId);
  smsc = await spawnSmsc(logPath, smsc.port);

  const done = await client.batches.wait(batchId, { timeoutMs: 240_000, intervalMs: 500 });
  expect(done.attributes).toMatchObject({ total: RECIPIENTS, pending: 0, failed: 0, sent: RECIPIENTS });
  const statuses = await messagesByStatus(stack, batchId);
  expect(statuses).toEqual({ sent: RECIPIENTS });
  // Nothing was failed while no bind was up: those messages waited (the worker said
  // so) and went later.
  expect(whileDown.failed).toBeUndefined();
  const said = stack.workerLogs.map((line) => line.msg);
  expect(said).toContain("connector is down; its routes fail over");
  expect(said).toContain("no connector of this route is up or taking messages; its messages wait");

  // Sent without the SMSC's id: the submit_sm was written, its submit_sm_resp never came.
  // (Matched here rather than by an anti-join: on tables just filled, without
  // statistics, PostgreSQL may plan it as a nested loop of 100,000².)
  const sent = await stack.query<{ idx: number; to: string }>(
    `SELECT idx, "to" FROM messages WHERE batch_id = $1 AND status = 'sent'`,
    [batchId],
  );
  const identified = await stack.query<{ idx: number }>(
    "SELECT idx FROM provider_message_ids WHERE batch_id = $1",
    [batchId],
  );
  const withId = new Set(identified.map((row) => row.idx));
  const inDoubt = sent.filter((row) => !withId.has(row.idx));
  const log = readSmscLog(logPath);
  const times = new Map<string, number>();
  for (const line of log)
    if (line.kind === "submit") times.set(`+${line.to}`, (times.get(`+${line.to}`) ?? 0) + 1);
  const twice = [...times].filter(([, n]) => n > 1);
  expect(twice).toEqual([]);
  // The connection dropped once per bind: at most a window's worth of doubt on each.
  expect(inDoubt.length).toBeLessThanOrEqual(BINDS * WINDOW);
  const doubtful = new Set(inDoubt.map((row) => row.to));
  const neverLogged = inDoubt.filter((row) => !times.has(row.to)).length;
  const missing = recipients.filter((to) => !doubtful.has(to) && times.get(to) !== 1);
  expect(missing).toEqual([]);
  expect(times.size).toBe(RECIPIENTS - neverLogged);

  // The worker rebound by itself: binds and submits after the restart, and the connector up again.
  const restart = log.findLastIndex((line) => line.kind === "start");
  expect(restart).toBeGreaterThan(0);
  const afterRestart = log.slice(restart);
  expect(afterRestart.filter((line) => line.kind === "bind").length).toBeGreaterThanOrEqual(1);
  expect(afterRestart.filter((line) => line.kind === "submit").length).toBeGreaterThan(0);
  await waitFor("the connector reported up, every bind bound", async () => {
    const { body } = await stack
      .client()
      .call<{ connectors: Record<string, { state: string; detail: Record<string, number> }> }>(
        "GET",
        "/readyz",
      );
    const state = body.connectors.smsc;
    return state?.state === "up" && state.detail.bindsUp === BINDS;
  });

  // The figures, for whoever reads the run (they vary from run to run).
  console.warn(
    `SMSC killed after ${beforeKill} submits; in doubt ${inDoubt.length} (${neverLogged} never reached the SMSC's log); ` +
      `sent after the restart ${afterRestart.filter((line) => line.kind === "submit").length}; failed ${statuses.failed ?? 0}`,
  );
}, 300_000);
