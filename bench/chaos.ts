// `pnpm bench:chaos`: Salvo's invariants under faults. Each scenario sends a
// 100,000-recipient batch through the API and 3 worker processes while one kind
// of fault is injected (or all of them at once), then checks, from PostgreSQL
// and the simulator's ledger of every hand-off:
//
// - every accepted batch reached `completed`;
// - every batch's counters equal its message rows, and its chunks are whole;
// - every sendable message was handed off exactly once (no duplicate, none missing);
// - the account's credits are its initial balance minus the cost actually spent;
// - a POST that got no answer (the API was killed) left either a whole batch or nothing;
// - every batch's `batch.completed` webhook reached a receiver (at least once).
//
// It runs on a PostgreSQL cluster and a Redis server of its own (lib/private-servers.ts),
// which it crashes and restarts, and removes at the end. See bench/README.md.
import { readFileSync } from "node:fs";
import { createServer } from "node:http";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { parseArgs } from "node:util";
import { BATCH_COUNTER_NAMES, BATCH_COUNTERS, MESSAGE_STATUSES, messageId } from "@salvo/core";
import { type Child, cleanUpOnInterrupt, freePort, waitFor } from "./lib/children";
import { describeMachine, machineTable } from "./lib/machine";
import { frenchMobiles } from "./lib/numbers";
import { queryRows, withConnection } from "./lib/postgres";
import { type PrivateServers, startPrivateServers } from "./lib/private-servers";
import { type SalvoStack, startSalvoStack } from "./lib/salvo-stack";
import { count, seconds, table } from "./lib/stats";

const SCENARIOS = ["baseline", "workers", "redis", "postgres", "api", "all"] as const;
type ScenarioName = (typeof SCENARIOS)[number];

const { values: args } = parseArgs({
  args: process.argv.slice(2).filter((arg) => arg !== "--"),
  options: {
    scenarios: { type: "string", default: SCENARIOS.join(",") },
    recipients: { type: "string", default: "100000" },
    workers: { type: "string", default: "3" },
    mps: { type: "string", default: "5000" },
    help: { type: "boolean", default: false },
  },
});
if (args.help) {
  process.stdout.write(`pnpm bench:chaos [-- options]
  --scenarios LIST   comma-separated, from ${SCENARIOS.join(", ")} (default: all of them)
  --recipients N     recipients of the big batch (100000)
  --workers N        worker processes (3)
  --mps N            PROVIDER_MAX_MPS, so that faults land while the batch is sending (5000; 0: unlimited)
`);
  process.exit(0);
}
const scenarios = args.scenarios.split(",").map((name) => {
  if (!SCENARIOS.includes(name as ScenarioName)) throw new Error(`unknown scenario ${name}`);
  return name as ScenarioName;
});
const RECIPIENTS = Number(args.recipients);
const WORKERS = Number(args.workers);
const MPS = Number(args.mps);

/** Every how often a worker is killed -9, and at most how many times per scenario. */
const KILL_EVERY_MS = 2_000;
const MAX_KILLS = 15;
/** Short, so that batches whose jobs Redis lost are re-enqueued within seconds (default 15 s). */
const RECONCILE_INTERVAL_MS = 2_000;
/** The big account's balance (lib/salvo-stack.ts). */
const INITIAL_CREDITS = 50_000_000;
const COMPLETION_TIMEOUT_MS = 240_000;
/**
 * The API scenario's stream of POSTs: lanes, recipients each, pause between two
 * POSTs of a lane, for how long; after `killAfterMs`, one bigger POST, and the
 * API is killed -9 at a random moment of its first `killWithinMs`.
 */
const STREAM = {
  lanes: 3,
  recipients: 500,
  pauseMs: 200,
  durationMs: 6_000,
  killAfterMs: 2_000,
  killedPostRecipients: 20_000,
  killWithinMs: 150,
};

const log = (line: string) => process.stderr.write(`${new Date().toISOString().slice(11, 23)} ${line}\n`);

