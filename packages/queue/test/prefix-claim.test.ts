import type { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { redisKey } from "../src/keys";
import { claimRedisPrefix, PREFIX_CLAIM_TTL_MS, PrefixTakenError } from "../src/prefix-claim";
import { closeRedis, createRedis } from "../src/redis";
import { deleteRedisKeys, testRedisPrefix, testRedisUrl } from "../src/testing";

let redis: Redis;
const prefixes: string[] = [];
const stops: (() => void)[] = [];

beforeAll(() => {
  redis = createRedis(testRedisUrl, { blocking: true });
});

afterAll(async () => {
  for (const stop of stops) stop();
  await Promise.all(prefixes.map(deleteRedisKeys));
  await closeRedis(redis);
});

/** A prefix of its own for one test. */
function newPrefix(): string {
  const prefix = testRedisPrefix();
  prefixes.push(prefix);
  return prefix;
}

/** A logger that keeps what it is told: [level, message, err]. */
function recordingLogger(lines: string[][] = []) {
  const record = (level: string) => (details: object, message: string) =>
    lines.push([level, message, String((details as { err?: unknown }).err)]);
  return { warn: record("warn"), fatal: record("fatal") };
}

function claim(prefix: string, owner: string, events: { taken?: Error[] } = {}) {
  return claimRedisPrefix(redis, prefix, {
    identify: async () => owner,
    onTaken: (error) => events.taken?.push(error),
    logger: recordingLogger(),
  }).then((claimed) => {
    stops.push(claimed.stop);
    return claimed;
  });
}

async function refusalOf(claiming: Promise<unknown>): Promise<Error> {
  try {
    await claiming;
  } catch (error) {
    return error as Error;
  }
  throw new Error("the claim was granted; it should have been refused");
}

async function waitFor(check: () => boolean | Promise<boolean>, what: string, timeoutMs = 20_000) {
  const started = Date.now();
  while (!(await check())) {
    if (Date.now() - started > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe("claimRedisPrefix", () => {
  it("lets every process of one installation share its prefix, and holds it for a while", async () => {
    const prefix = newPrefix();
    await claim(prefix, "database a, installation 1");
    await claim(prefix, "database a, installation 1");
    const key = redisKey(prefix, "installation");
    expect(await redis.get(key)).toBe("database a, installation 1");
    const ttl = await redis.pttl(key);
    expect(ttl).toBeGreaterThan(0);
    expect(ttl).toBeLessThanOrEqual(PREFIX_CLAIM_TTL_MS);
  });

  it("refuses another installation while the first one's claim lives, naming it and REDIS_PREFIX", async () => {
    const prefix = newPrefix();
    await claim(prefix, "database a, installation 1");
    const error = await refusalOf(claim(prefix, "database b, installation 2"));
    expect(error).toBeInstanceOf(PrefixTakenError);
    expect(error.message).toContain(`Redis prefix "${prefix}" is in use by another Salvo installation`);
    expect(error.message).toContain("database a, installation 1");
    expect(error.message).toContain("set REDIS_PREFIX");
    // The first installation's claim is untouched.
    expect(await redis.get(redisKey(prefix, "installation"))).toBe("database a, installation 1");
  });

  it("lets another installation take a prefix whose claim has lapsed", async () => {
    const prefix = newPrefix();
    const first = await claim(prefix, "database a, installation 1");
    first.stop();
    await redis.pexpire(redisKey(prefix, "installation"), 1);
    await waitFor(
      async () => (await redis.exists(redisKey(prefix, "installation"))) === 0,
      "the claim to lapse",
    );
    await claim(prefix, "database b, installation 2");
    expect(await redis.get(redisKey(prefix, "installation"))).toBe("database b, installation 2");
  });

  it("tells a running process when another installation has taken its prefix", async () => {
    const prefix = newPrefix();
    const taken: Error[] = [];
    await claim(prefix, "database a, installation 1", { taken });
    // As after a Redis restart that lost the claim, and another installation's start.
    await redis.set(redisKey(prefix, "installation"), "database b, installation 2");
    await waitFor(() => taken.length > 0, "the next renewal to find the prefix taken");
    expect(taken[0]).toBeInstanceOf(PrefixTakenError);
    expect(taken[0]?.message).toContain("database b, installation 2");
    expect(taken).toHaveLength(1);
  });

  it("logs a taken prefix as fatal when the process gave no other way to hear of it", async () => {
    const prefix = newPrefix();
    const logged: string[][] = [];
    const claimed = await claimRedisPrefix(redis, prefix, {
      identify: async () => "database a, installation 1",
      logger: recordingLogger(logged),
    });
    stops.push(claimed.stop);
    await redis.set(redisKey(prefix, "installation"), "database b, installation 2");
    await waitFor(() => logged.length > 0, "the next renewal to find the prefix taken");
    expect(logged[0]?.slice(0, 2)).toEqual(["fatal", "redis prefix taken"]);
    expect(logged[0]?.[2]).toContain("database b, installation 2");
  });

  it("starts when its database cannot tell who it is yet, and claims once it can", async () => {
    const prefix = newPrefix();
    const logged: string[][] = [];
    let answers = false;
    const claimed = await claimRedisPrefix(redis, prefix, {
      identify: async () => {
        if (!answers) throw new Error("connect ECONNREFUSED 127.0.0.1:5432");
        return "database a, installation 1";
      },
      logger: recordingLogger(logged),
    });
    stops.push(claimed.stop);
    expect(logged).toEqual([
      ["warn", "could not claim the redis prefix yet", "connect ECONNREFUSED 127.0.0.1:5432"],
    ]);
    answers = true;
    const key = redisKey(prefix, "installation");
    await waitFor(async () => (await redis.exists(key)) === 1, "the next renewal to claim the prefix");
    expect(await redis.get(key)).toBe("database a, installation 1");
  });
});
