// The batches' ranges of tracked link ids, published to Redis so that a redirect
// finds a link's batch without PostgreSQL: a sorted set by first id, each member
// the range as JSON, and the end of the highest range published; a second sorted
// set holds the same members by expiry, so that ranges long expired are pruned
// (pruneLinkRanges). The keys carry one hash tag: scripts read them together.
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

function expiryKey(prefix: string): string {
  return redisKey(prefix, hashTag("links"), "expiry");
}

// ZADD the range, by first id and by expiry; raise the top to its end.
const PUBLISH = luaScript(`
redis.call('ZADD', KEYS[1], ARGV[1], ARGV[2])
redis.call('ZADD', KEYS[3], ARGV[4], ARGV[2])
local top = tonumber(redis.call('GET', KEYS[2]) or '0')
if tonumber(ARGV[3]) > top then redis.call('SET', KEYS[2], ARGV[3]) end
return 1`);

// Removes up to ARGV[2] ranges that expired before ARGV[1]; returns how many.
const PRUNE = luaScript(`
local expired = redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', ARGV[1], 'LIMIT', 0, tonumber(ARGV[2]))
if #expired > 0 then
  redis.call('ZREM', KEYS[1], unpack(expired))
  redis.call('ZREM', KEYS[2], unpack(expired))
end
return #expired`);

// The range with the greatest first id not above ARGV[1], and the top.
const LOOKUP = luaScript(`
local found = redis.call('ZREVRANGEBYSCORE', KEYS[1], ARGV[1], '-inf', 'LIMIT', 0, 1)
return {found[1] or false, redis.call('GET', KEYS[2]) or false}`);

/** Publishes a batch's range (idempotent: publishing it again changes nothing). */
export async function publishLinkRange(redis: RedisClient, prefix: string, range: PublishedLinkRange) {
  await runScript(
    redis,
    PUBLISH,
    [rangesKey(prefix), topKey(prefix), expiryKey(prefix)],
    [range.base, JSON.stringify(range), range.base + range.size, range.expiresAt],
  );
}

/** Ranges removed by one script: a bounded pause of Redis however many expired. */
const PRUNED_PER_CALL = 1_000;

/**
 * Removes the ranges whose links expired before `before` (epoch ms), so the
 * ranges kept in Redis stay those that still redirect (or answer 410 from it
 * for a while). A link of a pruned range is looked up in PostgreSQL, which
 * answers 410, and is not published again (see LinkResolver). Returns how many
 * were removed.
 */
export async function pruneLinkRanges(redis: RedisClient, prefix: string, before: number): Promise<number> {
  let removed = 0;
  for (;;) {
    const count = Number(
      await runScript(redis, PRUNE, [rangesKey(prefix), expiryKey(prefix)], [before, PRUNED_PER_CALL]),
    );
    removed += count;
    if (count < PRUNED_PER_CALL) return removed;
  }
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
