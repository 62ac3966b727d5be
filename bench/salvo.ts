// Salvo's batch pipeline end to end, as a user drives it, on a stack of its own
// (lib/salvo-stack.ts: the API and ONE worker process, simulator unthrottled):
//
// 1. warm-up: one 1,000-recipient batch;
// 2. `bigPosts` POSTs of `postSize` recipients, each timed, each sent to the end;
//    then as many again while another account fires the stream of small batches
//    of step 4 (issue 18's scale ratio compares the million with these: the same
//    load beside each);
// 3. the stream of small batches alone for a few seconds (their idle latency);
// 4. the big batch (a million): POST, then poll until `completed`, while another
//    account fires a steady stream of small batches and polls each until it completes.
//
// Resident memory, Redis used_memory and per-process CPU are sampled throughout.

import { setTimeout as sleep } from "node:timers/promises";
import { BATCH_TOTAL_PARTS } from "@salvo/core";
import type { BatchAttributes, Salvo } from "@salvo/sdk";
import { waitFor } from "./lib/children";
import { frenchMobiles } from "./lib/numbers";
import { POSTGRES_BACKENDS, type SalvoStack, startSalvoStack } from "./lib/salvo-stack";
import { cpuBetween, cpuTable, type Sample, type Sampler } from "./lib/sampler";
import { count, max, median, megabytes, ms, percentile, seconds, table } from "./lib/stats";

const SENDER = "SALVO";
const BODY = "Salvo benchmark: your order has shipped and will arrive tomorrow.";
/** Width of a row of the big batch's timeline. */
const TIMELINE_STEP_MS = 5_000;

interface SalvoOptions {
  /** PostgreSQL server (any database on it); the benchmark creates and drops its own database. */
  databaseUrl: string;
  redisUrl: string;
  /** Recipients of the big batch (1,000,000). */
  recipients: number;
  /** How many big POSTs to time, and their size. */
  bigPosts: number;
  postSize: number;
  /** Small batches per second fired while the big batch is sent, and their size. */
  streamRate: number;
  streamSize: number;
  /** How often each small batch is polled. */
  pollMs: number;
  /** Message rows of older batches in the database before the run (see startSalvoStack). */
  prefill?: number;
  log(line: string): void;
}

interface Percentiles {
  p50: number;
  p99: number;
  max: number;
}

export interface SalvoResults {
  big: { seconds: number; perSecond: number; acceptMs: number; allSent: boolean };
  posts: { median: number; max: number; count: number };
  stream: { batches: number; errors: number; post: Percentiles; complete: Percentiles };
  /** The same stream of small batches on the idle stack, just before the million (issue 18's latency ratio). */
  idle: SalvoResults["stream"];
  /** The 100,000-recipient batches' median rate, messages/s, sent alone. */
  postRate: number;
  /**
   * Their median rate while the stream of small batches runs, as it does beside
   * the million (issue 18's scale ratio); undefined with `--stream-rate 0`.
   */
  postRateStreamed: number | undefined;
  /** CPU-seconds per million messages during the million: API, worker, PostgreSQL backends, Redis, and their sum. */
  cpuPerMillion: { api: number; worker: number; postgres: number; redis: number; total: number };
  memory: {
    workerPeak: number;
    /** The API's peak from the POST of the million to its completion, and until the POST was answered. */
    apiPeakMillion: number;
    apiPeakAccepting: number;
    redisPeak: number;
    redisBefore: number;
  };
  /** Detail tables, formatted. */
  report: string;
  versions: Record<string, string>;
}

export async function benchSalvo(options: SalvoOptions): Promise<SalvoResults> {
  const stack = await startSalvoStack(options);
  try {
    // Numbers never repeat across batches: anti-flood never fires and every message is sent.
    let next = 0;
    const takeNumbers = (n: number) => {
      const numbers = frenchMobiles(next, n);
      next += n;
      return numbers;
    };
    stack.sampler.phase("warm-up");
    options.log("warm-up: one 1,000-recipient batch");
    const warm = await postBatch(stack, jsonBody(takeNumbers(1_000)));
    await pollBatch(stack.big.client, warm.id, { timeoutMs: 60_000 });

    const posts = await timePosts(stack, options, takeNumbers);
    const streamed = await timePostsStreamed(stack, options, takeNumbers);
    const idle = await idleStream(stack, options, takeNumbers);
    const big = await sendBigBatch(stack, options, takeNumbers);
    return summarize(stack, options, { alone: posts, streamed }, idle, big);
  } catch (error) {
    options.log(`API output:\n${stack.api.tail()}\nworker output:\n${stack.worker.tail()}`);
    throw error;
  } finally {
    await stack.stop();
  }
}

