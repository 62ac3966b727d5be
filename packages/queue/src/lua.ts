import { createHash } from "node:crypto";
import type { RedisClient } from "./redis";

/** A Lua script and its SHA1, the name Redis caches it under. */
interface LuaScript {
  source: string;
  sha: string;
}

export function luaScript(source: string): LuaScript {
  return { source, sha: createHash("sha1").update(source).digest("hex") };
}

/**
 * Runs a script in one round trip by its SHA, sending the source only when Redis
 * does not have it cached (first use, after a restart or SCRIPT FLUSH; on a
 * cluster, each node keeps its own cache). Keys and arguments travel as one
 * array: a spread of tens of thousands of arguments could overflow the
 * JavaScript stack. On a cluster every key must be in one slot (see keys.ts).
 */
export async function runScript(
  redis: RedisClient,
  script: LuaScript,
  keys: readonly string[],
  args: readonly (string | Buffer | number)[],
): Promise<unknown> {
  const tail = [keys.length, ...keys, ...args];
  try {
    return await redis.call("evalsha", [script.sha, ...tail]);
  } catch (error) {
    if (!(error instanceof Error) || !error.message.startsWith("NOSCRIPT")) throw error;
    return redis.call("eval", [script.source, ...tail]);
  }
}
