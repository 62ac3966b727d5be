import { createHash } from "node:crypto";
import { hashTag, luaScript, type RedisClient, redisKey, runScript } from "@salvo/queue";

/** One message weighed against the anti-flood limits. */
export interface FloodRecipient {
  /** E.164, e.g. `+33612345678`. */
  number: string;
  /** Unique per message (e.g. `<batchId>:<index>`): a retry with the same key is not counted twice. */
  messageKey: string;
}

export interface AntiFloodInput {
  accountId: string;
  /** Milliseconds since the epoch. */
  now: number;
  maxPerHour: number;
  maxSameBodyPerHour: number;
  /** A short hash of the message body (e.g. 8 hex characters). */
  bodyHash: string;
  recipients: readonly FloodRecipient[];
}

const HOUR = 3_600;

/**
 * Numbers are spread over this many hashes per account and hour. With ~61
 * numbers each at a million distinct numbers an hour, every hash stays under
 * Redis's default `hash-max-listpack-entries` (128), in the compact listpack
 * encoding; a hash table would cost three to four times as much.
 */
const SHARDS = 16_384;

const E164 = /^\+[1-9]\d{1,14}$/;

/*
 * One hash per account, hour bucket and shard; field = the number (see `locate`);
 * value = 8-byte records, appended in time order:
 *
 *   bytes 1-2  seconds since the start of the bucket (0-3599), high bit set for a block
 *   bytes 3-5  tag of the body hash; in a block record, the rule that blocked
 *              (1 per hour, 2 same body) then zeros
 *   bytes 6-8  tag of the message key (zeros in a block record)
 *
 * Eight records fit Redis's default `hash-max-listpack-value` (64 bytes). A number
 * given a ninth message in one clock hour turns its whole shard (~61 numbers at a
 * million an hour) into a hash table, about 4 KB more. Setting that option to 176
 * (22 records; at the default 20 an hour a number gets at most 20 and a block in
 * one bucket) keeps even the busiest numbers compact.
 *
 * A number's last hour lies in the current and the previous bucket, so both are
 * read and only the current one is written. A block record marks when the number
 * went over; it blocks for an hour from then and is never extended, so a number
 * messaged non-stop is let through again an hour after it went over. A message
 * key already recorded in either bucket answers "not flooded" and counts nothing:
 * a retried chunk gets the answers of its first run.
 *
 * KEYS: one key of the account's (its hash tag names the Redis Cluster slot every
 *       shard of the account is in; the script builds the shards' keys from the
 *       prefixes below, so one call sends two prefixes, not two keys per recipient).
 * ARGV: the current bucket's key prefix, the previous bucket's, now (s), bucket start
 *       (s), max per hour, max same body per hour, body tag, TTL (s), write ("1"
 *       counts and blocks; "0" only reads: a simulation), then the recipients packed
 *       in one string, per recipient: its shard in 2 bytes (the high bit set: give
 *       the shard's key its TTL), its key tag (3 bytes), the field's length (1 byte)
 *       and the field.
 * Returns one character per recipient: "0" may be sent, else flooded by the
 * rule: "1" too many messages an hour, "2" too many with the same body. A block
 * written before records kept the rule (zero) reads as "1". Then, after a ";",
 * the shards asked for a TTL that have no key (nothing written there), comma-separated.
 */
const script = luaScript(`
local current, previous = ARGV[1], ARGV[2]
local now = tonumber(ARGV[3])
local bucketStart = tonumber(ARGV[4])
local maxPerHour = tonumber(ARGV[5])
local maxSameBody = tonumber(ARGV[6])
local bodyTag = ARGV[7]
local ttl = ARGV[8]
local write = ARGV[9] == "1"
local packed = ARGV[10]
local since = now - ${HOUR}
local offset = now - bucketStart
local high, low = math.floor(offset / 256), offset % 256
local stamp = string.char(high, low) .. bodyTag
local blocks = {
  ["1"] = string.char(128 + high, low, 1) .. string.rep("\0", 5),
  ["2"] = string.char(128 + high, low, 2) .. string.rep("\0", 5),
}

local count, same, blocked, counted
local function scan(value, start, keyTag)
  for p = 1, #value - 7, 8 do
    local b1, b2 = string.byte(value, p, p + 1)
    local at = start + (b1 % 128) * 256 + b2
    if b1 >= 128 then
      if at > since then blocked = math.max(string.byte(value, p + 2), 1) end
    else
      if string.sub(value, p + 5, p + 7) == keyTag then counted = true end
      if at > since then
        count = count + 1
        if string.sub(value, p + 2, p + 4) == bodyTag then same = same + 1 end
      end
    end
  end
end

local flags = {}
local expire = {}
local p = 1
while p <= #packed do
  local b1, b2 = string.byte(packed, p, p + 1)
  local length = string.byte(packed, p + 5)
  local shard = (b1 % 128) * 256 + b2
  local keyTag = string.sub(packed, p + 2, p + 4)
  local field = string.sub(packed, p + 6, p + 5 + length)
  p = p + 6 + length
  local key = current .. shard
  if b1 >= 128 then expire[shard] = key end
  local value = redis.call("HGET", key, field) or ""
  local before = redis.call("HGET", previous .. shard, field) or ""
  count, same, blocked, counted = 0, 0, false, false
  scan(before, bucketStart - ${HOUR}, keyTag)
  scan(value, bucketStart, keyTag)
  local flag = "0"
  if counted then
    -- a retry of a message already counted: same answer, nothing more counted
  elseif blocked then
    flag = tostring(blocked)
  elseif count >= maxPerHour or same >= maxSameBody then
    if count >= maxPerHour then flag = "1" else flag = "2" end
    if write then redis.call("HSET", key, field, value .. blocks[flag]) end
  elseif write then
    redis.call("HSET", key, field, value .. stamp .. keyTag)
  end
  flags[#flags + 1] = flag
end
local missing = {}
for shard, key in pairs(expire) do
  if redis.call("EXPIRE", key, ttl) == 0 then missing[#missing + 1] = shard end
end
return table.concat(flags) .. ";" .. table.concat(missing, ",")
`);

