import { type ChildProcess, execFile, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll } from "vitest";
import { closeRedis, createRedis, type RedisClient } from "./redis";

/** The Redis tests run against: REDIS_URL's, or the local default. */
export const testRedisUrl = process.env.REDIS_URL ?? "redis://127.0.0.1:6379";

/** A key prefix of its own for one test file, so files share Redis safely. */
export function testRedisPrefix(): string {
  return `salvo-test-${randomBytes(4).toString("hex")}`;
}

/** What Redis Cluster hashes of a key: the first `{…}` when it is not empty, else the whole key. */
export function hashed(key: string): string {
  const open = key.indexOf("{");
  const close = open < 0 ? -1 : key.indexOf("}", open + 1);
  return close > open + 1 ? key.slice(open + 1, close) : key;
}

/** Deletes every key under a test prefix. */
export async function deleteRedisKeys(prefix: string): Promise<void> {
  const redis = createRedis(testRedisUrl, { blocking: true });
  try {
    let cursor = "0";
    do {
      const [next, keys] = await redis.scan(cursor, "MATCH", `${prefix}:*`, "COUNT", 1000);
      if (keys.length) await redis.del(...keys);
      cursor = next;
    } while (cursor !== "0");
  } finally {
    redis.disconnect();
  }
}

/**
 * For one test file: a Redis connection opened before its tests and closed after
 * them, and a key prefix of its own whose keys are deleted then.
 */
export function useTestRedis(): { readonly prefix: string; readonly redis: RedisClient } {
  const prefix = testRedisPrefix();
  let redis: RedisClient | undefined;
  beforeAll(() => {
    redis = createRedis(testRedisUrl, { blocking: true });
  });
  afterAll(async () => {
    await deleteRedisKeys(prefix);
    if (redis) await closeRedis(redis);
  });
  return {
    prefix,
    get redis() {
      if (!redis) throw new Error("useTestRedis(): the connection exists only while the file's tests run");
      return redis;
    },
  };
}

/**
 * For one test file: a cluster of `primaries` started before its tests and stopped
 * after them, a key prefix of its own, and the nodes holding its keys.
 */
export function useTestCluster(primaries = 3): {
  readonly prefix: string;
  readonly cluster: TestCluster;
  /** The nodes holding keys of this file that start with `start` (after the prefix). */
  nodesWith(start: string): Promise<string[]>;
} {
  const prefix = testRedisPrefix();
  let cluster: TestCluster | undefined;
  beforeAll(async () => {
    cluster = await startTestCluster(primaries);
  });
  afterAll(() => cluster?.stop());
  const started = () => {
    if (!cluster) throw new Error("useTestCluster(): the cluster runs only while the file's tests run");
    return cluster;
  };
  return {
    prefix,
    get cluster() {
      return started();
    },
    nodesWith: (start) => started().nodesWith(prefix, start),
  };
}

/** A throwaway Redis Cluster of local redis-server processes (primaries only, nothing saved). */
export interface TestCluster {
  /** A URL of one of its nodes, for REDIS_URL. */
  url: string;
  /** Every primary, `127.0.0.1:<port>`. */
  nodes: string[];
  /** A client of the whole cluster (closed by stop). */
  client: RedisClient;
  /** Every key under `prefix`, by node. */
  keysByNode(prefix: string): Promise<Map<string, string[]>>;
  /** The nodes holding keys that start with `<prefix>:<start>`. */
  nodesWith(prefix: string, start: string): Promise<string[]>;
  /** Stops the servers and removes their files. */
  stop(): Promise<void>;
}

const run = promisify(execFile);

/**
 * Starts `primaries` redis-server processes in cluster mode on free ports, joins
 * them with `redis-cli --cluster create`, and resolves once every node reports
 * `cluster_state:ok`. Needs redis-server and redis-cli (≥ 5) on the PATH.
 */
export async function startTestCluster(primaries = 3): Promise<TestCluster> {
  for (const program of ["redis-server", "redis-cli"]) {
    await run(program, ["--version"]).catch(() => {
      throw new Error(
        `${program} is not on the PATH: the Redis Cluster tests start their own servers with it`,
      );
    });
  }
  const dir = await mkdtemp(path.join(tmpdir(), "salvo-cluster-"));
  const servers: ChildProcess[] = [];
  let client: RedisClient | undefined;
  const stop = async () => {
    client?.disconnect();
    await Promise.all(
      servers.map(async (server) => {
        if (server.exitCode !== null || server.signalCode !== null) return;
        const exited = new Promise((resolve) => server.once("exit", resolve));
        server.kill("SIGTERM");
        const timer = setTimeout(() => server.kill("SIGKILL"), 5_000);
        await exited;
        clearTimeout(timer);
      }),
    );
    await rm(dir, { recursive: true, force: true });
  };
  try {
    const ports: number[] = [];
    while (ports.length < primaries) {
      const port = await clusterPort();
      if (!ports.includes(port)) ports.push(port);
    }
    const nodes = ports.map((port) => `127.0.0.1:${port}`);
    for (const port of ports) {
      const server = spawn(
        "redis-server",
        [
          ...["--port", String(port), "--bind", "127.0.0.1", "--dir", dir],
          ...["--cluster-enabled", "yes", "--cluster-config-file", `nodes-${port}.conf`],
          ...["--cluster-node-timeout", "5000", "--save", "", "--appendonly", "no"],
          ...["--daemonize", "no", "--loglevel", "warning"],
        ],
        { stdio: "ignore" },
      );
      servers.push(server);
    }
    for (const port of ports)
      await until(`redis-server on port ${port}`, () => answers(port, "PING", "PONG"));
    await run("redis-cli", ["--cluster", "create", ...nodes, "--cluster-replicas", "0", "--cluster-yes"]);
    for (const port of ports) {
      await until(`the cluster to be ok on port ${port}`, () =>
        answers(port, "CLUSTER INFO", "cluster_state:ok"),
      );
    }
    client = createRedis(`redis://${nodes[0]}`, { cluster: true, blocking: true });
    const keysByNode = async (prefix: string) => {
      const byNode = new Map<string, string[]>();
      for (const port of ports) {
        const { stdout } = await run("redis-cli", ["-p", String(port), "--scan", "--pattern", `${prefix}:*`]);
        byNode.set(`127.0.0.1:${port}`, stdout.split("\n").filter(Boolean));
      }
      return byNode;
    };
    return {
      url: `redis://${nodes[0]}`,
      nodes,
      client,
      keysByNode,
      async nodesWith(prefix, start) {
        return [...(await keysByNode(prefix))]
          .filter(([, keys]) => keys.some((key) => key.startsWith(`${prefix}:${start}`)))
          .map(([node]) => node);
      },
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}

/** Whether `redis-cli -p port <command>` prints `expected` (anywhere in its answer). */
async function answers(port: number, command: string, expected: string): Promise<boolean> {
  try {
    const { stdout } = await run("redis-cli", ["-p", String(port), ...command.split(" ")]);
    return stdout.includes(expected);
  } catch {
    return false;
  }
}

async function until(what: string, check: () => Promise<boolean>, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** A free port whose cluster bus port (port + 10000) is free too. */
async function clusterPort(): Promise<number> {
  for (;;) {
    const port = 20_000 + Math.floor(Math.random() * 30_000);
    if ((await isFree(port)) && (await isFree(port + 10_000))) return port;
  }
}

function isFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once("error", () => resolve(false));
    server.listen(port, "127.0.0.1", () => server.close(() => resolve(true)));
  });
}