export const jsonBody = (recipients: string[]) => JSON.stringify({ from: SENDER, body: BODY, recipients });

interface TimedPost {
  ms: number;
  seconds: number;
}

/** POSTs sent to the end one after the other, and the CPU the stack spent meanwhile. */
interface TimedPosts {
  posts: TimedPost[];
  before: Sample;
  after: Sample;
}

async function timePosts(
  stack: SalvoStack,
  options: SalvoOptions,
  takeNumbers: (n: number) => string[],
  beside = "",
): Promise<TimedPosts> {
  stack.sampler.phase(`${count(options.postSize)}-recipient POSTs${beside}`);
  const posts: TimedPost[] = [];
  const before = stack.sampler.mark();
  for (let i = 0; i < options.bigPosts; i++) {
    const posted = await postBatch(stack, jsonBody(takeNumbers(options.postSize)));
    const done = await pollBatch(stack.big.client, posted.id, { timeoutMs: 120_000 });
    const completed = (Date.parse(done.completed_at ?? "") - posted.startedAt) / 1000;
    posts.push({ ms: posted.ms, seconds: completed });
    options.log(
      `POST of ${count(options.postSize)}${beside} answered in ${ms(posted.ms)}; completed after ${seconds(completed)}`,
    );
  }
  return { posts, before, after: stack.sampler.mark() };
}

/**
 * The same POSTs again while the other account fires the stream of small batches
 * that runs beside the million: the million's rate is compared with these, so
 * that the ratio measures what the batch's size costs, not what the stream does.
 */
async function timePostsStreamed(
  stack: SalvoStack,
  options: SalvoOptions,
  takeNumbers: (n: number) => string[],
): Promise<TimedPosts | undefined> {
  if (options.streamRate === 0) return undefined;
  const stream = startStream(stack.small.client, options, takeNumbers);
  try {
    return await timePosts(stack, options, takeNumbers, " beside the stream");
  } finally {
    stream.stop();
    await stream.finished();
  }
}

/**
 * The small batches' stream alone for IDLE_STREAM_MS: what their latency is with
 * nothing else to do, and what each costs (the CPU from the first POST until the
 * last batch completed).
 */
async function idleStream(
  stack: SalvoStack,
  options: SalvoOptions,
  takeNumbers: (n: number) => string[],
): Promise<{ batches: SmallBatch[]; cpu?: { before: Sample; after: Sample } }> {
  if (options.streamRate === 0) return { batches: [] };
  stack.sampler.phase("small batches on the idle stack");
  options.log(`${options.streamRate} small batches/s for ${IDLE_STREAM_MS / 1000} s on the idle stack`);
  const before = stack.sampler.mark();
  const stream = startStream(stack.small.client, options, takeNumbers);
  await sleep(IDLE_STREAM_MS);
  stream.stop();
  const batches = await stream.finished();
  return { batches, cpu: { before, after: stack.sampler.mark() } };
}

const IDLE_STREAM_MS = 5_000;

/** What one small batch of the idle stream cost each process, polls included. */
function idleStreamCost(batches: number, before: Sample, after: Sample): string[] {
  const each = (group: string) => ms((cpuBetween(before, after, group) * 1000) / batches);
  return [
    `CPU per small batch on the idle stack (${batches} batches, their POST and polls; ${seconds((after.at - before.at) / 1000)}): ` +
      `API ${each("api")}, worker ${each("worker")}, PostgreSQL backends ${each(POSTGRES_BACKENDS)}, Redis ${each("redis-server")}, the benchmark's client ${each("bench (this process)")}.`,
    "",
  ];
}