/** The anti-flood rule a message broke: too many an hour, or too many with the same body. */
export type FloodRule = "count" | "same_body";

/**
 * Weighs messages against the account's anti-flood limits in one atomic step and
 * returns, per recipient, null when it may be sent, else the rule that floods it
 * (a number blocked earlier keeps the rule that blocked it). Messages that may
 * be sent are counted; flooded ones are not.
 */
export function applyAntiFlood(
  redis: RedisClient,
  prefix: string,
  input: AntiFloodInput,
): Promise<(FloodRule | null)[]> {
  return antiFlood(redis, prefix, input, true);
}

/**
 * What `applyAntiFlood` would answer now for these messages, without counting or
 * blocking anything (a simulation): the account's counters stay as they are.
 * A number appearing once in `recipients` gets the answer `applyAntiFlood` would
 * give it; repeats are not weighed against each other (a batch's repeats are
 * `duplicated` before anti-flood).
 */
export function peekAntiFlood(
  redis: RedisClient,
  prefix: string,
  input: AntiFloodInput,
): Promise<(FloodRule | null)[]> {
  return antiFlood(redis, prefix, input, false);
}

async function antiFlood(
  redis: RedisClient,
  prefix: string,
  input: AntiFloodInput,
  write: boolean,
): Promise<(FloodRule | null)[]> {
  const { accountId, now, maxPerHour, maxSameBodyPerHour, bodyHash, recipients } = input;
  if (!Number.isFinite(now) || now < 0) throw new RangeError("anti-flood: now must be a time in ms");
  if (!Number.isInteger(maxPerHour) || maxPerHour < 0) throw new RangeError("anti-flood: bad maxPerHour");
  if (!Number.isInteger(maxSameBodyPerHour) || maxSameBodyPerHour < 0) {
    throw new RangeError("anti-flood: bad maxSameBodyPerHour");
  }
  if (recipients.length === 0) return [];

  const nowSeconds = Math.floor(now / 1_000);
  const bucket = Math.floor(nowSeconds / HOUR);
  const bucketStart = bucket * HOUR;
  const current = floodKeyPrefix(prefix, accountId, bucket);
  const expired = write ? expiredShards(redis, current) : undefined;
  const asked: number[] = [];
  // Per recipient: shard (2 bytes, high bit: give its key a TTL), key tag (3), field length (1), field.
  const packed = Buffer.allocUnsafe(recipients.length * (6 + MAX_FIELD_LENGTH));
  let at = 0;
  for (const { number, messageKey } of recipients) {
    const { shard, field } = locate(number);
    const askTtl = expired !== undefined && !expired.has(shard);
    if (askTtl) asked.push(shard);
    packed.writeUInt16BE(askTtl ? shard | 0x8000 : shard, at);
    const hash = fnv1a(messageKey);
    packed[at + 2] = hash >>> 24;
    packed[at + 3] = (hash >>> 16) & 0xff;
    packed[at + 4] = (hash >>> 8) & 0xff;
    packed[at + 5] = packed.write(field, at + 6, "latin1");
    at += 6 + (packed[at + 5] as number);
  }
  // A bucket is read until the end of the next one; the TTL is relative so that a
  // caller's clock (or a test's `now`) never sets an expiry already in the past.
  const ttl = bucketStart + 2 * HOUR + 60 - nowSeconds;
  const answer = await runScript(
    redis,
    script,
    [`${current}0`],
    [
      current,
      floodKeyPrefix(prefix, accountId, bucket - 1),
      nowSeconds,
      bucketStart,
      maxPerHour,
      maxSameBodyPerHour,
      tag(bodyHash),
      ttl,
      write ? "1" : "0",
      packed.subarray(0, at),
    ],
  );
  const [flags, missing] = typeof answer === "string" ? answer.split(";") : [];
  if (flags === undefined || missing === undefined || flags.length !== recipients.length) {
    throw new Error("anti-flood: unexpected answer from Redis");
  }
  // A shard asked for a TTL but without a key (nothing was written there) is asked again next time.
  const unwritten = new Set(missing === "" ? [] : missing.split(",").map(Number));
  for (const shard of asked) if (!unwritten.has(shard)) expired?.add(shard);
  return Array.from(flags, (flag) => (flag === "0" ? null : flag === "2" ? "same_body" : "count"));
}

