import { fileURLToPath } from "node:url";
import { testRedisUrl, useTestRedis } from "@salvo/queue/testing";
import { describe, expect, it } from "vitest";
import { applyAntiFlood, floodKey, locate, peekAntiFlood } from "../src/anti-flood";
import { runClients } from "./fixtures/clients";
import type { FloodResult, FloodTask } from "./fixtures/flood-client";

const local = useTestRedis();
const { prefix } = local;

const SECOND = 1_000;
const HOUR = 3_600 * SECOND;
// Ten minutes before an hour ends, so that the first hour of every test crosses a bucket boundary.
const t0 = Date.UTC(2030, 0, 1, 9, 50);

let accounts = 0;
/** An account of its own per test: tests share the prefix, never a number's history. */
function newAccount(): string {
  accounts += 1;
  return `acc_${accounts}`;
}

let messages = 0;
function nextMessageKey(): string {
  messages += 1;
  return `m${messages}`;
}

interface Send {
  accountId: string;
  at: number;
  to: string | string[];
  body?: string;
  /** Message keys; fresh ones by default. */
  keys?: string[];
  maxPerHour?: number;
  maxSameBodyPerHour?: number;
}

/** Whether each message is flooded, with the account defaults (20 an hour, 6 with the same body). */
async function flood(send: Send): Promise<boolean[]> {
  return (await floodRules(send)).map((rule) => rule !== null);
}

/** The rule that floods each message (null: it may be sent). */
function floodRules({
  accountId,
  at,
  to,
  body = "body-a",
  keys,
  maxPerHour = 20,
  maxSameBodyPerHour = 6,
}: Send) {
  const numbers = typeof to === "string" ? [to] : to;
  return applyAntiFlood(local.redis, prefix, {
    accountId,
    now: at,
    maxPerHour,
    maxSameBodyPerHour,
    bodyHash: body,
    recipients: numbers.map((number, i) => ({ number, messageKey: keys?.[i] ?? nextMessageKey() })),
  });
}

/** Sends `count` messages to `to`, one a second from `from`, each with its own body. */
async function history(accountId: string, to: string, from: number, count: number): Promise<void> {
  for (let i = 0; i < count; i++) {
    expect(await flood({ accountId, at: from + i * SECOND, to, body: `body-${i}` })).toEqual([false]);
  }
}

const alice = "+33612345678";
const bob = "+447911123456";

describe("peekAntiFlood", () => {
  it("answers what applyAntiFlood would, counting and blocking nothing", async () => {
    const accountId = newAccount();
    await history(accountId, alice, t0, 20);
    const keys = async () => (await local.redis.keys(`${prefix}:flood:*`)).sort();
    const dump = async () =>
      Promise.all((await keys()).map(async (key) => [key, await local.redis.hgetallBuffer(key)]));
    const before = await dump();
    const peek = (at: number) =>
      peekAntiFlood(local.redis, prefix, {
        accountId,
        now: at,
        maxPerHour: 20,
        maxSameBodyPerHour: 6,
        bodyHash: "body-a",
        recipients: [alice, bob].map((number) => ({ number, messageKey: nextMessageKey() })),
      });
    // Peeked again and again: the same answer, nothing written (alice is not blocked, bob not counted).
    for (let i = 0; i < 3; i++) expect(await peek(t0 + 30 * SECOND)).toEqual(["count", null]);
    expect(await dump()).toEqual(before);
    expect(await floodRules({ accountId, at: t0 + 30 * SECOND, to: [alice, bob] })).toEqual(["count", null]);
  });
});