async function sendBigBatch(stack: SalvoStack, options: SalvoOptions, takeNumbers: (n: number) => string[]) {
  const { sampler } = stack;
  const { log } = options;
  log(`building the ${count(options.recipients)}-recipient body`);
  const body = jsonBody(takeNumbers(options.recipients));
  log(`POST of ${count(options.recipients)} recipients (${megabytes(Buffer.byteLength(body))} of JSON)`);
  const postgresBefore = await stack.postgresCounters();
  const before = sampler.mark();
  sampler.phase("million: accepting");
  const posted = await postBatch(stack, body, 300_000);
  sampler.phase("million: sending");
  log(`answered in ${ms(posted.ms)}; firing ${options.streamRate} small batches/s from another account`);
  const stream = startStream(stack.small.client, options, takeNumbers);
  const progress: { at: number; settled: number }[] = [{ at: before.at, settled: 0 }];
  let logged = performance.now();
  const done = await pollBatch(stack.big.client, posted.id, {
    timeoutMs: 600_000,
    everyMs: 250,
    onPoll: (a) => {
      progress.push({ at: performance.now(), settled: a.total - a.pending });
      if (performance.now() - logged < 5_000) return;
      logged = performance.now();
      log(`  ${count(a.total - a.pending)} / ${count(a.total)} settled`);
    },
  });
  stream.stop();
  const after = sampler.mark();
  const postgresAfter = await stack.postgresCounters();
  const footprint = await stack.redisFootprint();
  const completedAfter = (Date.parse(done.completed_at ?? "") - posted.startedAt) / 1000;
  log(
    `completed after ${seconds(completedAfter)}; waiting for the last small batches and the delivery reports`,
  );
  const small = await stream.finished();
  sampler.phase("after the million");

  // Informative: how long the delivery reports take to be applied (waited for, up to 30 s more).
  const reported = await pollBatch(stack.big.client, posted.id, {
    timeoutMs: 30_000,
    everyMs: 250,
    until: (a) => a.delivered + a.undelivered >= a.sent,
  }).catch(() => stack.big.client.batches.get(posted.id).then(({ body }) => body.data.attributes));
  const elapsed = seconds((Date.now() - posted.startedAt) / 1000);
  const dlrs =
    reported.delivered + reported.undelivered >= reported.sent
      ? elapsed
      : `${count(reported.delivered + reported.undelivered)} of ${count(reported.sent)} after ${elapsed}`;
  const postgres = {
    walBytes: postgresAfter.walBytes - postgresBefore.walBytes,
    checkpoints: postgresAfter.checkpoints - postgresBefore.checkpoints,
  };
  return { posted, done, completedAfter, dlrs, small, progress, before, after, footprint, postgres };
}

