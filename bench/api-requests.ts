// `pnpm bench:api`: the API's cost per request on its two hottest paths, a small
// POST /v1/batches (10 recipients) and GET /v1/batches/:id, sent at a fixed
// concurrency to one API process. Prints requests/s, latency and the API's own
// CPU time per request (from /proc). No worker runs: batches are stored and
// enqueued, never sent. Takes well under a minute; see bench/README.md.
import { randomBytes } from "node:crypto";
import { Agent, request } from "node:http";
import path from "node:path";
import { parseArgs } from "node:util";
import { createTestDatabase } from "@salvo/db/testing";
import { deleteRedisKeys, testRedisUrl } from "@salvo/queue/testing";
import { appNodeArgs, buildApps, cleanUpOnInterrupt, freePort, startChild, waitFor } from "./lib/children";
import { frenchMobiles } from "./lib/numbers";
import { cpuSeconds } from "./lib/proc";
import { count, ms, percentile, table } from "./lib/stats";

const { values: args } = parseArgs({
  args: process.argv.slice(2).filter((arg) => arg !== "--"),
  options: {
    posts: { type: "string", default: "2000" },
    gets: { type: "string", default: "5000" },
    concurrency: { type: "string", default: "8" },
    warmup: { type: "string", default: "500" },
  },
});
const POSTS = Number(args.posts);
const GETS = Number(args.gets);
const CONCURRENCY = Number(args.concurrency);
const WARMUP = Number(args.warmup);

const database = await createTestDatabase();
const redisPrefix = `salvo-bench-api-${randomBytes(4).toString("hex")}`;
const cleanups: (() => Promise<unknown>)[] = [() => database.drop(), () => deleteRedisKeys(redisPrefix)];
const cleanUp = async () => {
  for (const cleanup of cleanups.reverse())
    await cleanup().catch((error: Error) => process.stderr.write(`cleanup: ${error.message}\n`));
};
const release = cleanUpOnInterrupt(cleanUp);

try {
  const { token } = await database.store.accounts.create({
    name: "bench-api",
    credits: 100_000_000,
    apiRateLimit: 1_000_000,
  });
  const port = await freePort();
  await buildApps();
  const api = startChild("api", process.execPath, appNodeArgs(), {
    cwd: path.join(import.meta.dirname, "../apps/api"),
    env: {
      PATH: process.env.PATH,
      DATABASE_URL: database.url,
      REDIS_URL: testRedisUrl,
      REDIS_PREFIX: redisPrefix,
      LOG_LEVEL: "warn",
      HOST: "127.0.0.1",
      PORT: String(port),
    },
  });
  cleanups.push(() => api.stop());

  const agent = new Agent({ keepAlive: true, maxSockets: CONCURRENCY });
  const call = (method: string, urlPath: string, body?: string) =>
    new Promise<{ status: number; text: string }>((resolve, reject) => {
      const req = request(
        {
          agent,
          host: "127.0.0.1",
          port,
          method,
          path: urlPath,
          headers: {
            authorization: `Bearer ${token}`,
            ...(body
              ? { "content-type": "application/json", "content-length": Buffer.byteLength(body) }
              : {}),
          },
        },
        (res) => {
          let text = "";
          res.setEncoding("utf8");
          res.on("data", (chunk: string) => {
            text += chunk;
          });
          res.on("end", () => resolve({ status: res.statusCode ?? 0, text }));
          res.on("error", reject);
        },
      );
      req.on("error", reject);
      req.end(body);
    });

  await waitFor(
    "the API to answer",
    async () => {
      if (api.process.exitCode !== null) throw new Error(`the API exited:\n${api.tail()}`);
      return (await call("GET", "/healthz").catch(() => undefined))?.status === 200 ? true : undefined;
    },
    30_000,
    100,
  );

  const recipients = frenchMobiles(0, 10);
  const batchIds: string[] = [];
  const postBatch = async () => {
    const { status, text } = await call(
      "POST",
      "/v1/batches",
      JSON.stringify({ from: "Salvo", body: "Your code is 1234", recipients }),
    );
    if (status !== 202) throw new Error(`POST /v1/batches answered ${status}: ${text}`);
    batchIds.push((JSON.parse(text) as { data: { batch_id: string } }).data.batch_id);
  };
  let nextGet = 0;
  const getBatch = async () => {
    const id = batchIds[nextGet++ % batchIds.length];
    const { status, text } = await call("GET", `/v1/batches/${id}`);
    if (status !== 200) throw new Error(`GET /v1/batches/:id answered ${status}: ${text}`);
  };

  /** Sends `n` requests, `CONCURRENCY` at a time; the API's CPU is read around them. */
  const run = async (n: number, send: () => Promise<void>) => {
    const latencies: number[] = [];
    let started = 0;
    const cpuBefore = cpuSeconds(api.pid) ?? Number.NaN;
    const t0 = performance.now();
    await Promise.all(
      Array.from({ length: CONCURRENCY }, async () => {
        while (started < n) {
          started++;
          const t = performance.now();
          await send();
          latencies.push(performance.now() - t);
        }
      }),
    );
    const elapsed = (performance.now() - t0) / 1000;
    const cpu = (cpuSeconds(api.pid) ?? Number.NaN) - cpuBefore;
    return { n, perSecond: n / elapsed, latencies, cpuMsPerRequest: (cpu * 1000) / n };
  };

  // JIT, connection pools and Prisma's first queries, left out of the figures.
  await run(WARMUP, postBatch);
  await run(WARMUP, getBatch);
  const results = {
    [`POST /v1/batches (10 recipients) × ${count(POSTS)}`]: await run(POSTS, postBatch),
    [`GET /v1/batches/:id × ${count(GETS)}`]: await run(GETS, getBatch),
  };
  agent.destroy();

  process.stdout.write(`\nOne API process, ${CONCURRENCY} requests in flight, LOG_LEVEL=warn\n\n`);
  process.stdout.write(
    `${table(
      ["request", "requests/s", "p50", "p99", "API CPU ms/request"],
      Object.entries(results).map(([name, r]) => [
        name,
        count(r.perSecond),
        ms(percentile(r.latencies, 50)),
        ms(percentile(r.latencies, 99)),
        r.cpuMsPerRequest.toFixed(3),
      ]),
    )}\n`,
  );
} finally {
  release();
  await cleanUp();
}