/**
 * The hash holding one shard of an account's numbers for one hour (`hourBucket` =
 * epoch seconds / 3600): `<prefix>:flood:{<account>}:<hour>:<shard>`. A call
 * touches one account's shards of two hours: the account as hash tag keeps them
 * in one Redis Cluster slot, and accounts spread over the cluster.
 */
export function floodKey(prefix: string, accountId: string, hourBucket: number, shard: number): string {
  return `${floodKeyPrefix(prefix, accountId, hourBucket)}${shard}`;
}

/** An account's shard keys of one hour, but for the shard's number. */
function floodKeyPrefix(prefix: string, accountId: string, hourBucket: number): string {
  return `${redisKey(prefix, "flood", hashTag(accountId), String(hourBucket))}:`;
}

/** The field of an E.164 number of up to 15 digits divided by SHARDS: at most 11 digits. */
const MAX_FIELD_LENGTH = 11;

/**
 * The shards whose key this process has given its TTL, per account and hour (a
 * bit per shard): a key keeps its TTL once given (only the script writes these
 * keys, and never removes a TTL), so each key is given it once per process and
 * hour rather than once per message. Forgotten when the connection to Redis is
 * made again, since a restarted Redis may have lost the keys; should keys be lost
 * without that (FLUSHDB, eviction: Salvo needs `noeviction`), a shard written
 * again within the hour would keep no TTL, under a key naming an hour that is
 * never read again.
 */
const ttlGiven = new WeakMap<RedisClient, Map<string, Uint8Array>>();

function expiredShards(redis: RedisClient, bucketPrefix: string) {
  let buckets = ttlGiven.get(redis);
  if (!buckets) {
    const fresh = new Map<string, Uint8Array>();
    redis.on("ready", () => fresh.clear());
    ttlGiven.set(redis, fresh);
    buckets = fresh;
  }
  let bits = buckets.get(bucketPrefix);
  if (!bits) {
    // Older hours are never written again: past a thousand accounts' hours, start over.
    if (buckets.size >= 1_000) buckets.clear();
    bits = new Uint8Array(SHARDS / 8);
    buckets.set(bucketPrefix, bits);
  }
  const shards = bits;
  return {
    has: (shard: number) => ((shards[shard >> 3] as number) & (1 << (shard & 7))) !== 0,
    add: (shard: number) => {
      shards[shard >> 3] = (shards[shard >> 3] as number) | (1 << (shard & 7));
    },
  };
}

/**
 * Where a number lives: field = the number divided by SHARDS, shard = the
 * remainder shifted by a hash of the quotient. The pair gives the number back,
 * so the field alone is unique within its shard, and it is a small integer,
 * which a listpack stores in 5-6 bytes (numbers of up to 13 digits) instead of
 * 14-16 for the string: a third of the memory of a single-message number. The
 * shift scatters numbers that share their last digits (e.g. all ending in 0000).
 */
export function locate(number: string): { shard: number; field: string } {
  // The number stays out of the message: errors end up in logs.
  if (!E164.test(number)) throw new RangeError("anti-flood: recipient is not an E.164 number");
  const value = Number(number.slice(1)); // at most 15 digits: exact in a double
  const quotient = Math.floor(value / SHARDS);
  const field = String(quotient);
  return { shard: (value - quotient * SHARDS + fnv1a(field)) % SHARDS, field };
}

/** A 3-byte tag of a string: collisions (1 in 16.7 million per pair) only matter between messages to one number. */
function tag(text: string): Buffer {
  const hash = fnv1a(text);
  return Buffer.from([hash >>> 24, (hash >>> 16) & 0xff, (hash >>> 8) & 0xff]);
}

/** 32-bit FNV-1a: fast, well spread, and the same in every process. */
function fnv1a(text: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return hash >>> 0;
}

const bodyHashes = new Map<string, string>();

/** The short hash of a message body that `AntiFloodInput.bodyHash` takes (the same in every process). */
export function floodBodyHash(body: string): string {
  let hash = bodyHashes.get(body);
  if (!hash) {
    hash = createHash("sha256").update(body).digest("hex").slice(0, 8);
    if (bodyHashes.size > 1_000) bodyHashes.clear();
    bodyHashes.set(body, hash);
  }
  return hash;
}