function summarize(
  stack: SalvoStack,
  options: SalvoOptions,
  timed: { alone: TimedPosts; streamed: TimedPosts | undefined },
  { batches: idle, cpu: idleCpu }: Awaited<ReturnType<typeof idleStream>>,
  big: Awaited<ReturnType<typeof sendBigBatch>>,
): SalvoResults {
  const { sampler } = stack;
  sampler.stop();
  const { small } = big;
  const posts = timed.alone.posts;
  const streamed = timed.streamed?.posts ?? [];
  const postMs = small.map((s) => s.postMs);
  const completeMs = small.map((s) => s.completeMs ?? Number.POSITIVE_INFINITY);
  const pickedUpMs = small.map((s) => s.pickedUpMs ?? Number.POSITIVE_INFINITY);
  const errors = small.flatMap((s) => (s.error ? [s.error] : []));
  const pollMs = small.flatMap((s) => s.polls.map((p) => p.ms));
  const allSent = big.done.total === options.recipients && big.done.sent === options.recipients;
  const report = [
    `POSTs of ${count(options.postSize)} recipients (each sent to the end before the next):`,
    "",
    table(
      ["#", "answered in", "POST → completed", "messages/s"],
      posts.map((p, i) => [String(i + 1), ms(p.ms), seconds(p.seconds), count(options.postSize / p.seconds)]),
    ),
    "",
    `CPU meanwhile (${seconds((timed.alone.after.at - timed.alone.before.at) / 1000)}):`,
    "",
    cpuTable(timed.alone.before, timed.alone.after),
    ...(timed.streamed === undefined
      ? []
      : [
          "",
          `The same POSTs while the other account fires the stream of small batches that runs beside the million (${options.streamRate}/s):`,
          "",
          table(
            ["#", "answered in", "POST → completed", "messages/s"],
            streamed.map((p, i) => [
              String(i + 1),
              ms(p.ms),
              seconds(p.seconds),
              count(options.postSize / p.seconds),
            ]),
          ),
          "",
          `CPU meanwhile (${seconds((timed.streamed.after.at - timed.streamed.before.at) / 1000)}):`,
          "",
          cpuTable(timed.streamed.before, timed.streamed.after),
        ]),
    "",
    `The ${count(options.recipients)}-recipient batch:`,
    "",
    table(
      ["POST answered in", "POST → completed", "messages/s", "POST → every DLR applied", "final counts"],
      [
        [
          ms(big.posted.ms),
          seconds(big.completedAfter),
          count(options.recipients / big.completedAfter),
          big.dlrs,
          describeCounts(big.done),
        ],
      ],
    ),
    "",
    ...(small.length === 0
      ? ["No small batches were fired (--stream-rate 0).", ""]
      : [
          `Small batches fired meanwhile (${options.streamSize} recipients, ${options.streamRate}/s, each polled every ${options.pollMs} ms until completed):`,
          "",
          table(
            ["", "count", "p50", "p99", "max"],
            [
              spread("POST answered in", postMs),
              spread("POST → taken up by the worker (status leaves accepted)", pickedUpMs),
              spread("POST → completed", completeMs),
              spread("GET of a batch (the polls)", pollMs),
              spread(
                `the same stream on the idle stack, ${IDLE_STREAM_MS / 1000} s before the million: POST answered in`,
                idle.map((s) => s.postMs),
              ),
              spread(
                "the same on the idle stack: POST → completed",
                idle.map((s) => s.completeMs ?? Number.POSITIVE_INFINITY),
              ),
            ],
          ),
          "",
          `Errors: ${errors.length}${errors.length > 0 ? ` (first 5: ${errors.slice(0, 5).join("; ")})` : ""}.`,
          "",
          ...(idleCpu === undefined ? [] : idleStreamCost(idle.length, idleCpu.before, idleCpu.after)),
        ]),
    `Timeline of the ${count(options.recipients)} (rows of ${TIMELINE_STEP_MS / 1000} s from its POST; CPU in cores; memory peaks):`,
    "",
    timeline(sampler, big),
    "",
    "The run's Redis keys when the big batch completed, by kind (MEMORY USAGE):",
    "",
    footprintTable(big.footprint),
    "",
    "Peak resident memory (VmRSS) and Redis used_memory, per phase:",
    "",
    memoryTable(sampler),
    "",
    `CPU from the POST of the ${count(options.recipients)} to its completion (${seconds((big.after.at - big.before.at) / 1000)}):`,
    "",
    cpuTable(big.before, big.after),
    "",
    `PostgreSQL meanwhile (server-wide): ${megabytes(big.postgres.walBytes)} of WAL written (${count(big.postgres.walBytes / options.recipients)} bytes per recipient), ${big.postgres.checkpoints} checkpoint(s).`,
  ];

  const during = (s: Sample) => s.phase === "million: accepting" || s.phase === "million: sending";
  const perMillion = (group: string) =>
    (cpuBetween(big.before, big.after, group) * 1_000_000) / options.recipients;
  const cpu = {
    api: perMillion("api"),
    worker: perMillion("worker"),
    postgres: perMillion(POSTGRES_BACKENDS),
    redis: perMillion("redis-server"),
  };
  return {
    big: {
      seconds: big.completedAfter,
      perSecond: options.recipients / big.completedAfter,
      acceptMs: big.posted.ms,
      allSent,
    },
    posts: {
      median: median([...posts, ...streamed].map((p) => p.ms)),
      max: max([...posts, ...streamed].map((p) => p.ms)),
      count: posts.length + streamed.length,
    },
    stream: streamFigures(small),
    idle: streamFigures(idle),
    postRate: median(posts.map((p) => options.postSize / p.seconds)),
    postRateStreamed:
      streamed.length === 0 ? undefined : median(streamed.map((p) => options.postSize / p.seconds)),
    cpuPerMillion: { ...cpu, total: cpu.api + cpu.worker + cpu.postgres + cpu.redis },
    memory: {
      workerPeak: sampler.peak((s) => s.rss.get("worker")),
      apiPeakMillion: sampler.peak((s) => s.rss.get("api"), during),
      apiPeakAccepting: sampler.peak(
        (s) => s.rss.get("api"),
        (s) => s.phase === "million: accepting",
      ),
      redisPeak: sampler.peak((s) => s.redis),
      redisBefore: sampler.peak(
        (s) => s.redis,
        (s) => s.phase === "start",
      ),
    },
    report: report.join("\n"),
    versions: stack.versions,
  };
}

/** A stream's batches, POST latency and POST → completed, as the targets read them. */
function streamFigures(small: SmallBatch[]): SalvoResults["stream"] {
  const postMs = small.map((s) => s.postMs);
  const completeMs = small.map((s) => s.completeMs ?? Number.POSITIVE_INFINITY);
  return {
    batches: small.length,
    errors: small.filter((s) => s.error).length,
    post: { p50: percentile(postMs, 50), p99: percentile(postMs, 99), max: max(postMs) },
    complete: { p50: percentile(completeMs, 50), p99: percentile(completeMs, 99), max: max(completeMs) },
  };
}

