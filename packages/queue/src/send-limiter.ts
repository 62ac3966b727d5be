import type { Redis } from "ioredis";
import { redisKey } from "./keys";
import { luaScript, runScript } from "./lua";

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
 * Callers keep groups small (at most ~5% of a limit's rate per second), which keeps
 * the rate over any one-second window within ~5% of the limit.
 */
export async function reserveSendSlots(
  redis: Redis,
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

/** The TAT of one limit, in ms since the epoch (Redis's clock). */
export function sendLimitKey(prefix: string, key: string): string {
  return redisKey(prefix, "send-limit", key);
}
