// A whole Salvo for one benchmark run, started the way an operator starts it: a
// fresh database migrated with `pnpm db:migrate`, a Redis prefix of its own (on one
// server, or on a Redis Cluster with `redisClusterNodes`), the API and ONE worker
// (or `workers`) as child processes (simulator provider, unthrottled unless
// `appEnv` says otherwise), two accounts. Stopping it stops the processes (also
// those started later with `startApp`), drops the database and deletes the keys.
import { randomBytes } from "node:crypto";
import path from "node:path";
import { newIdAt } from "@salvo/core";
import { createStore } from "@salvo/db";
import { closeRedis, createRedis, type RedisClient } from "@salvo/queue";
import { Salvo } from "@salvo/sdk";
import {
  appNodeArgs,
  buildApps,
  type Child,
  cleanUpOnInterrupt,
  freePort,
  startChild,
  waitFor,
} from "./children";
import { queryRows } from "./postgres";
import { processes } from "./proc";
import { type ProcessGroup, Sampler } from "./sampler";
import { count, seconds } from "./stats";

const root = path.join(import.meta.dirname, "../..");

export interface SalvoStack {
  apiUrl: string;
  api: Child;
  worker: Child;
  /** Every worker started with the stack (`worker` is the first). */
  workers: Child[];
  /** Starts one more worker, or the API again on its port (after it died). */
  startApp(name: "api" | "worker"): Child;
  databaseUrl: string;
  redisPrefix: string;
  sampler: Sampler;
  /** Sends the big batches (its token is also used for raw POSTs). */
  big: { client: Salvo; token: string; accountId: string };
  /** Another account: the stream of small batches. */
  small: { client: Salvo; token: string; accountId: string };
  versions: Record<string, string>;
  /** PostgreSQL's WAL position (bytes) and checkpoint count now: server-wide, so other users' writes count too. */
  postgresCounters(): Promise<{ walBytes: number; checkpoints: number }>;
  /** The run's Redis keys now, grouped by kind, with their memory, largest first. */
  redisFootprint(): Promise<{ group: string; keys: number; bytes: number }[]>;
  stop(): Promise<void>;
}