function footprintTable(groups: { group: string; keys: number; bytes: number }[]): string {
  const total = groups.reduce((sum, g) => ({ keys: sum.keys + g.keys, bytes: sum.bytes + g.bytes }), {
    keys: 0,
    bytes: 0,
  });
  const shown = groups.slice(0, 8).map((g) => [g.group, count(g.keys), megabytes(g.bytes)]);
  if (groups.length > 8) shown.push([`${groups.length - 8} more kinds`, "", ""]);
  return table(["keys", "count", "memory"], [...shown, ["all", count(total.keys), megabytes(total.bytes)]]);
}

/** A row: label, how many values, their p50, p99 and max in ms. */
function spread(label: string, values: number[]): string[] {
  return [label, count(values.length), ...[50, 99, 100].map((p) => ms(percentile(values, p)))];
}

/** "sent 1,000,000 of 1,000,000" when every message was sent, else every non-zero count. */
function describeCounts(batch: BatchAttributes): string {
  if (batch.sent === batch.total) return `sent ${count(batch.sent)} of ${count(batch.total)}`;
  const parts = BATCH_TOTAL_PARTS.filter((key) => batch[key] > 0).map((key) => `${key} ${count(batch[key])}`);
  return `NOT ALL SENT: total ${count(batch.total)}, ${parts.join(", ")}`;
}

function memoryTable(sampler: Sampler): string {
  const rows = sampler.phases().map((phase) => {
    const inPhase = (s: Sample) => s.phase === phase;
    return [
      phase,
      megabytes(sampler.peak((s) => s.rss.get("api"), inPhase)),
      megabytes(sampler.peak((s) => s.rss.get("worker"), inPhase)),
      megabytes(sampler.peak((s) => s.redis, inPhase)),
    ];
  });
  return table(["phase", "API RSS", "worker RSS", "Redis used_memory (whole server)"], rows);
}

/**
 * The big batch over time, in two tables: its sending rate and how the small
 * batches fired in the same seconds fared; then who used the CPU (in cores) and
 * how memory grew.
 */
function timeline(sampler: Sampler, big: Awaited<ReturnType<typeof sendBigBatch>>): string {
  const { before, after, progress, small } = big;
  const lastBefore = <T extends { at: number }>(list: T[], at: number) =>
    list.findLast((item) => item.at <= at) ?? (list[0] as T);
  const traffic: string[][] = [];
  const resources: string[][] = [];
  for (let from = before.at, to = from; from < after.at; from = to) {
    // The last row takes a remainder under a second rather than a row of its own.
    to = after.at - (from + TIMELINE_STEP_MS) < 1_000 ? after.at : from + TIMELINE_STEP_MS;
    const span = (to - from) / 1000;
    const label = `${((from - before.at) / 1000).toFixed(0)}–${((to - before.at) / 1000).toFixed(0)}`;
    const fired = small.filter((s) => s.firedAt >= from && s.firedAt < to);
    const polls = small.flatMap((s) => s.polls.filter((p) => p.at >= from && p.at < to).map((p) => p.ms));
    traffic.push([
      label,
      count((lastBefore(progress, to).settled - lastBefore(progress, from).settled) / span),
      String(fired.length),
      ms(median(fired.map((s) => s.postMs))),
      ms(max(fired.map((s) => s.postMs))),
      ms(max(fired.map((s) => s.pickedUpMs ?? Number.POSITIVE_INFINITY))),
      ms(max(fired.map((s) => s.completeMs ?? Number.POSITIVE_INFINITY))),
      count(polls.length / span),
      ms(median(polls)),
    ]);

    const [a, b] = [lastBefore(sampler.samples, from), lastBefore(sampler.samples, to)];
    const cores = (...groups: string[]) =>
      (groups.reduce((sum, g) => sum + cpuBetween(a, b, g), 0) / ((b.at - a.at) / 1000 || 1)).toFixed(2);
    const inSpan = (s: Sample) => s.at >= from && s.at <= to;
    resources.push([
      label,
      cores("api"),
      cores("worker"),
      cores("postgres: bench database backends", "postgres: server processes"),
      cores("redis-server"),
      megabytes(sampler.peak((s) => s.rss.get("api"), inSpan)),
      megabytes(sampler.peak((s) => s.rss.get("worker"), inSpan)),
      megabytes(sampler.peak((s) => s.redis, inSpan)),
    ]);
  }
  return [
    table(
      [
        "s",
        "big: settled/s",
        "small fired",
        "POST p50",
        "POST max",
        "→ taken up max",
        "→ completed max",
        "their GETs/s",
        "GET p50",
      ],
      traffic,
    ),
    "",
    table(
      ["s", "api cores", "worker", "postgres", "redis", "API RSS peak", "worker RSS", "Redis used_memory"],
      resources,
    ),
  ].join("\n");
}