describe("applyAntiFlood", () => {
  it("lets 20 messages an hour through to a number, then floods", async () => {
    const accountId = newAccount();
    await history(accountId, alice, t0, 20);
    expect(await flood({ accountId, at: t0 + 30 * SECOND, to: alice, body: "another" })).toEqual([true]);
    // Another number of the same account is not affected.
    expect(await flood({ accountId, at: t0 + 30 * SECOND, to: bob })).toEqual([false]);
  });

  it("floods the 7th message with the same body, then blocks the number whatever the body", async () => {
    const accountId = newAccount();
    for (let i = 0; i < 6; i++) {
      expect(await flood({ accountId, at: t0 + i * SECOND, to: alice, body: "promo" })).toEqual([false]);
    }
    expect(await flood({ accountId, at: t0 + 10 * SECOND, to: alice, body: "promo" })).toEqual([true]);
    // Six messages counted, well under 20, yet the number is blocked for the hour.
    expect(await flood({ accountId, at: t0 + 11 * SECOND, to: alice, body: "other" })).toEqual([true]);
    expect(await flood({ accountId, at: t0 + 11 * SECOND, to: bob, body: "promo" })).toEqual([false]);
  });

  it("says which rule floods a message, and a blocked number keeps the rule that blocked it", async () => {
    const accountId = newAccount();
    await history(accountId, alice, t0, 20);
    for (let i = 0; i < 6; i++) await floodRules({ accountId, at: t0 + i * SECOND, to: bob, body: "promo" });
    expect(await floodRules({ accountId, at: t0 + 30 * SECOND, to: [alice, bob], body: "promo" })).toEqual([
      "count",
      "same_body",
    ]);
    // Blocked now: any body, and the rule is the one that went over.
    expect(await floodRules({ accountId, at: t0 + 40 * SECOND, to: [alice, bob], body: "other" })).toEqual([
      "count",
      "same_body",
    ]);
  });

  it("counts over a rolling hour, not per clock hour", async () => {
    const accountId = newAccount();
    // Ten messages at 9:50, ten at 10:10 (the next clock hour), for two numbers with the same history.
    for (const number of [alice, bob]) {
      await history(accountId, number, t0, 10);
      await history(accountId, number, t0 + 20 * 60 * SECOND, 10);
    }
    // 10:49:59 - the first ten are 3,599 s old and still count.
    expect(await flood({ accountId, at: t0 + HOUR - SECOND, to: alice, body: "late" })).toEqual([true]);
    // 10:50:00 - they are 3,600 s old and no longer count.
    expect(await flood({ accountId, at: t0 + HOUR, to: bob, body: "late" })).toEqual([false]);
  });

  it("blocks a number for one hour from when it went over", async () => {
    const accountId = newAccount();
    await history(accountId, alice, t0, 20);
    const over = t0 + 30 * 60 * SECOND;
    expect(await flood({ accountId, at: over, to: alice })).toEqual([true]);
    // At t0 + 1 h the twenty no longer count, but the block still holds.
    expect(await flood({ accountId, at: t0 + HOUR, to: alice })).toEqual([true]);
    // Flooded messages do not extend the block.
    expect(await flood({ accountId, at: over + HOUR - SECOND, to: alice })).toEqual([true]);
    expect(await flood({ accountId, at: over + HOUR, to: alice })).toEqual([false]);
  });

  it("counts a message key once: a retry gets the same answer and counts nothing", async () => {
    const accountId = newAccount();
    const limits = { accountId, to: alice, maxPerHour: 2 };
    expect(await flood({ ...limits, at: t0, keys: ["b1:0"] })).toEqual([false]);
    expect(await flood({ ...limits, at: t0 + SECOND, keys: ["b1:0"] })).toEqual([false]);
    expect(await flood({ ...limits, at: t0 + 2 * SECOND, keys: ["b2:0"] })).toEqual([false]);
    expect(await flood({ ...limits, at: t0 + 3 * SECOND, keys: ["b3:0"] })).toEqual([true]);
    // Retries of the whole history, blocked number or not: the same answers.
    expect(await flood({ ...limits, at: t0 + 4 * SECOND, keys: ["b1:0"] })).toEqual([false]);
    expect(await flood({ ...limits, at: t0 + 4 * SECOND, keys: ["b2:0"] })).toEqual([false]);
    expect(await flood({ ...limits, at: t0 + 4 * SECOND, keys: ["b3:0"] })).toEqual([true]);
    // A flooded message was not recorded: once the block and the counts are over it may go.
    const later = t0 + 3 * SECOND + HOUR;
    expect(await flood({ ...limits, at: later, keys: ["b3:0"] })).toEqual([false]);
    expect(await flood({ ...limits, at: later, keys: ["b4:0"] })).toEqual([false]);
    expect(await flood({ ...limits, at: later, keys: ["b5:0"] })).toEqual([true]);
  });

  it("keeps accounts apart", async () => {
    const [first, second] = [newAccount(), newAccount()];
    await history(first, alice, t0, 20);
    expect(await flood({ accountId: first, at: t0 + 30 * SECOND, to: alice })).toEqual([true]);
    expect(await flood({ accountId: second, at: t0 + 30 * SECOND, to: alice })).toEqual([false]);
  });

  it("judges many numbers in one call, in order, the same number seeing its earlier messages", async () => {
    const accountId = newAccount();
    const numbers = Array.from(
      { length: 5_000 },
      (_, i) => `+336${String(10_000_000 + i * 7_919).padStart(8, "0")}`,
    );
    const limits = { accountId, maxPerHour: 1 };
    // The last message goes to the first number again: it sees the first one.
    const first = await flood({ ...limits, at: t0, to: [...numbers, numbers[0]!] });
    expect(first.slice(0, -1).every((flooded) => !flooded)).toBe(true);
    expect(first.at(-1)).toBe(true);
    // A second message to every other number is flooded; a number new to the account is not.
    const second = await flood({ ...limits, at: t0 + SECOND, to: [...numbers.filter((_, i) => i % 2), bob] });
    expect(second).toEqual([...Array(2_500).fill(true), false]);
  });

  it("judges the same number twice in one call in order, and a repeated key once", async () => {
    const accountId = newAccount();
    const limits = { accountId, at: t0, maxPerHour: 2 };
    expect(await flood({ ...limits, to: [alice, alice, alice] })).toEqual([false, false, true]);
    expect(await flood({ ...limits, to: [bob, bob, bob], keys: ["k1", "k1", "k2"] })).toEqual([
      false,
      false,
      false,
    ]);
  });

  it("lets exactly maxPerHour through when four processes message one number at once", async () => {
    const accountId = newAccount();
    const tasks = Array.from(
      { length: 4 },
      (_, client): FloodTask => ({
        redisUrl: testRedisUrl,
        prefix,
        client,
        accountId,
        number: alice,
        now: t0,
        maxPerHour: 20,
        calls: 15,
      }),
    );
    const fixture = fileURLToPath(new URL("./fixtures/flood-client.ts", import.meta.url));
    const results = await runClients<FloodTask, FloodResult>(fixture, tasks);
    const passed = results.flat().filter((flooded) => !flooded).length;
    expect(passed).toBe(20);
  });

  it("keeps a compact layout: prefixed keys, small hashes, an expiry", async () => {
    const accountId = newAccount();
    await flood({ accountId, at: t0, to: [alice, bob] });
    for (const number of [alice, bob]) {
      const key = floodKey(prefix, accountId, Math.floor(t0 / HOUR), locate(number).shard);
      // The account is the hash tag: one call's keys share a Redis Cluster slot.
      expect(key.startsWith(`${prefix}:flood:{${accountId}}:`)).toBe(true);
      expect(await local.redis.object("ENCODING", key)).toBe("listpack");
      // One 8-byte record.
      expect(await local.redis.hstrlen(key, locate(number).field)).toBe(8);
      // The bucket is read until the end of the next hour: 10 min + 1 h (+ 1 min margin).
      expect(await local.redis.ttl(key)).toBe(70 * 60 + 60);
    }
  });

  it("gives a shard's key its TTL once per process and hour, and again once reconnected", async () => {
    const accountId = newAccount();
    const key = floodKey(prefix, accountId, Math.floor(t0 / HOUR), locate(alice).shard);
    await flood({ accountId, at: t0, to: alice });
    expect(await local.redis.ttl(key)).toBe(70 * 60 + 60);
    // Given once: a later message to the shard does not ask again (seen here by taking it away).
    await local.redis.persist(key);
    await flood({ accountId, at: t0 + SECOND, to: alice });
    expect(await local.redis.ttl(key)).toBe(-1);
    // A new connection may face a Redis that lost its keys: the TTLs are given again.
    local.redis.emit("ready");
    await flood({ accountId, at: t0 + 2 * SECOND, to: alice });
    expect(await local.redis.ttl(key)).toBe(70 * 60 + 58);
    // A simulation writes nothing and asks for nothing.
    await local.redis.persist(key);
    local.redis.emit("ready");
    await peekAntiFlood(local.redis, prefix, {
      accountId,
      now: t0 + 3 * SECOND,
      maxPerHour: 20,
      maxSameBodyPerHour: 6,
      bodyHash: "body-a",
      recipients: [{ number: alice, messageKey: nextMessageKey() }],
    });
    expect(await local.redis.ttl(key)).toBe(-1);
  });

  it("locates a number by a small integer field, unique within its shard", () => {
    expect(locate("+33612345678")).toEqual({
      shard: expect.any(Number),
      field: String(Math.floor(33612345678 / 16384)),
    });
    // Numbers 16,384 apart share their remainder but land on different shards or fields.
    const a = locate("+33600000000");
    const b = locate("+33600016384");
    expect(a).not.toEqual(b);
    expect(() => locate("0612345678")).toThrow(RangeError);
    expect(() => locate("+3361234567890123")).toThrow(RangeError);
  });
});