export async function startSalvoStack(options: {
  databaseUrl: string;
  redisUrl: string;
  /** Every primary (`host:port`) of the Redis Cluster `redisUrl` is a node of; none: one server. */
  redisClusterNodes?: readonly string[];
  log(line: string): void;
  /** Worker processes (1). */
  workers?: number;
  /** More settings for the API and the workers. */
  appEnv?: Record<string, string>;
  /** Each line the API and the workers write. */
  onAppLine?(app: "api" | "worker", line: string): void;
  /** More processes for the sampler (e.g. a peer the workers send to). */
  sampled?: ProcessGroup[];
  /** Message rows of older batches written before the apps start (see prefillMessages). */
  prefill?: number;
}): Promise<SalvoStack> {
  const { log } = options;
  const suffix = randomBytes(4).toString("hex");
  const databaseName = `salvo_bench_${suffix}`;
  const databaseUrl = withDatabase(options.databaseUrl, databaseName);
  const redisPrefix = `salvo-bench-${suffix}`;
  // The server's own database: to drop the run's, and to read server-wide settings and counters.
  const server = withDatabase(options.databaseUrl, "postgres");
  const cluster = options.redisClusterNodes !== undefined;
  const redis = createRedis(options.redisUrl, {
    blocking: true,
    name: "salvo-bench",
    cluster,
    clusterNodes: options.redisClusterNodes,
  });
  // Undone in reverse order, whatever happened.
  const cleanups: (() => Promise<unknown>)[] = [() => closeRedis(redis)];
  let stopping: Promise<void> | undefined;
  const stop = () => {
    stopping ??= (async () => {
      for (const cleanup of cleanups.reverse()) {
        await cleanup().catch((error: Error) => log(`cleanup: ${error.message}`));
      }
    })();
    return stopping;
  };
  const release = cleanUpOnInterrupt(stop);
  cleanups.push(async () => release());

  try {
    log(`database ${databaseName}: creating and migrating (pnpm db:migrate)`);
    cleanups.push(async () => {
      await queryRows(server, `DROP DATABASE IF EXISTS ${databaseName} WITH (FORCE)`);
      log(`dropped database ${databaseName}`);
    });
    const migrate = startChild("migrate", "pnpm", ["--silent", "db:migrate"], {
      cwd: root,
      env: { ...process.env, DATABASE_URL: databaseUrl },
    });
    if ((await migrate.exited) !== 0) throw new Error(`pnpm db:migrate failed:\n${migrate.tail()}`);
    await buildApps();

    cleanups.push(async () => {
      const deleted = await deleteKeys(redis, redisPrefix);
      log(`deleted ${count(deleted)} Redis keys under ${redisPrefix}:`);
    });
    const store = createStore(databaseUrl, { poolSize: 1, name: "salvo-bench" });
    cleanups.push(() => store.close());
    // Credits for everything, and API limits far above what the benchmark asks
    // (the small account polls each of its batches every 50 ms).
    const big = await store.accounts.create({ name: "bench-big", credits: 50_000_000, apiRateLimit: 10_000 });
    const small = await store.accounts.create({
      name: "bench-small",
      credits: 1_000_000,
      apiRateLimit: 10_000,
    });
    if (options.prefill) await prefillMessages(databaseUrl, big.account.id, options.prefill, log);

    const port = await freePort();
    const env = {
      PATH: process.env.PATH,
      DATABASE_URL: databaseUrl,
      REDIS_URL: options.redisUrl,
      ...(cluster && {
        REDIS_CLUSTER: "true",
        REDIS_CLUSTER_NODES: options.redisClusterNodes?.join(","),
      }),
      REDIS_PREFIX: redisPrefix,
      LOG_LEVEL: "warn",
      ...options.appEnv,
    };
    const startApp = (name: "api" | "worker") => {
      const child = startChild(name, process.execPath, appNodeArgs(), {
        cwd: path.join(root, "apps", name),
        env: name === "api" ? { ...env, HOST: "127.0.0.1", PORT: String(port) } : env,
        onLine: options.onAppLine && ((line) => options.onAppLine?.(name, line)),
      });
      cleanups.push(() => child.stop());
      return child;
    };
    const workerCount = options.workers ?? 1;
    const api = startApp("api");
    const workers = Array.from({ length: workerCount }, () => startApp("worker"));
    const worker = workers[0] as Child;
    const apiUrl = `http://127.0.0.1:${port}`;
    const anonymous = new Salvo({ baseUrl: apiUrl, timeoutMs: 2_000 });
    await waitFor(
      `the API to be ready with ${workerCount} worker(s)`,
      async () => {
        for (const child of [api, ...workers]) {
          if (child.process.exitCode !== null) throw new Error(`${child.name} exited:\n${child.tail()}`);
        }
        const health = (await anonymous.ready().catch(() => undefined)) as { workers?: number } | undefined;
        return health?.workers === workerCount ? true : undefined;
      },
      60_000,
      100,
    );
    log(
      `API ${apiUrl} (pid ${api.pid}) and ${workerCount} worker(s) (pid ${workers.map((w) => w.pid).join(", ")}) ready; Redis prefix ${redisPrefix}`,
    );

    // Per server from here on: a cluster's keys, memory and CPU are spread over its primaries.
    const servers = await redisServers(redis);
    const serverInfo = await Promise.all(servers.map((server) => server.info("server")));
    const redisInfo = serverInfo[0] ?? "";
    const redisPids = serverInfo
      .map((info) => Number(info.match(/^process_id:(\d+)/m)?.[1]))
      .filter(Number.isFinite);
    const [version] = await queryRows<{ server_version: string }>(server, "SHOW server_version");
    // The settings that move write-heavy figures most, printed with them.
    const [settings] = await queryRows<{ line: string }>(
      server,
      `SELECT string_agg(name || '=' || current_setting(name), ' ' ORDER BY name) AS line FROM pg_settings
        WHERE name IN ('shared_buffers', 'synchronous_commit', 'fsync', 'autovacuum', 'max_wal_size')`,
    );
    const [appendonly, save] = await Promise.all([
      servers[0]?.config("GET", "appendonly"),
      servers[0]?.config("GET", "save"),
    ]);
    const sampler = new Sampler(
      [
        { name: "api", pids: () => [api.pid], rss: true },
        { name: "worker", pids: () => [worker.pid], rss: true },
        ...postgresGroups(databaseName),
        { name: "redis-server", pids: () => redisPids },
        ...(options.sampled ?? []),
        { name: "bench (this process)", pids: () => [process.pid] },
      ],
      redis,
    );
    sampler.start();
    cleanups.push(async () => sampler.stop());

    const client = (account: { token: string; account: { id: string } }) => ({
      client: new Salvo({ baseUrl: apiUrl, token: account.token, timeoutMs: 60_000 }),
      token: account.token,
      accountId: account.account.id,
    });
    return {
      apiUrl,
      api,
      worker,
      workers,
      startApp,
      databaseUrl,
      redisPrefix,
      sampler,
      big: client(big),
      small: client(small),
      versions: {
        PostgreSQL: String(version?.server_version),
        "PostgreSQL settings": String(settings?.line),
        Redis: `${redisInfo.match(/^redis_version:(\S+)/m)?.[1] ?? "unknown"}${cluster ? `, a Redis Cluster of ${servers.length} primaries` : ""}`,
        "Redis settings": `appendonly=${(appendonly as string[])[1]} save="${(save as string[])[1]}"`,
      },
      postgresCounters: () => postgresCounters(server),
      redisFootprint: () => redisFootprint(redis, redisPrefix),
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}

/** `server`: the URL of a database on the server (any: the counters are server-wide). */
async function postgresCounters(server: string) {
  const [wal] = await queryRows<{ bytes: string }>(server, "SELECT pg_current_wal_lsn() - '0/0' AS bytes");
  // pg_stat_bgwriter until PostgreSQL 16, pg_stat_checkpointer from 17.
  const [checkpoints] = await queryRows<{ n: string | number }>(
    server,
    "SELECT checkpoints_timed + checkpoints_req AS n FROM pg_stat_bgwriter",
  )
    .catch(() =>
      queryRows<{ n: string | number }>(
        server,
        "SELECT num_timed + num_requested AS n FROM pg_stat_checkpointer",
      ),
    )
    .catch(() => [{ n: Number.NaN }]);
  return { walBytes: Number(wal?.bytes), checkpoints: Number(checkpoints?.n) };
}

/**
 * PostgreSQL's processes, in two groups: the backends serving the benchmark's
 * database (their title names it) and the server's own (WAL writer,
 * checkpointer…). Backends of other databases (other people's tests) are left out.
 */
/** The sampler's group of the PostgreSQL backends serving the benchmark's database. */
export const POSTGRES_BACKENDS = "postgres: bench database backends";

function postgresGroups(databaseName: string) {
  let scannedAt = 0;
  let found = { ours: [] as number[], shared: [] as number[] };
  // Both groups are asked at every sample: one scan of /proc serves the two.
  const scan = () => {
    if (performance.now() - scannedAt < 200) return found;
    scannedAt = performance.now();
    found = { ours: [], shared: [] };
    for (const { pid, cmdline } of processes()) {
      if (!/^postgres:|\/bin\/postgres(?: |$)/.test(cmdline)) continue;
      if (cmdline.includes(` ${databaseName} `) || cmdline.endsWith(` ${databaseName}`)) found.ours.push(pid);
      // "postgres: <cluster>: <user> <database> <client> <state>" is a client backend.
      else if (!/^postgres: (?:\S+: )?\S+ \S+ (?:\d|\[local\])/.test(cmdline)) found.shared.push(pid);
    }
    return found;
  };
  return [
    { name: POSTGRES_BACKENDS, pids: () => scan().ours },
    { name: "postgres: server processes", pids: () => scan().shared },
  ];
}

function withDatabase(url: string, database: string): string {
  const parsed = new URL(url);
  parsed.pathname = `/${database}`;
  return parsed.toString();
}

/** The servers behind a connection: a cluster's primaries (once it knows them), or the one server. */
async function redisServers(redis: RedisClient) {
  if (!("nodes" in redis)) return [redis];
  await waitFor("the Redis Cluster's slots", () => (redis.status === "ready" ? true : undefined), 30_000);
  return redis.nodes("master");
}

async function deleteKeys(redis: RedisClient, prefix: string): Promise<number> {
  let deleted = 0;
  for (const server of await redisServers(redis)) {
    let cursor = "0";
    do {
      const [next, keys] = await server.scan(cursor, "MATCH", `${prefix}:*`, "COUNT", 1000);
      // One key a command: a cluster refuses a DEL of keys in different slots.
      const pipeline = server.pipeline();
      for (const key of keys) pipeline.unlink(key);
      for (const [, removed] of (await pipeline.exec()) ?? []) deleted += Number(removed ?? 0);
      cursor = next;
    } while (cursor !== "0");
  }
  return deleted;
}

/** BullMQ's per-queue keys; any other key under a queue belongs to one job. */
const QUEUE_KEYS = new Set(
  "wait active delayed prioritized paused completed failed events meta id marker pc stalled stalled-check limiter de repeat".split(
    " ",
  ),
);

/** A key's kind; queue keys read `q:{<queue>}:<queue>:<kind or job id>`. */
function keyGroup(key: string): string {
  const [first, , queue, kind] = key.split(":");
  if (first !== "q" || queue === undefined) return `${first}:…`;
  return QUEUE_KEYS.has(kind ?? "") ? `q:${queue}:${kind}` : `q:${queue}:<job>…`;
}

async function redisFootprint(redis: RedisClient, prefix: string) {
  const groups = new Map<string, { group: string; keys: number; bytes: number }>();
  for (const server of await redisServers(redis)) {
    let cursor = "0";
    do {
      const [next, keys] = await server.scan(cursor, "MATCH", `${prefix}:*`, "COUNT", 1000);
      cursor = next;
      const pipeline = server.pipeline();
      for (const key of keys) pipeline.memory("USAGE", key);
      const usage = (await pipeline.exec()) ?? [];
      keys.forEach((key, i) => {
        const group = keyGroup(key.slice(prefix.length + 1));
        const entry = groups.get(group) ?? { group, keys: 0, bytes: 0 };
        entry.keys++;
        entry.bytes += Number(usage[i]?.[1] ?? 0);
        groups.set(group, entry);
      });
    } while (cursor !== "0");
  }
  return [...groups.values()].sort((a, b) => b.bytes - a.bytes);
}

/**
 * Writes `rows` message rows of older batches (delivered, in batches of a million,
 * a month or more ago) for `accountId`, as a year of traffic would leave them:
 * `pnpm bench -- --prefill 10000000` measures the pipeline on a table that has
 * grown (issue 18's scale target). One INSERT … SELECT per 100,000 rows. The
 * numbers are distinct, scattered as real traffic's are (so `messages("to")`
 * grows as it would), and none is one the benchmark sends to (+337…, where
 * frenchMobiles gives +336…).
 */
async function prefillMessages(
  databaseUrl: string,
  accountId: string,
  rows: number,
  log: (line: string) => void,
): Promise<void> {
  const started = performance.now();
  log(`prefilling ${count(rows)} message rows of older batches`);
  const BATCH = 1_000_000;
  const SLICE = 100_000;
  for (let first = 0, n = 0; first < rows; first += BATCH, n++) {
    const size = Math.min(BATCH, rows - first);
    // Batch ids are ULIDs, ordered by time: these are older than any the run makes.
    const createdAt = Date.now() - (31 + n) * 24 * 3600 * 1000;
    const id = newIdAt("bat", createdAt);
    await queryRows(
      databaseUrl,
      `INSERT INTO batches (id, account_id, type, sender, body, segments, status, total, chunk_count, reserved,
                            pending, sent, delivered, cost, created_at, updated_at, completed_at)
       VALUES ($1, $2, 'transactional', 'SALVO', 'An older campaign', 1, 'completed', $3, $4, $3, 0, $3, $3, $3,
               to_timestamp($5 / 1000.0), to_timestamp($5 / 1000.0), to_timestamp($5 / 1000.0) + interval '1 hour')`,
      [id, accountId, size, Math.ceil(size / 1_000), createdAt],
    );
    for (let from = 0; from < size; from += SLICE) {
      await queryRows(
        databaseUrl,
        `INSERT INTO messages (batch_id, idx, account_id, "to", status, segments, cost, created_at, sent_at, done_at, provider_code)
         SELECT $1, i, $2, '+337' || lpad(((($3::bigint + i) * 104729) % 100000000)::text, 8, '0'), 'delivered', 1, 1,
                to_timestamp($4 / 1000.0), to_timestamp($4 / 1000.0), to_timestamp($4 / 1000.0) + interval '1 minute', 'DELIVRD'
           FROM generate_series($5::int, $6::int) AS i`,
        [id, accountId, first, createdAt, from, Math.min(from + SLICE, size) - 1],
      );
    }
    log(`prefilled ${count(first + size)} of ${count(rows)}`);
  }
  await queryRows(databaseUrl, "CHECKPOINT");
  log(`prefilled in ${seconds((performance.now() - started) / 1000)}`);
}