// Distinct French mobiles, with a few of every kind of fate sprinkled in, one
// each per thousand: refused at hand-off (failed, refunded), undelivered (two
// kinds, one of which puts the number on the NPAI list), invalid, a repeat.
let nextNumber = 0;
function recipients(n: number): string[] {
  const numbers = frenchMobiles(nextNumber, n);
  for (let i = 0; i < n; i++) {
    const number = numbers[i] as string;
    switch ((nextNumber + i) % 1_000) {
      case 137:
        numbers[i] = `${number.slice(0, -2)}97`;
        break;
      case 238:
        numbers[i] = `${number.slice(0, -2)}98`;
        break;
      case 339:
        numbers[i] = `${number.slice(0, -2)}99`;
        break;
      case 440:
        numbers[i] = "06 12";
        break;
      case 541:
        if (i > 0) numbers[i] = numbers[i - 1] as string;
        break;
    }
  }
  nextNumber += n;
  return numbers;
}

interface Fault {
  at: number;
  what: string;
  /** How long the faulty part was away (a server or the API down), when that applies. */
  downMs?: number;
}

/** What happened to one POST of the API scenario. */
interface Post {
  body: string;
  outcome: "answered" | "refused" | "no answer" | "error";
  status?: number;
  batchId?: string;
}

/** The API and the workers, kept running: what the script kills it restarts, and what dies on its own is noted. */
class Fleet {
  api: Child;
  workers: Child[];
  readonly unexpected: string[] = [];
  private readonly intended = new Set<Child>();
  private stopped = false;

  constructor(private readonly stack: SalvoStack) {
    this.api = stack.api;
    this.workers = [...stack.workers];
    for (const child of [this.api, ...this.workers]) this.watch(child);
  }

  private watch(child: Child) {
    void child.exited.then((code) => {
      if (this.stopped || this.intended.has(child)) return;
      this.unexpected.push(`${child.name} (pid ${child.pid}) exited with ${code}`);
      log(`UNEXPECTED: ${child.name} pid ${child.pid} exited with ${code}:\n${child.tail()}`);
      this.replace(child);
    });
  }

  private replace(child: Child): Child {
    const next = this.stack.startApp(child.name as "api" | "worker");
    this.watch(next);
    if (child === this.api) this.api = next;
    else this.workers = this.workers.map((w) => (w === child ? next : w));
    return next;
  }

  /** kill -9, then starts its replacement at once. */
  async kill(child: Child): Promise<Child> {
    this.intended.add(child);
    child.process.kill("SIGKILL");
    await child.exited;
    return this.replace(child);
  }

  stop() {
    this.stopped = true;
  }
}

/** The account's progress, sampled every 200 ms from PostgreSQL (samples fail while it is down). */
class Progress {
  /** `at`: Date.now(). */
  readonly samples: { at: number; settled: number; open: number; batches: number }[] = [];
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly databaseUrl: string,
    private readonly accountId: string,
  ) {}

  start() {
    const sample = async () => {
      const [row] = await queryRows<{ settled: number; open: number; batches: number }>(
        this.databaseUrl,
        `SELECT coalesce(sum(total - pending), 0)::int AS settled, count(*)::int AS batches,
                count(*) FILTER (WHERE status <> 'completed')::int AS open
           FROM batches WHERE account_id = $1`,
        [this.accountId],
      );
      if (row) this.samples.push({ at: Date.now(), ...row });
    };
    this.timer = setInterval(() => void sample().catch(() => {}), 200);
  }

  get latest() {
    return this.samples.at(-1);
  }

  /** Resolves once `settled` reaches `n`. */
  settled(n: number) {
    return waitFor(
      `${count(n)} messages settled`,
      () => ((this.latest?.settled ?? 0) >= n ? true : undefined),
      COMPLETION_TIMEOUT_MS,
      100,
    );
  }

  /** The longest time without any message settled, between `from` and the last batch's completion. */
  longestStall(from: number, until: number): number {
    let last = from;
    let longest = 0;
    let previous: number | undefined;
    for (const sample of this.samples) {
      if (previous !== undefined && sample.settled > previous && sample.at >= from && sample.at <= until) {
        longest = Math.max(longest, sample.at - last);
        last = sample.at;
      }
      previous = sample.settled;
    }
    return Math.max(longest, until - last);
  }

  stop() {
    clearInterval(this.timer);
  }
}