/** POSTs a prepared JSON body as the big account; the time covers sending it and reading the answer. */
export async function postBatch(
  stack: SalvoStack,
  body: string,
  timeoutMs = 60_000,
): Promise<{ id: string; ms: number; startedAt: number }> {
  const startedAt = Date.now();
  const started = performance.now();
  const response = await fetch(`${stack.apiUrl}/v1/batches`, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${stack.big.token}` },
    body,
    signal: AbortSignal.timeout(timeoutMs),
  });
  const text = await response.text();
  const elapsed = performance.now() - started;
  if (response.status !== 202) {
    throw new Error(`POST /v1/batches answered ${response.status}: ${text.slice(0, 300)}`);
  }
  const answer = JSON.parse(text) as { data: { batch_id: string } };
  return { id: answer.data.batch_id, ms: elapsed, startedAt };
}

/** Polls a batch until `until` holds (by default: it is completed) and returns its attributes. */
export function pollBatch(
  client: Salvo,
  id: string,
  options: {
    timeoutMs: number;
    everyMs?: number;
    until?: (attributes: BatchAttributes) => boolean;
    onPoll?: (attributes: BatchAttributes) => void;
  },
): Promise<BatchAttributes> {
  const until = options.until ?? ((a) => a.status === "completed");
  return waitFor(
    `batch ${id}`,
    async () => {
      const { body } = await client.batches.get(id);
      options.onPoll?.(body.data.attributes);
      return until(body.data.attributes) ? body.data.attributes : undefined;
    },
    options.timeoutMs,
    options.everyMs ?? 100,
  );
}

interface SmallBatch {
  firedAt: number;
  postMs: number;
  /** Each poll: when it started and how long the GET took. */
  polls: { at: number; ms: number }[];
  /** From the start of the POST until a poll saw a worker had taken it up (no longer `accepted`). */
  pickedUpMs?: number;
  /** From the start of the POST until a poll saw it completed. */
  completeMs?: number;
  error?: string;
}

/**
 * Fires `streamRate` small batches a second on a fixed schedule (a slow answer does
 * not slow the stream down), and polls each until it completes.
 */
function startStream(client: Salvo, options: SalvoOptions, takeNumbers: (n: number) => string[]) {
  const results: SmallBatch[] = [];
  const inFlight = new Set<Promise<void>>();
  const interval = 1000 / options.streamRate;
  const origin = performance.now();
  let fired = 0;
  let timer: NodeJS.Timeout | undefined;

  const one = async (recipients: string[]) => {
    const started = performance.now();
    const result: SmallBatch = { firedAt: started, postMs: Number.POSITIVE_INFINITY, polls: [] };
    results.push(result);
    try {
      const { body } = await client.batches.create({ from: SENDER, body: BODY, recipients });
      result.postMs = performance.now() - started;
      for (;;) {
        await sleep(options.pollMs);
        const polled = performance.now();
        const { body: batch } = await client.batches.get(body.data.batch_id);
        result.polls.push({ at: polled, ms: performance.now() - polled });
        if (batch.data.attributes.status !== "accepted") result.pickedUpMs ??= performance.now() - started;
        if (batch.data.attributes.status === "completed") {
          result.completeMs = performance.now() - started;
          return;
        }
        if (performance.now() - started > 60_000) throw new Error("not completed after 60 s");
      }
    } catch (error) {
      result.error = error instanceof Error ? error.message : String(error);
    }
  };
  const tick = () => {
    const job = one(takeNumbers(options.streamSize));
    inFlight.add(job);
    void job.finally(() => inFlight.delete(job));
    fired++;
    timer = setTimeout(tick, Math.max(0, origin + fired * interval - performance.now()));
  };
  if (options.streamRate > 0) tick();

  return {
    stop: () => clearTimeout(timer),
    /** Waits for every batch fired to complete (or fail) and returns them all. */
    async finished(): Promise<SmallBatch[]> {
      await Promise.all(inFlight);
      return results;
    },
  };
}
