import { redisKey } from "./keys";
import type { RedisClient } from "./redis";

/**
 * How long a claim outlives the last renewal: another installation may take the
 * prefix this long after every process of this one has stopped.
 */
export const PREFIX_CLAIM_TTL_MS = 30_000;
const RENEW_EVERY_MS = 5_000;
/** How long a start waits for Redis to connect before it goes on and claims at the next renewal. */
const CONNECT_WAIT_MS = 3_000;

// Takes or renews the claim unless another owner holds it; answers that owner.
const CLAIM = `
local held = redis.call('GET', KEYS[1])
if held and held ~= ARGV[1] then return held end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
return false`;

/** Another installation's live processes use this Redis prefix. */
export class PrefixTakenError extends Error {
  constructor(prefix: string, holder: string) {
    super(
      `Redis prefix "${prefix}" is in use by another Salvo installation (${holder}), whose processes ` +
        `were running within the last ${PREFIX_CLAIM_TTL_MS / 1_000} s. Installations that share a Redis ` +
        `must use prefixes of their own: set REDIS_PREFIX (unset, it is the database's name).`,
    );
  }
}

interface ClaimOptions {
  /** This installation, as stored in its database (`findInstallation`). */
  identify: () => Promise<string>;
  /** Another installation took the prefix while this process ran (by default: logged as fatal). */
  onTaken?: ((error: PrefixTakenError) => void) | undefined;
  /** Where a claim that could not be made yet (Redis or PostgreSQL away) is logged; it is retried. */
  logger: { warn(details: object, message: string): void; fatal(details: object, message: string): void };
}

/**
 * Claims `<prefix>:installation` for this installation and renews the claim
 * while the process runs, so that two installations on one Redis never work
 * each other's queues. Rejects when another installation's live processes hold
 * it. When Redis or PostgreSQL is away at start, the process starts all the
 * same and the claim is made (or refused, through `onTaken`) once they answer.
 */
export async function claimRedisPrefix(
  redis: RedisClient,
  prefix: string,
  options: ClaimOptions,
): Promise<{ stop(): void }> {
  const key = redisKey(prefix, "installation");
  let owner: string | undefined;
  const claim = async () => {
    owner ??= await options.identify();
    const holder = (await redis.eval(CLAIM, 1, key, owner, PREFIX_CLAIM_TTL_MS)) as string | null;
    if (holder !== null) throw new PrefixTakenError(prefix, holder);
  };
  const attempt = (onTaken: (error: PrefixTakenError) => void) =>
    claim().catch((error: Error) => {
      if (error instanceof PrefixTakenError) onTaken(error);
      else options.logger.warn({ err: error.message }, "could not claim the redis prefix yet");
    });
  const onTaken =
    options.onTaken ?? ((error) => options.logger.fatal({ err: error.message }, "redis prefix taken"));

  let refused: PrefixTakenError | undefined;
  await connected(redis, CONNECT_WAIT_MS);
  await attempt((error) => {
    refused = error;
  });
  if (refused) throw refused;
  const timer = setInterval(
    () =>
      attempt((error) => {
        clearInterval(timer);
        onTaken(error);
      }),
    RENEW_EVERY_MS,
  );
  timer.unref();
  return { stop: () => clearInterval(timer) };
}

/** Resolves once the connection is ready, or after `timeoutMs` (the caller finds out why by using it). */
function connected(redis: RedisClient, timeoutMs: number): Promise<void> {
  if (redis.status === "ready") return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      redis.off("ready", done);
      resolve();
    };
    const timer = setTimeout(done, timeoutMs);
    redis.once("ready", done);
  });
}
