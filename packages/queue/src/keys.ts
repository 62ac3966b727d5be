/**
 * Every Redis key Salvo writes starts with one prefix (`REDIS_PREFIX`), so several
 * installations or test files can share a Redis, and a prefix in braces (`{salvo}`)
 * keeps every key in one Redis Cluster slot.
 */
export function redisKey(prefix: string, ...parts: string[]): string {
  return [prefix, ...parts].join(":");
}

/**
 * A sorted set of live workers: member = worker id, score = when its heartbeat
 * lapses (ms). A worker that dies simply stops renewing its score.
 */
export function workersKey(prefix: string): string {
  return redisKey(prefix, "workers");
}
