/*
 * Redis memory taken by anti-flood state for a campaign to 1,000,000 distinct
 * numbers, and the time of one 5,000-recipient call. Runs against a private
 * redis-server (unix socket, no persistence, default encodings) so that nothing
 * else moves `used_memory`.
 *
 *   pnpm --filter @salvo/limits bench:anti-flood
 */
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { closeRedis, createRedis } from "@salvo/queue";
import type { Redis } from "ioredis";
import { applyAntiFlood } from "../src/anti-flood";

const NUMBERS = 1_000_000;
const CALL = 5_000;
const prefix = "salvo";
const accountId = "acc_01JD5Z8W3N4Q7R2T6V9X0Y1B3C";

interface Row {
  scenario: string;
  keys: number;
  encodings: string;
  memory: string;
  perNumber: string;
  callMs: string;
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), "salvo-bench-"));
  const socket = join(dir, "redis.sock");
  const server = await startRedis(socket);
  const redis = createRedis(socket, { blocking: true });
  try {
    const french = distinctNumbers("+336", 8);
    const british = distinctNumbers("+447", 9);
    const rows = [
      await measure(redis, "+336…, 11 digits, 1 message each", [french]),
      await measure(redis, "+447…, 12 digits, 1 message each", [british]),
      await measure(redis, "+336…, 2 messages each", [french, french]),
      await measure(redis, "+336…, without listpacks (for comparison)", [french], { listpack: false }),
    ];
    print(rows);
  } finally {
    await closeRedis(redis);
    server.kill();
    rmSync(dir, { recursive: true, force: true });
  }
}

async function measure(
  redis: Redis,
  scenario: string,
  campaigns: string[][],
  { listpack = true } = {},
): Promise<Row> {
  await redis.flushall();
  await redis.config("SET", "hash-max-listpack-entries", listpack ? "128" : "0");
  const before = await usedMemory(redis);
  const now = Date.UTC(2030, 0, 1, 9, 30);
  const durations: number[] = [];
  for (const [campaign, numbers] of campaigns.entries()) {
    for (let from = 0; from < numbers.length; from += CALL) {
      const started = performance.now();
      await applyAntiFlood(redis, prefix, {
        accountId,
        now: now + campaign * 60_000,
        maxPerHour: 20,
        maxSameBodyPerHour: 6,
        bodyHash: `body${campaign}`,
        recipients: numbers.slice(from, from + CALL).map((number, i) => ({
          number,
          messageKey: `batch${campaign}:${from + i}`,
        })),
      });
      durations.push(performance.now() - started);
    }
  }
  const memory = (await usedMemory(redis)) - before;
  durations.sort((a, b) => a - b);
  const median = durations[Math.floor(durations.length / 2)] ?? 0;
  const p99 = durations[Math.floor(durations.length * 0.99)] ?? 0;
  return {
    scenario,
    keys: await redis.dbsize(),
    encodings: await encodings(redis),
    memory: `${(memory / 1024 / 1024).toFixed(1)} MiB`,
    perNumber: `${(memory / NUMBERS).toFixed(1)} B`,
    callMs: `${median.toFixed(1)} / ${p99.toFixed(1)}`,
  };
}

/** `count` distinct random numbers: `country` followed by `digits` random digits. */
function distinctNumbers(country: string, digits: number): string[] {
  const seen = new Set<number>();
  while (seen.size < NUMBERS) seen.add(Math.floor(Math.random() * 10 ** digits));
  return Array.from(seen, (n) => country + String(n).padStart(digits, "0"));
}

async function usedMemory(redis: Redis): Promise<number> {
  const info = await redis.info("memory");
  return Number(/used_memory:(\d+)/.exec(info)?.[1]);
}

/** How a SCAN sample of keys (about 200) is encoded, e.g. `listpack ×201`. */
async function encodings(redis: Redis): Promise<string> {
  const [, keys] = await redis.scan("0", "COUNT", 200);
  const counts = new Map<string, number>();
  for (const key of keys) {
    const encoding = String(await redis.object("ENCODING", key));
    counts.set(encoding, (counts.get(encoding) ?? 0) + 1);
  }
  return [...counts].map(([encoding, count]) => `${encoding} ×${count}`).join(", ");
}

async function startRedis(socket: string): Promise<ChildProcess> {
  if (spawnSync("redis-server", ["--version"]).error) {
    throw new Error("redis-server is not on PATH: this bench starts a private one");
  }
  const server = spawn(
    "redis-server",
    ["--port", "0", "--unixsocket", socket, "--save", "", "--appendonly", "no"],
    { stdio: "ignore" },
  );
  for (let attempt = 0; attempt < 50; attempt++) {
    const probe = createRedis(socket, { blocking: true });
    probe.on("error", () => {}); // refused until the server listens
    try {
      await Promise.race([probe.ping(), sleep(100).then(() => Promise.reject(new Error("not yet")))]);
      return server;
    } catch {
      // not listening yet
    } finally {
      probe.disconnect();
    }
  }
  server.kill();
  throw new Error("redis-server did not start within 5 s");
}

function print(rows: Row[]): void {
  const columns: [keyof Row, string][] = [
    ["scenario", "1,000,000 distinct numbers, one account, one hour"],
    ["keys", "keys"],
    ["encodings", "encodings (SCAN sample)"],
    ["memory", "used_memory"],
    ["perNumber", "per number"],
    ["callMs", "5,000-recipient call ms (median / p99)"],
  ];
  const widths = columns.map(([key, title]) =>
    Math.max(title.length, ...rows.map((row) => String(row[key]).length)),
  );
  const line = (cells: string[]) =>
    `| ${cells.map((cell, i) => cell.padEnd(widths[i] ?? 0)).join(" | ")} |\n`;
  process.stdout.write(line(columns.map(([, title]) => title)));
  process.stdout.write(line(widths.map((width) => "-".repeat(width))));
  for (const row of rows) process.stdout.write(line(columns.map(([key]) => String(row[key]))));
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
