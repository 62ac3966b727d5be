import { hashTag, luaScript, type RedisClient, redisKey, runScript } from "@salvo/queue";

/** A rate shared by every worker, e.g. `{ key: "provider:simulator", perSecond: 500 }`. */
export interface SendLimit {
  key: string;
  perSecond: number;
}

/*
 * GCRA as a schedule: each limit keeps its theoretical arrival time (TAT, ms) in
 * Redis. A reservation starts when every limit is free (the latest TAT, or now)
 * and pushes each TAT by count / rate from there. The clock is Redis's own, so
 * workers on hosts with skewed clocks still share one schedule. The TAT is stored
 * with three decimals: Lua's default number format keeps 14 digits, which would
 * round a millisecond epoch to tens of milliseconds.
 *
 * KEYS: one TAT per limit. ARGV: count, then each limit's rate per second.
 * Returns how many ms the caller must wait (rounded up: never early).
 */
const script = luaScript(`
local time = redis.call("TIME")
local now = tonumber(time[1]) * 1000 + tonumber(time[2]) / 1000
local count = tonumber(ARGV[1])
local start = now
for _, key in ipairs(KEYS) do
  local tat = tonumber(redis.call("GET", key))
  if tat and tat > start then start = tat end
end
for i, key in ipairs(KEYS) do
  local tat = start + count * 1000 / tonumber(ARGV[i + 1])
  -- Idle keys go away a second after their schedule has passed: a missing key means "free now".
  redis.call("SET", key, string.format("%.3f", tat), "PX", math.ceil(tat - now) + 1000)
end
return math.ceil(start - now)
`);

/**
 * Reserves `count` message slots in every given limit at once, atomically across
 * processes, and returns how many milliseconds to wait before sending them (0: now).
 * Callers keep groups small (at most 1/40 of a limit's rate per second) and send
 * on time (waitForSendSlots), which keeps any one-second window within 5% of it.
 */
export async function reserveSendSlots(
  redis: RedisClient,
  prefix: string,
  limits: readonly SendLimit[],
  count: number,
): Promise<number> {
  if (limits.length === 0) return 0;
  if (!Number.isInteger(count) || count < 1)
    throw new RangeError("send limiter: count must be a positive integer");
  const keys = new Set<string>();
  for (const { key, perSecond } of limits) {
    if (!(perSecond > 0 && Number.isFinite(perSecond))) {
      throw new RangeError(`send limiter: ${key}: perSecond must be positive`);
    }
    // Twice the same key would push its TAT once, by the last rate: a caller's mistake.
    if (keys.has(key)) throw new RangeError(`send limiter: ${key} is given twice`);
    keys.add(key);
  }
  const wait = await runScript(
    redis,
    script,
    limits.map((limit) => sendLimitKey(prefix, limit.key)),
    [count, ...limits.map((limit) => limit.perSecond)],
  );
  if (typeof wait !== "number") throw new Error("send limiter: unexpected answer from Redis");
  return wait;
}

/**
 * Reserves `count` slots in the given limits and waits until they come. A
 * caller woken later than its slot by more than the group's own share of the
 * schedule (count / rate: a busy event loop, a pause) would send together with
 * the groups booked after it, over the rate in that second: it lets its slot go
 * unused and books again, up to `rebookings` times, then sends.
 */
export async function waitForSendSlots(
  redis: RedisClient,
  prefix: string,
  limits: readonly SendLimit[],
  count: number,
  rebookings = 3,
): Promise<void> {
  if (limits.length === 0) return;
  const share = (count * 1_000) / Math.min(...limits.map((limit) => limit.perSecond));
  for (let booking = 0; ; booking++) {
    // Redis starts the slot no earlier than this plus the wait: lateness is never underestimated.
    const askedAt = performance.now();
    const wait = await reserveSendSlots(redis, prefix, limits, count);
    await new Promise((resolve) => setTimeout(resolve, wait));
    if (booking === rebookings || performance.now() - (askedAt + wait) <= share) return;
  }
}

/**
 * The TAT of one limit, in ms since the epoch (Redis's clock):
 * `<prefix>:{send-limit}:<key>`. Every limit shares the hash tag, so limits
 * reserved together are in one Redis Cluster slot. That slot's load is one
 * small call per group handed off under a limit: tens a second per limit.
 */
export function sendLimitKey(prefix: string, key: string): string {
  return redisKey(prefix, hashTag("send-limit"), key);
}