/** A webhook receiver: which batches' `batch.completed` arrived, how many times, under how many event ids. */
async function startReceiver() {
  const completed = new Map<string, number>();
  const eventIds = new Set<string>();
  let posts = 0;
  const server = createServer((req, res) => {
    let body = "";
    req.setEncoding("utf8");
    req.on("data", (chunk: string) => {
      body += chunk;
    });
    req.on("end", () => {
      posts++;
      eventIds.add(String(req.headers["webhook-id"]));
      const event = JSON.parse(body) as { type: string; data: { batch_id?: string } };
      const batchId = event.data.batch_id;
      if (event.type === "batch.completed" && batchId)
        completed.set(batchId, (completed.get(batchId) ?? 0) + 1);
      res.writeHead(204).end();
    });
  });
  const port = await freePort();
  await new Promise<void>((resolve) => server.listen(port, "127.0.0.1", resolve));
  return {
    url: `http://127.0.0.1:${port}/events`,
    completed,
    get posts() {
      return posts;
    },
    get events() {
      return eventIds.size;
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

interface Outcome {
  scenario: ScenarioName;
  faults: Fault[];
  figures: [string, string][];
  failures: string[];
  /** POST → completed of the big batch, in seconds. */
  mainSeconds: number;
  summary: string[];
}

async function runScenario(name: ScenarioName, servers: PrivateServers): Promise<Outcome> {
  const ledgerPath = path.join(servers.dir, `ledger-${name}.jsonl`);
  const logCounts = new Map<string, number>();
  const receiver = await startReceiver();
  const stack = await startSalvoStack({
    databaseUrl: servers.postgres.url,
    redisUrl: servers.redis.url,
    log,
    workers: WORKERS,
    appEnv: {
      SIMULATOR_LEDGER: ledgerPath,
      RECONCILE_INTERVAL_MS: String(RECONCILE_INTERVAL_MS),
      LOG_LEVEL: "info",
      // The receiver of batch.completed events listens on loopback.
      WEBHOOK_ALLOW_PRIVATE_NETWORKS: "true",
      ...(MPS > 0 ? { PROVIDER_MAX_MPS: String(MPS) } : {}),
    },
    onAppLine: (_app, line) => {
      if (!line.startsWith("{")) return;
      const msg = (JSON.parse(line) as { msg?: string }).msg ?? "";
      logCounts.set(msg, (logCounts.get(msg) ?? 0) + 1);
    },
  });
  const fleet = new Fleet(stack);
  const progress = new Progress(stack.databaseUrl, stack.big.accountId);
  const faults: Fault[] = [];
  const t0 = Date.now();
  const fault = (what: string, downMs?: number) => {
    faults.push({ at: Date.now(), what, downMs });
    log(
      `  fault at ${seconds((Date.now() - t0) / 1000)}: ${what}${downMs === undefined ? "" : ` (down ${seconds(downMs / 1000)})`}`,
    );
  };
  try {
    await stack.big.client.webhooks.create({ url: receiver.url, events: ["batch.completed"] });
    progress.start();
    log(`[${name}] POST of ${count(RECIPIENTS)} recipients`);
    const main = await post(stack, recipients(RECIPIENTS), "chaos: the big batch", 120_000);
    if (main.outcome !== "answered")
      throw new Error(`the big batch's POST got ${main.outcome} (${main.status ?? ""})`);
    versions ??= stack.versions;
    const posts: Post[] = [main];

    // The faults, each on its own schedule; they end when the batches are done.
    const injectors: Promise<void>[] = [];
    const killWorkers = async () => {
      await progress.settled(RECIPIENTS * 0.05);
      for (let kills = 0; kills < MAX_KILLS && progress.latest?.open !== 0; kills++) {
        const victim = fleet.workers[Math.floor(Math.random() * fleet.workers.length)] as Child;
        await fleet.kill(victim);
        fault(`kill -9 worker pid ${victim.pid} (restarted)`);
        await sleep(KILL_EVERY_MS);
      }
    };
    const restartRedis = async (at: number) => {
      await progress.settled(RECIPIENTS * at);
      const down = Date.now();
      await servers.redis.crash();
      await servers.redis.start();
      fault("Redis SHUTDOWN NOSAVE, restarted empty", Date.now() - down);
    };
    const restartPostgres = async (at: number) => {
      await progress.settled(RECIPIENTS * at);
      const down = Date.now();
      await servers.postgres.crash();
      await servers.postgres.start();
      fault("PostgreSQL immediate shutdown (a crash), restarted", Date.now() - down);
    };
    const killApiDuringPosts = async () => {
      const stream = streamPosts(stack, posts);
      await sleep(STREAM.killAfterMs);
      // A bigger POST, killed somewhere between its upload and its answer (or just after).
      const big = post(stack, recipients(STREAM.killedPostRecipients), "chaos: the POST the kill aims at");
      await sleep(Math.random() * STREAM.killWithinMs);
      const down = Date.now();
      const inFlight = stream.inFlight() + 1;
      await fleet.kill(fleet.api);
      await waitFor("the API to answer again", () => ready(stack), 60_000, 50);
      fault(`kill -9 the API with ${inFlight} POSTs in flight (restarted)`, Date.now() - down);
      posts.push(await big);
      await stream.finished;
    };
    if (name === "workers" || name === "all") injectors.push(killWorkers());
    if (name === "redis") injectors.push(restartRedis(0.4));
    if (name === "postgres") injectors.push(restartPostgres(0.4));
    if (name === "api") injectors.push(killApiDuringPosts());
    if (name === "all") injectors.push(killApiDuringPosts(), restartRedis(0.35), restartPostgres(0.65));

    await Promise.all(injectors);
    const faultsOver = Date.now();
    log(`[${name}] faults over; waiting for every batch to complete`);
    await waitFor(
      "every batch to complete",
      () => {
        const latest = progress.latest;
        return latest && latest.at > faultsOver && latest.open === 0 ? true : undefined;
      },
      COMPLETION_TIMEOUT_MS,
      100,
    );
    const [last] = await queryRows<{ at: number }>(
      stack.databaseUrl,
      "SELECT (extract(epoch FROM max(completed_at)) * 1000)::float8 AS at FROM batches WHERE account_id = $1",
      [stack.big.accountId],
    );
    const completedAt = (last as { at: number }).at;
    log(`[${name}] every batch completed; waiting for delivery reports and batch.completed webhooks`);
    await settleReports(stack.databaseUrl, stack.big.accountId);
    const batches = progress.latest?.batches ?? 0;
    await waitFor(
      "every batch.completed webhook",
      () => (receiver.completed.size >= batches ? true : undefined),
      60_000,
      100,
    ).catch(() => {});

    const check = await verify(stack.databaseUrl, stack.big.accountId, ledgerPath, posts);
    const webhooksMissing = batches - receiver.completed.size;
    if (webhooksMissing > 0)
      check.failures.push(`${webhooksMissing} batches' batch.completed webhook never arrived`);
    const firstFault = faults[0]?.at;
    const lastFault = faults.at(-1)?.at;
    const [mainDone] = await queryRows<{ s: number }>(
      stack.databaseUrl,
      "SELECT extract(epoch FROM completed_at - created_at)::float AS s FROM batches WHERE id = $1",
      [main.batchId],
    );
    const mainSeconds = (mainDone as { s: number }).s;
    const figures: [string, string][] = [
      ...check.figures,
      [
        "batch.completed webhooks: batches reached / event ids / posts",
        `${count(receiver.completed.size)} of ${count(batches)} / ${count(receiver.events)} / ${count(receiver.posts)}`,
      ],
      ["big batch: POST → completed", seconds(mainSeconds)],
      [
        "longest time without progress, from the first fault",
        firstFault === undefined ? "—" : seconds(progress.longestStall(firstFault, completedAt) / 1000),
      ],
      [
        "last fault → every batch completed (time to recover)",
        lastFault === undefined ? "—" : seconds(Math.max(0, completedAt - lastFault) / 1000),
      ],
      ["processes that died without being killed", String(fleet.unexpected.length)],
      [
        "worker log: chunks resumed from an in-flight marker",
        count(logCounts.get("resumed a chunk that a previous run left in the middle of a hand-off") ?? 0),
      ],
      [
        "worker log: batches re-enqueued by the reconciler",
        count(logCounts.get("re-enqueued batches without recent progress") ?? 0),
      ],
      [
        "worker log: chunk runs that lost their lock",
        count(logCounts.get("lost a chunk's lock; leaving it to its new owner") ?? 0),
      ],
    ];
    const failures = [...check.failures, ...fleet.unexpected];
    const recover = lastFault === undefined ? "—" : seconds(Math.max(0, completedAt - lastFault) / 1000);
    const stall =
      firstFault === undefined ? "—" : seconds(progress.longestStall(firstFault, completedAt) / 1000);
    return {
      scenario: name,
      faults,
      figures,
      failures,
      mainSeconds,
      summary: [
        name,
        String(faults.length),
        count(check.messages),
        count(check.handedOff),
        count(check.duplicates),
        count(check.missing),
        check.countersMatch ? "yes" : "NO",
        check.creditsMatch ? "yes" : "NO",
        seconds(mainSeconds),
        stall,
        recover,
        failures.length === 0 ? "pass" : "FAIL",
      ],
    };
  } catch (error) {
    log(`[${name}] failed: ${(error as Error).message}`);
    log(`API output:\n${fleet.api.tail()}\nworker output:\n${fleet.workers[0]?.tail()}`);
    return {
      scenario: name,
      faults,
      figures: [],
      failures: [(error as Error).message],
      mainSeconds: Number.NaN,
      summary: [name, String(faults.length), "—", "—", "—", "—", "—", "—", "—", "—", "—", "FAIL"],
    };
  } finally {
    fleet.stop();
    progress.stop();
    await stack.stop();
    await receiver.close();
  }
}

async function ready(stack: SalvoStack): Promise<true | undefined> {
  const answer = await fetch(`${stack.apiUrl}/readyz`).catch(() => undefined);
  return answer?.status === 200 ? true : undefined;
}

/** One POST /v1/batches, classified: an answer, refused (nobody listening), or no answer (cut). */
async function post(stack: SalvoStack, to: string[], body: string, timeoutMs = 30_000): Promise<Post> {
  try {
    const response = await fetch(`${stack.apiUrl}/v1/batches`, {
      method: "POST",
      headers: { authorization: `Bearer ${stack.big.token}`, "content-type": "application/json" },
      body: JSON.stringify({ from: "CHAOS", body, recipients: to }),
      signal: AbortSignal.timeout(timeoutMs),
    });
    const text = await response.text();
    if (response.status !== 202) return { body, outcome: "error", status: response.status };
    return {
      body,
      outcome: "answered",
      status: 202,
      batchId: (JSON.parse(text) as { data: { batch_id: string } }).data.batch_id,
    };
  } catch (error) {
    const code = ((error as Error).cause as { code?: string } | undefined)?.code;
    return { body, outcome: code === "ECONNREFUSED" ? "refused" : "no answer" };
  }
}

/** Small POSTs, STREAM.lanes at a time, each with a body of its own (to find it if it gets no answer). */
function streamPosts(stack: SalvoStack, posts: Post[]) {
  const until = Date.now() + STREAM.durationMs;
  let inFlight = 0;
  let n = 0;
  const lane = async () => {
    while (Date.now() < until) {
      inFlight++;
      const result = await post(stack, recipients(STREAM.recipients), `chaos: stream POST ${++n}`);
      inFlight--;
      posts.push(result);
      await sleep(STREAM.pauseMs);
    }
  };
  return {
    inFlight: () => inFlight,
    finished: Promise.all(Array.from({ length: STREAM.lanes }, lane)).then(() => {}),
  };
}

/** Waits until delivery reports stop arriving (3 s without one; at most 30 s). */
async function settleReports(databaseUrl: string, accountId: string) {
  let last = -1;
  let since = Date.now();
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline && Date.now() - since < 3_000) {
    const [row] = await queryRows<{ n: number }>(
      databaseUrl,
      "SELECT coalesce(sum(delivered + undelivered), 0)::int AS n FROM batches WHERE account_id = $1",
      [accountId],
    );
    const n = (row as { n: number }).n;
    if (n !== last) {
      last = n;
      since = Date.now();
    }
    await sleep(250);
  }
}

interface BatchCheck {
  id: string;
  body: string;
  status: string;
  total: number;
  pending: number;
  segments: number;
  reserved: number;
  chunk_count: number;
  cost: number;
  chunks: number;
  chunk_recipients: number;
  done_chunks: number;
  marked_chunks: number;
  rows: number;
  cost_rows: number;
  [counter: string]: number | string;
}

const STATUSES = MESSAGE_STATUSES;
const SENDABLE = ["sent", "delivered", "undelivered", "failed"];

/** Every invariant, read from one snapshot of PostgreSQL and from the ledger. */
async function verify(databaseUrl: string, accountId: string, ledgerPath: string, posts: Post[]) {
  let batches: BatchCheck[] = [];
  let credits = 0;
  let sendable = new Set<string>();
  await withConnection(databaseUrl, async (client) => {
    await client.query("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY");
    const rows = STATUSES.map((s) => `count(*) FILTER (WHERE status = '${s}')::int AS ${s}_rows`).join(", ");
    batches = (
      await client.query(
        `SELECT b.id, b.body, b.status, ${BATCH_COUNTER_NAMES.map((n) => `b.${n}`).join(", ")},
                b.segments, b.reserved, b.chunk_count, b.cost, m.*, c.*
           FROM batches b
           CROSS JOIN LATERAL (SELECT count(*)::int AS rows, coalesce(sum(cost), 0)::int AS cost_rows, ${rows}
                                 FROM messages WHERE batch_id = b.id) m
           CROSS JOIN LATERAL (SELECT count(*)::int AS chunks,
                                      coalesce(sum(json_array_length(recipients::json)), 0)::int AS chunk_recipients,
                                      count(*) FILTER (WHERE done)::int AS done_chunks,
                                      count(*) FILTER (WHERE cardinality(in_flight) > 0)::int AS marked_chunks
                                 FROM batch_chunks WHERE batch_id = b.id) c
          WHERE b.account_id = $1`,
        [accountId],
      )
    ).rows as BatchCheck[];
    credits = (await client.query("SELECT credits FROM accounts WHERE id = $1", [accountId])).rows[0]
      .credits as number;
    const messages = await client.query(
      `SELECT batch_id, idx FROM messages WHERE account_id = $1 AND status IN ('${SENDABLE.join("','")}')`,
      [accountId],
    );
    sendable = new Set(
      (messages.rows as { batch_id: string; idx: number }[]).map((m) => messageId(m.batch_id, m.idx)),
    );
    await client.query("COMMIT");
  });

  const failures: string[] = [];
  const fail = (what: string) => {
    if (failures.length < 20) failures.push(what);
  };
  let countersMatch = true;
  for (const b of batches) {
    if (b.status !== "completed" || b.pending !== 0)
      fail(`batch ${b.id} is ${b.status} with ${b.pending} pending`);
    // Whole: every chunk and recipient stored, the full cost reserved.
    if (b.chunks !== b.chunk_count || b.chunk_recipients !== b.total || b.reserved !== b.total * b.segments) {
      fail(
        `batch ${b.id} is not whole: ${b.chunks}/${b.chunk_count} chunks, ${b.chunk_recipients}/${b.total} recipients`,
      );
    }
    if (b.done_chunks !== b.chunks || b.marked_chunks !== 0)
      fail(
        `batch ${b.id}: ${b.done_chunks}/${b.chunks} chunks done, ${b.marked_chunks} still marked in flight`,
      );
    // Each counter from the message rows its table line says it counts (`pending`: none left).
    const expected: Record<string, number> = {
      ...Object.fromEntries(
        BATCH_COUNTER_NAMES.map((name) => {
          const statuses = BATCH_COUNTERS[name].rows;
          const rows =
            statuses === null ? b.rows : statuses.reduce((sum, s) => sum + Number(b[`${s}_rows`]), 0);
          return [name, rows];
        }),
      ),
      cost: b.cost_rows,
    };
    for (const [counter, rows] of Object.entries(expected)) {
      if (Number(b[counter]) !== rows) {
        countersMatch = false;
        fail(`batch ${b.id}: ${counter} = ${b[counter]} but its rows say ${rows}`);
      }
    }
  }

  // The ledger: each line one hand-off.
  const handedOff = new Map<string, number>();
  let lines = 0;
  for (const line of readFileSync(ledgerPath, "utf8").split("\n")) {
    if (line === "") continue;
    lines++;
    const id = (JSON.parse(line) as { message_id: string }).message_id;
    handedOff.set(id, (handedOff.get(id) ?? 0) + 1);
  }
  let duplicates = 0;
  let strays = 0;
  for (const [id, times] of handedOff) {
    duplicates += times - 1;
    if (!sendable.has(id)) strays++;
  }
  let missing = 0;
  for (const id of sendable) if (!handedOff.has(id)) missing++;
  if (duplicates > 0) fail(`${duplicates} duplicate hand-offs`);
  if (missing > 0) fail(`${missing} sendable messages never handed off`);
  if (strays > 0) fail(`${strays} messages handed off but not recorded as sent or failed`);

  const spent = batches.reduce((sum, b) => sum + b.cost, 0);
  const creditsMatch = credits === INITIAL_CREDITS - spent;
  if (!creditsMatch) fail(`credits ${credits} ≠ ${INITIAL_CREDITS} − ${spent} spent`);

  // Submissions: an answered POST's batch exists; one without an answer left a whole batch or nothing.
  const byBody = new Map<string, BatchCheck[]>();
  for (const b of batches) byBody.set(b.body, [...(byBody.get(b.body) ?? []), b]);
  const tally = { answered: 0, "no answer": 0, refused: 0, error: 0, unansweredStored: 0 };
  for (const p of posts) {
    tally[p.outcome]++;
    const found = byBody.get(p.body) ?? [];
    if (p.outcome === "answered" && (found.length !== 1 || found[0]?.id !== p.batchId))
      fail(`answered batch ${p.batchId} not stored`);
    if (p.outcome !== "answered") {
      if (found.length > 1) fail(`"${p.body}" stored ${found.length} times`);
      tally.unansweredStored += found.length;
    }
  }

  const totals = batches.reduce((sum, b) => sum + b.rows, 0);
  const figures: [string, string][] = [
    [
      "batches in the database (all completed?)",
      `${count(batches.length)} (${batches.every((b) => b.status === "completed") ? "yes" : "NO"})`,
    ],
    ...(posts.length > 1
      ? ([
          [
            "POSTs: answered 202 / no answer / refused (API down) / error",
            `${tally.answered} / ${tally["no answer"]} / ${tally.refused} / ${tally.error}`,
          ],
          ["POSTs without a 202 whose batch was stored anyway (whole)", String(tally.unansweredStored)],
        ] as [string, string][])
      : []),
    [
      "messages (rows) / recipients",
      `${count(totals)} / ${count(batches.reduce((sum, b) => sum + b.total, 0))}`,
    ],
    ["sendable messages (sent, delivered, undelivered, failed)", count(sendable.size)],
    ["hand-offs in the simulator's ledger", count(lines)],
    ["duplicates / missing / strays", `${duplicates} / ${missing} / ${strays}`],
    ["counters = message rows, chunks whole and done", countersMatch ? "yes" : "NO"],
    [
      "credits = initial − cost spent",
      `${count(credits)} = ${count(INITIAL_CREDITS)} − ${count(spent)}: ${creditsMatch ? "yes" : "NO"}`,
    ],
    [
      "sent, no delivery report (yet)",
      count(
        batches.reduce((sum, b) => sum + Number(b.sent) - Number(b.delivered) - Number(b.undelivered), 0),
      ),
    ],
  ];
  return {
    figures,
    failures,
    messages: totals,
    handedOff: lines,
    duplicates,
    missing,
    countersMatch,
    creditsMatch,
  };
}

const machine = describeMachine();
let versions: Record<string, string> | undefined;
const servers = await startPrivateServers(log);
const release = cleanUpOnInterrupt(() => servers.stop());
const outcomes: Outcome[] = [];
const started = Date.now();
try {
  for (const name of scenarios) {
    log(`=== scenario ${name} ===`);
    outcomes.push(await runScenario(name, servers));
  }
} finally {
  release();
  await servers.stop();
}

const out: string[] = [
  "",
  `Chaos: ${count(RECIPIENTS)}-recipient batch, API + ${WORKERS} workers, PROVIDER_MAX_MPS=${MPS || "unlimited"}, RECONCILE_INTERVAL_MS=${RECONCILE_INTERVAL_MS}, JOB_LOCK_MS default (15 s); ${seconds((Date.now() - started) / 1000)} in all`,
  "",
  machineTable(machine, versions ?? {}),
];
for (const outcome of outcomes) {
  out.push("", `### ${outcome.scenario}`, "");
  if (outcome.faults.length > 0) {
    const first = outcome.faults[0]?.at ?? 0;
    out.push(
      table(
        ["+s", "fault", "down for"],
        outcome.faults.map((f) => [
          ((f.at - first) / 1000).toFixed(1),
          f.what,
          f.downMs === undefined ? "" : seconds(f.downMs / 1000),
        ]),
      ),
      "",
    );
  }
  const baseline = outcomes.find((o) => o.scenario === "baseline");
  if (baseline && outcome !== baseline && Number.isFinite(outcome.mainSeconds)) {
    outcome.figures.push([
      "big batch: POST → completed, more than the baseline",
      seconds(outcome.mainSeconds - baseline.mainSeconds),
    ]);
  }
  if (outcome.figures.length > 0) out.push(table(["", ""], outcome.figures), "");
  out.push(
    outcome.failures.length === 0
      ? "Every invariant holds."
      : `FAILED:\n${outcome.failures.map((f) => `- ${f}`).join("\n")}`,
  );
}
out.push(
  "",
  "### Summary",
  "",
  table(
    [
      "scenario",
      "faults",
      "messages",
      "hand-offs",
      "duplicates",
      "missing",
      "counters = rows",
      "credits",
      "big batch POST → completed",
      "longest stall",
      "last fault → all completed",
      "verdict",
    ],
    outcomes.map((o) => o.summary),
  ),
  "",
);
process.stdout.write(out.join("\n"));
process.exitCode = outcomes.every((o) => o.failures.length === 0) ? 0 : 1;
