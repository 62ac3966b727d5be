// The batches' ranges of tracked link ids, published to Redis so that a redirect
// finds a link's batch without PostgreSQL: a sorted set by first id, each member
// the range as JSON, and the end of the highest range published. Both keys carry
// one hash tag: the lookup reads them together, in one script.
import { hashTag, redisKey } from "./keys";
import { luaScript, runScript } from "./lua";
import type { RedisClient } from "./redis";

/** A batch's range of link ids and what a redirect needs of it. */
export interface PublishedLinkRange {
  batchId: string;
  accountId: string;
  /** Its first link id. */
  base: number;
  /** Link ids in it: messages × URLs. */
  size: number;
  /** Where its links lead, slot by slot. */
  urls: string[];
  /** When its links stop redirecting (epoch ms). */
  expiresAt: number;
}

function rangesKey(prefix: string): string {
  return redisKey(prefix, hashTag("links"), "ranges");
}

function topKey(prefix: string): string {
  return redisKey(prefix, hashTag("links"), "top");
}

// ZADD the range; raise the top to its end.
const PUBLISH = luaScript(`
redis.call('ZADD', KEYS[1], ARGV[1], ARGV[2])
local top = tonumber(redis.call('GET', KEYS[2]) or '0')
if tonumber(ARGV[3]) > top then redis.call('SET', KEYS[2], ARGV[3]) end
return 1`);

// The range with the greatest first id not above ARGV[1], and the top.
const LOOKUP = luaScript(`
local found = redis.call('ZREVRANGEBYSCORE', KEYS[1], ARGV[1], '-inf', 'LIMIT', 0, 1)
return {found[1] or false, redis.call('GET', KEYS[2]) or false}`);

/** Publishes a batch's range (idempotent: publishing it again changes nothing). */
export async function publishLinkRange(redis: RedisClient, prefix: string, range: PublishedLinkRange) {
  await runScript(
    redis,
    PUBLISH,
    [rangesKey(prefix), topKey(prefix)],
    [range.base, JSON.stringify(range), range.base + range.size],
  );
}

/**
 * What Redis knows of link id `id`: the range holding it (null when none
 * published does), and the end of the highest range published (null when Redis
 * has none: flushed, or no batch ever had links). Ranges are taken in increasing
 * order, so an id at or past that end belongs to no batch, as long as Redis
 * holds the top.
 */
export async function lookupLinkRange(
  redis: RedisClient,
  prefix: string,
  id: number,
): Promise<{ range: PublishedLinkRange | null; top: number | null }> {
  const [member, top] = (await runScript(redis, LOOKUP, [rangesKey(prefix), topKey(prefix)], [id])) as [
    string | null,
    string | null,
  ];
  const range = member ? (JSON.parse(member) as PublishedLinkRange) : null;
  return {
    range: range && id < range.base + range.size ? range : null,
    top: top === null ? null : Number(top),
  };
}
