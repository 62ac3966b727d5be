import { OverLimitError } from "@salvo/core";
import { type RedisClient, redisKey } from "@salvo/queue";
import type { RequestHandler } from "express";
import { RateLimiterMemory, RateLimiterRedis, RateLimiterRes } from "rate-limiter-flexible";
import { accountOf } from "./route";

/**
 * Per-account API throttle: `apiRateLimit` requests per second, counted in Redis
 * so the limit holds across every API process (rate-limiter-flexible, atomic in
 * Redis, one key per call, so a Redis Cluster serves it as is). If Redis is
 * unreachable each process falls back to counting in its own
 * memory rather than refusing all traffic. Answers carry `RateLimit-*` headers;
 * a refusal is 429 OVER_LIMIT with `Retry-After`.
 */
export function throttle(redis: RedisClient, prefix: string): RequestHandler {
  // One limiter per distinct limit: accounts share a limiter, never a counter.
  const limiters = new Map<number, RateLimiterRedis>();
  const limiterFor = (points: number) => {
    let limiter = limiters.get(points);
    if (!limiter) {
      limiter = new RateLimiterRedis({
        storeClient: redis,
        keyPrefix: redisKey(prefix, "api-throttle", String(points)),
        points,
        duration: 1,
        insuranceLimiter: new RateLimiterMemory({ points, duration: 1 }),
      });
      limiters.set(points, limiter);
    }
    return limiter;
  };

  return async (_req, res, next) => {
    const account = accountOf(res);
    const points = account.apiRateLimit;
    let state: RateLimiterRes;
    let refused = false;
    try {
      state = await limiterFor(points).consume(account.id);
    } catch (rejection) {
      if (!(rejection instanceof RateLimiterRes)) throw rejection;
      state = rejection;
      refused = true;
    }
    const resetSeconds = Math.max(1, Math.ceil(state.msBeforeNext / 1000));
    res.set({
      "RateLimit-Policy": `${points};w=1`,
      "RateLimit-Limit": String(points),
      "RateLimit-Remaining": String(Math.max(0, state.remainingPoints)),
      "RateLimit-Reset": String(resetSeconds),
    });
    if (refused) throw new OverLimitError(resetSeconds);
    next();
  };
}
