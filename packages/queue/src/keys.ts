/*
 * Every Redis key Salvo writes starts with one prefix (`REDIS_PREFIX`), so several
 * installations or test files can share a Redis. The keys are laid out for Redis
 * Cluster too: a script or transaction may only touch keys of one hash slot, and
 * the part of a key in braces (its hash tag) decides the slot. So each group of
 * keys used together carries one tag, and groups spread over the cluster:
 *
 *   <prefix>:q:{<queue>}:<queue>:…       one BullMQ queue and its job schedulers (its scripts touch many of its keys)
 *   <prefix>:flood:{<account>}:<hour>:<shard>   anti-flood: one account, every hour and shard
 *   <prefix>:{send-limit}:<limit>        rate-limit schedules (limits may be reserved together)
 *   <prefix>:api-throttle:<rate>:<account>, <prefix>:workers,
 *   <prefix>:installation (which installation owns the prefix),
 *   <prefix>:connector-state:<connector>:<worker> (a worker's view of a connector)   one key a call
 *
 * A prefix with a tag of its own (`{salvo}`) wins over these: every key then
 * hashes to that one slot, which works on a cluster but puts all of Salvo on
 * one node.
 */

/** A key under the installation's prefix: the parts joined with `:`. */
export function redisKey(prefix: string, ...parts: string[]): string {
  return [prefix, ...parts].join(":");
}

/** A key part in braces: keys that share it share a Redis Cluster slot. */
export function hashTag(part: string): string {
  return `{${part}}`;
}

/**
 * A sorted set of live workers: member = worker id, score = when its heartbeat
 * lapses (ms). A worker that dies simply stops renewing its score.
 */
export function workersKey(prefix: string): string {
  return redisKey(prefix, "workers");
}
