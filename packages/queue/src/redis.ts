import { Cluster, Redis, type RedisOptions } from "ioredis";

/** A connection to one Redis server or to a Redis Cluster: everything in Salvo takes either. */
export type RedisClient = Redis | Cluster;

interface ConnectOptions {
  /** For BullMQ workers: commands wait for ever while Redis is away instead of failing. */
  blocking?: boolean;
  /** Shown by CLIENT LIST. */
  name?: string;
  /**
   * Connect to a Redis Cluster: its startup nodes are the URL's host:port and
   * `clusterNodes` (`host:port` each); the URL's user, password and `rediss:`
   * apply to every node, which the client finds from the startup nodes.
   */
  cluster?: boolean;
  clusterNodes?: readonly string[];
}

/** Retry with a capped backoff; Redis restarts are survived, not fatal. */
const retry = (attempt: number) => Math.min(attempt * 200, 2_000);

/**
 * A Redis connection. `blocking` connections (BullMQ workers) retry commands for
 * ever while Redis is away; the others fail fast so an HTTP request never hangs
 * on a missing Redis.
 */
export function createRedis(url: string, options?: ConnectOptions & { cluster?: false }): Redis;
export function createRedis(url: string, options: ConnectOptions): RedisClient;
export function createRedis(url: string, options: ConnectOptions = {}): RedisClient {
  if (options.cluster) return createCluster(url, options);
  const common: RedisOptions = {
    connectionName: options.name,
    lazyConnect: false,
    retryStrategy: retry,
  };
  return options.blocking
    ? new Redis(url, { ...common, maxRetriesPerRequest: null, enableReadyCheck: false })
    : new Redis(url, {
        ...common,
        maxRetriesPerRequest: 1,
        enableOfflineQueue: false,
        connectTimeout: 2_000,
      });
}

function createCluster(url: string, options: ConnectOptions): Cluster {
  const parsed = new URL(url);
  const startupNodes = [
    { host: parsed.hostname.replace(/^\[(.*)\]$/, "$1"), port: Number(parsed.port || 6379) },
    ...(options.clusterNodes ?? []).map(parseNode),
  ];
  // Options of every node connection; the cluster client reconnects nodes itself
  // (on MOVED and slot refreshes), so these carry no retry strategy.
  const redisOptions: RedisOptions = {
    connectionName: options.name,
    ...(parsed.username && { username: decodeURIComponent(parsed.username) }),
    ...(parsed.password && { password: decodeURIComponent(parsed.password) }),
    ...(parsed.protocol === "rediss:" && { tls: {} }),
    ...(options.blocking
      ? { maxRetriesPerRequest: null }
      : { maxRetriesPerRequest: 1, connectTimeout: 2_000 }),
  };
  return new Cluster(startupNodes, {
    redisOptions,
    clusterRetryStrategy: retry,
    // As above: blocking connections queue commands while the cluster is away,
    // the others fail at once.
    enableOfflineQueue: options.blocking === true,
  });
}

/** `host:port` (an IPv6 host in brackets: `[::1]:7000`). */
function parseNode(node: string): { host: string; port: number } {
  const colon = node.lastIndexOf(":");
  return { host: node.slice(0, colon).replace(/^\[(.*)\]$/, "$1"), port: Number(node.slice(colon + 1)) };
}

/** Closes a connection, falling back to a hard disconnect when Redis is gone. */
export async function closeRedis(redis: RedisClient): Promise<void> {
  if (redis.status === "end") return;
  try {
    await Promise.race([redis.quit(), new Promise((_, reject) => setTimeout(reject, 1_000).unref())]);
  } catch {
    redis.disconnect();
  }
}
