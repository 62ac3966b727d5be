// `pnpm bench:redirects`: tracked short links' redirects under load. Starts a
// whole Salvo (API and one worker, built bundles, LINK_BASE_URL in path mode),
// sends a batch whose every message carries a short link, then follows those
// links with `concurrency` connections at once (autocannon) and reports the
// redirects' latency (p50, p99, max) and rate, then how long until the worker
// has recorded every click. The client runs on the same cores as the API, the
// worker, Redis and PostgreSQL: its share of the CPU is in the figures.
import { pathToFileURL } from "node:url";
import { linkCodec } from "@salvo/core";
import autocannon from "autocannon";
import { commandLine, integerOption, log, out } from "./lib/cli";
import { queryRows } from "./lib/postgres";
import { cpuSeconds } from "./lib/proc";
import { startSalvoStack } from "./lib/salvo-stack";
import { count, ms, seconds, table } from "./lib/stats";

const USAGE = `Usage: pnpm bench:redirects [-- options]

  --recipients N     messages of the batch, each with its own link (default 1000)
  --requests N       redirects followed in all (default 20000)
  --concurrency N    connections at once (default 1000)
  --database-url URL, --redis-url URL   the servers (see pnpm bench --help)`;

const BROWSER =
  "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.0 Mobile/15E148 Safari/604.1";

export interface RedirectOptions {
  databaseUrl: string;
  redisUrl: string;
  recipients: number;
  requests: number;
  concurrency: number;
}

export interface RedirectResults {
  requests: number;
  concurrency: number;
  /** Answers 302. */
  redirected: number;
  /** Answers other than 302, and errors (timeouts, resets). */
  failed: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  perSecond: number;
  /** The API process's CPU time per redirect (its server time, click jobs included). */
  apiCpuMs: number;
  /** From the first request until the worker had recorded every click. */
  allRecordedSeconds: number;
  /** From the last answer until then. */
  recordedAfterSeconds: number;
}

/** Runs the benchmark once; the stack it starts is stopped whatever happens. */
export async function benchRedirects(options: RedirectOptions): Promise<RedirectResults> {
  const stack = await startSalvoStack({
    databaseUrl: options.databaseUrl,
    redisUrl: options.redisUrl,
    log,
    appEnv: { LINK_BASE_URL: "https://s.bench.test/l" },
  });
  try {
    const recipients = Array.from(
      { length: options.recipients },
      (_, i) => `+336${String(10_000_000 + i).padStart(8, "0")}`,
    );
    const { body } = await stack.big.client.batches.create({
      from: "BENCH",
      body: "Vos soldes : https://shop.example/soldes?utm_source=sms",
      recipients,
      shorten_urls: true,
    });
    const batchId = body.data.batch_id;
    await stack.big.client.batches.wait(batchId, { timeoutMs: 120_000 });
    // The codes the messages carry, computed as the worker computed them.
    const [row] = await queryRows<{ base: number; secret: string }>(
      stack.databaseUrl,
      "SELECT b.link_base::float8 AS base, (SELECT secret::text FROM link_counter) AS secret FROM batches b WHERE b.id = $1",
      [batchId],
    );
    if (!row) throw new Error(`batch ${batchId} has no links`);
    const codec = linkCodec(row.secret);
    const paths = recipients.map((_, idx) => `/l/${codec.encode(row.base + idx)}`);
    log(`batch ${batchId}: ${count(paths.length)} links; following ${count(options.requests)} redirects`);

    let next = 0;
    const cpuBefore = cpuSeconds(stack.api.pid) ?? Number.NaN;
    const startedAt = performance.now();
    const result = await autocannon({
      url: stack.apiUrl,
      connections: options.concurrency,
      amount: options.requests,
      headers: { "user-agent": BROWSER },
      requests: [
        { setupRequest: (request) => ({ ...request, path: paths[next++ % paths.length] as string }) },
      ],
    });
    const answeredAt = performance.now();
    const apiCpuSeconds = (cpuSeconds(stack.api.pid) ?? Number.NaN) - cpuBefore;
    const redirected = result["3xx"];
    log(`${count(redirected)} redirected; waiting for the worker to record every click`);
    const recorded = async () => {
      const [clicks] = await queryRows<{ n: number }>(
        stack.databaseUrl,
        "SELECT count(*)::int AS n FROM link_clicks WHERE batch_id = $1",
        [batchId],
      );
      return clicks?.n ?? 0;
    };
    const deadline = Date.now() + 300_000;
    while ((await recorded()) < redirected) {
      if (Date.now() > deadline) throw new Error("the clicks were not all recorded within 5 minutes");
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    const recordedAt = performance.now();
    return {
      requests: result.requests.total,
      concurrency: options.concurrency,
      redirected,
      // autocannon counts timeouts among errors.
      failed: result.requests.total - redirected + result.errors,
      p50Ms: result.latency.p50,
      p99Ms: result.latency.p99,
      maxMs: result.latency.max,
      perSecond: result.requests.average,
      apiCpuMs: (apiCpuSeconds * 1000) / Math.max(1, result.requests.total),
      allRecordedSeconds: (recordedAt - startedAt) / 1000,
      recordedAfterSeconds: (recordedAt - answeredAt) / 1000,
    };
  } finally {
    await stack.stop();
  }
}

/** The results as a table. */
export function redirectsTable(results: RedirectResults): string {
  return table(
    [
      "redirects",
      "connections",
      "302",
      "failed",
      "p50",
      "p99",
      "max",
      "redirects/s",
      "API CPU / redirect",
      "all clicks recorded",
      "after the last answer",
    ],
    [
      [
        count(results.requests),
        count(results.concurrency),
        count(results.redirected),
        count(results.failed),
        ms(results.p50Ms),
        ms(results.p99Ms),
        ms(results.maxMs),
        count(results.perSecond),
        ms(results.apiCpuMs),
        seconds(results.allRecordedSeconds),
        seconds(results.recordedAfterSeconds),
      ],
    ],
  );
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  const { values, databaseUrl, redisUrl } = commandLine(
    {
      recipients: { type: "string", default: "1000" },
      requests: { type: "string", default: "20000" },
      concurrency: { type: "string", default: "1000" },
    },
    USAGE,
  );
  const results = await benchRedirects({
    databaseUrl,
    redisUrl,
    recipients: integerOption("recipients", values.recipients),
    requests: integerOption("requests", values.requests),
    concurrency: integerOption("concurrency", values.concurrency),
  });
  out();
  out(redirectsTable(results));
}
