import { performance } from "node:perf_hooks";
import { fileURLToPath } from "node:url";
import { createRedis } from "@salvo/queue";
import { testRedisUrl, useTestRedis } from "@salvo/queue/testing";
import { describe, expect, it } from "vitest";
import { reserveSendSlots, sendLimitKey, waitForSendSlots } from "../src/send-limiter";
import { runClients } from "./fixtures/clients";
import type { SendLimiterResult, SendLimiterTask } from "./fixtures/send-limiter-client";

const local = useTestRedis();
const { prefix } = local;

let limits = 0;
/** A limit key of its own per test. */
function newKey(): string {
  limits += 1;
  return `provider:test-${limits}`;
}

async function tat(key: string): Promise<number> {
  return Number(await local.redis.get(sendLimitKey(prefix, key)));
}

describe("reserveSendSlots", () => {
  it("makes sequential reservations wait count / perSecond longer each", async () => {
    const key = newKey();
    const started = performance.now();
    const tats: number[] = [];
    for (let k = 0; k < 5; k++) {
      const wait = await reserveSendSlots(local.redis, prefix, [{ key, perSecond: 10 }], 2);
      const elapsed = performance.now() - started;
      // The k-th group starts k × 200 ms after the first, on Redis's clock, which has
      // moved on by at most the time elapsed here.
      expect(wait).toBeLessThanOrEqual(k * 200);
      expect(wait).toBeGreaterThanOrEqual(Math.floor(k * 200 - elapsed));
      tats.push(await tat(key));
    }
    for (let k = 1; k < tats.length; k++) expect(tats[k]! - tats[k - 1]!).toBeCloseTo(200, 2);
  });

  it("lets the stricter of two limits decide, and moves both", async () => {
    const provider = { key: newKey(), perSecond: 100 };
    const account = { key: newKey(), perSecond: 10 };
    expect(await reserveSendSlots(local.redis, prefix, [provider, account], 5)).toBe(0);
    const accountTat = await tat(account.key);
    // The account's 10/s schedules the next group 500 ms later, whatever the provider's 100/s allows.
    const wait = await reserveSendSlots(local.redis, prefix, [provider, account], 5);
    expect(wait).toBeGreaterThan(400);
    expect(wait).toBeLessThanOrEqual(500);
    expect(await tat(provider.key)).toBeCloseTo(accountTat + 50, 2);
    expect(await tat(account.key)).toBeCloseTo(accountTat + 500, 2);
  });

  it("lets a limit's key expire a second after its schedule has passed", async () => {
    const key = newKey();
    await reserveSendSlots(local.redis, prefix, [{ key, perSecond: 5 }], 1);
    const ttl = await local.redis.pttl(sendLimitKey(prefix, key));
    expect(ttl).toBeGreaterThan(1_000);
    expect(ttl).toBeLessThanOrEqual(1_201);
  });

  it("answers 0 for no limits without asking Redis", async () => {
    const closed = createRedis(testRedisUrl);
    closed.disconnect();
    expect(await reserveSendSlots(closed, prefix, [], 5)).toBe(0);
  });

  it("refuses a bad count, rate or a key given twice", async () => {
    const limit = { key: newKey(), perSecond: 10 };
    await expect(reserveSendSlots(local.redis, prefix, [limit], 0)).rejects.toThrow(RangeError);
    await expect(reserveSendSlots(local.redis, prefix, [{ ...limit, perSecond: 0 }], 1)).rejects.toThrow(
      RangeError,
    );
    await expect(reserveSendSlots(local.redis, prefix, [limit, limit], 1)).rejects.toThrow(RangeError);
  });

  it("holds every one-second window within 5% of the rate across three processes", async () => {
    const limit = { key: newKey(), perSecond: 200 };
    const task: SendLimiterTask = { redisUrl: testRedisUrl, prefix, limit, group: 5, durationMs: 3_000 };
    const fixture = fileURLToPath(new URL("./fixtures/send-limiter-client.ts", import.meta.url));
    const results = await runClients<SendLimiterTask, SendLimiterResult>(fixture, [task, task, task]);
    const sentAt = results.flatMap((result) => result.sentAt).sort((a, b) => a - b);
    // Until the first client stops reserving, demand exceeds the rate in every window.
    const end = Math.min(...results.map((result) => result.end));
    const counts: number[] = [];
    for (let from = sentAt[0]!; from + 1_000 <= end; from += 50) {
      counts.push(sentAt.filter((at) => at >= from && at < from + 1_000).length);
    }
    expect(counts.length).toBeGreaterThanOrEqual(30);
    expect(Math.min(...counts)).toBeGreaterThanOrEqual(190);
    expect(Math.max(...counts)).toBeLessThanOrEqual(210);
  });
});

describe("waitForSendSlots", () => {
  /** Redis's clock now, in ms. */
  async function redisNow(): Promise<number> {
    const [seconds, micros] = await local.redis.time();
    return Number(seconds) * 1_000 + Number(micros) / 1_000;
  }

  it("waits for its slot and books it once when woken on time", async () => {
    // 10 a second: a group of 5 has 500 ms of its own, so a loaded machine's
    // timer and Redis lag (tens of ms) still count as on time.
    const limit = { key: newKey(), perSecond: 10 };
    await reserveSendSlots(local.redis, prefix, [limit], 5);
    const before = await tat(limit.key);
    const started = performance.now();
    await waitForSendSlots(local.redis, prefix, [limit], 5);
    // Its slot began where the first group's 500 ms ended.
    expect(performance.now() - started).toBeGreaterThanOrEqual(350);
    expect(await tat(limit.key)).toBeCloseTo(before + 500, 2);
  });

  it("gives up a slot it was woken too late for and books again", async () => {
    const limit = { key: newKey(), perSecond: 100 };
    const start = await redisNow();
    const waiting = waitForSendSlots(local.redis, prefix, [limit], 5);
    // The event loop is busy for 200 ms: the answer, with a slot free at once, is
    // read only then, 150 ms later than the group's own 50 ms of schedule allow.
    const busyUntil = performance.now() + 200;
    while (performance.now() < busyUntil) {}
    await waiting;
    // Booked twice: the second booking starts after the pause.
    expect(await tat(limit.key)).toBeGreaterThan(start + 200 + 50);
  });

  it("sends anyway after its last rebooking", async () => {
    const limit = { key: newKey(), perSecond: 100 };
    const waiting = waitForSendSlots(local.redis, prefix, [limit], 5, 0);
    const start = await redisNow();
    const busyUntil = performance.now() + 200;
    while (performance.now() < busyUntil) {}
    await waiting;
    expect(await tat(limit.key)).toBeLessThan(start + 100);
  });
});
