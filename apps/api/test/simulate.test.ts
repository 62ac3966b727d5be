// POST /v1/batches/simulate and POST /v1/send/simulate: what sending now would
// give, judged as the workers judge (the anti-flood script's answers are checked
// against the real script), with nothing stored, taken, enqueued or counted.
import { connect } from "node:net";
import { tmpdir } from "node:os";
import { applyAntiFlood, floodBodyHash } from "@salvo/limits";
import { closeRedis, createRedis, type RedisClient } from "@salvo/queue";
import { testRedisUrl } from "@salvo/queue/testing";
import { type NewBatch, Salvo, type SalvoApiError } from "@salvo/sdk";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { refusal, startTestApi, type TestApi } from "./harness";

let t: TestApi;
let redis: RedisClient;
beforeAll(async () => {
  t = await startTestApi();
  redis = createRedis(testRedisUrl);
});
afterAll(async () => {
  if (redis) await closeRedis(redis);
  await t?.stop();
});

const FAST = { apiRateLimit: 10_000 };
const mobile = (i: number) => `+3361${String(i).padStart(7, "0")}`;

/** Every table's row count. */
async function tableCounts(): Promise<Record<string, number>> {
  const tables = await t.query<{ name: string }>(
    "SELECT table_name AS name FROM information_schema.tables WHERE table_schema = 'public' AND table_type = 'BASE TABLE' ORDER BY 1",
  );
  const counts: Record<string, number> = {};
  for (const { name } of tables) {
    const [row] = await t.query<{ n: string }>(`SELECT count(*) AS n FROM "${name}"`);
    counts[name] = Number(row?.n);
  }
  return counts;
}

/** Every Redis key of the API's prefix, with its contents: the anti-flood hashes, the queues. */
async function redisState(): Promise<Record<string, unknown>> {
  const keys = (await redis.keys(`${t.env.REDIS_PREFIX}*`)).sort();
  const state: Record<string, unknown> = {};
  for (const key of keys) {
    // The API's own throttle moves with every request; it is not what a simulation could move.
    if (key.includes(":throttle") || key.includes("rate")) continue;
    const type = await redis.type(key);
    state[key] = type === "hash" ? await redis.hgetall(key) : type;
  }
  return state;
}

/**
 * Resolves once Redis runs a command naming `text`: Redis's MONITOR, read raw on
 * a connection of its own (ioredis's monitor mode can misread its first lines).
 */
function redisCommandNaming(text: string): { seen: Promise<void>; stop(): void } {
  const { hostname, port } = new URL(testRedisUrl);
  const socket = connect(Number(port || 6379), hostname);
  socket.on("error", () => {});
  socket.write("MONITOR\r\n");
  let tail = "";
  const seen = new Promise<void>((resolve) => {
    socket.on("data", (chunk: Buffer) => {
      const received = tail + chunk.toString("latin1");
      if (received.includes(text)) resolve();
      tail = received.slice(-text.length);
    });
  });
  return { seen, stop: () => socket.destroy() };
}

/** Floods numbers `flooded` for `accountId`: limits of 1 an hour, one message already counted each. */
async function countOneMessage(accountId: string, numbers: string[], body: string) {
  await applyAntiFlood(redis, t.env.REDIS_PREFIX, {
    accountId,
    now: Date.now(),
    maxPerHour: 1,
    maxSameBodyPerHour: 1,
    bodyHash: floodBodyHash(body),
    recipients: numbers.map((number, i) => ({ number, messageKey: `earlier:${i}` })),
  });
}

describe("POST /v1/batches/simulate", () => {
  let client: Salvo;
  let accountId: string;
  const body = "Sale today";
  const batch: NewBatch = {
    from: "ACME",
    body,
    recipients: [
      mobile(1),
      "0610000002", // national format: +33610000002
      "123", // invalid
      "not a number", // invalid
      mobile(1), // duplicated
      mobile(3), // blacklisted
      mobile(4), // npai
      mobile(5), // flooded (counted once already, at most 1 an hour)
      mobile(6),
      mobile(6), // duplicated
    ],
  };

  beforeAll(async () => {
    ({ client, accountId } = await t.newAccount({ ...FAST, credits: 100 }));
    await client.blacklist.add([mobile(3)]);
    await client.npai.add([mobile(4)]);
    await t.query("UPDATE accounts SET flood_max_per_hour = 1 WHERE id = $1", [accountId]);
    await countOneMessage(accountId, [mobile(5)], body);
  });

  it("answers every counter, the cost and the balance after, moving nothing", async () => {
    const tablesBefore = await tableCounts();
    const redisBefore = await redisState();
    const { status, body: answer } = await client.batches.simulate(batch);
    expect(status).toBe(200);
    expect(answer.data).toEqual({
      type: "batch_simulations",
      attributes: {
        total: 10,
        sent: 3,
        invalid: 2,
        duplicated: 2,
        blacklisted: 1,
        npai: 1,
        flooded: 1,
        not_allowed: 0,
        country_limit: 0,
        segments: 1,
        cost: 3,
        reserved: 10,
        credits: 100,
        credits_after: 97,
        enough_credits: true,
        moderation_reasons: [],
      },
    });
    expect(await tableCounts()).toEqual(tablesBefore);
    expect(await redisState()).toEqual(redisBefore);
    expect((await client.account.get()).body.data.attributes.credits).toBe(100);
  });

  it("floods what the real anti-flood script then floods", async () => {
    const { body: answer } = await client.batches.simulate(batch);
    // The judge's own step, on the numbers that reach it (valid, first, not listed).
    const reaching = [mobile(1), "+33610000002", mobile(5), mobile(6)];
    const flags = await applyAntiFlood(redis, t.env.REDIS_PREFIX, {
      accountId,
      now: Date.now(),
      maxPerHour: 1,
      maxSameBodyPerHour: 20,
      bodyHash: floodBodyHash(body),
      recipients: reaching.map((number, i) => ({ number, messageKey: `real:${i}` })),
    });
    expect(flags.filter((flag) => flag !== null).length).toBe(answer.data.attributes.flooded);
    expect(flags.filter((flag) => flag === null).length).toBe(answer.data.attributes.sent);
    // Now counted for real: a second simulation floods all four.
    const { body: after } = await client.batches.simulate(batch);
    expect([after.data.attributes.sent, after.data.attributes.flooded]).toEqual([0, 4]);
  });

  it("ignores an Idempotency-Key: nothing is stored, and the same key then sends for real", async () => {
    const { client: keyed, accountId: keyedId } = await t.newAccount({ ...FAST, credits: 10 });
    const small: NewBatch = { from: "ACME", body: "Hi", recipients: [mobile(100), mobile(101)] };
    const tablesBefore = await tableCounts();
    const once = await keyed.call("POST", "/v1/batches/simulate", small, { "Idempotency-Key": "k-1" });
    expect(once.status).toBe(200);
    expect(await tableCounts()).toEqual(tablesBefore);
    const real = await keyed.batches.create(small, { idempotencyKey: "k-1" });
    expect(real.status).toBe(202);
    expect(await t.count("batches", { account_id: keyedId })).toBe(1);
  });

  it("says when the balance does not suffice, as the real request would refuse it", async () => {
    const { client: poor } = await t.newAccount({ ...FAST, credits: 1 });
    const three: NewBatch = { from: "ACME", body: "Hi", recipients: [mobile(200), mobile(201), "12"] };
    const { body: answer } = await poor.batches.simulate(three);
    expect(answer.data.attributes).toMatchObject({
      sent: 2,
      cost: 2,
      reserved: 3,
      credits: 1,
      credits_after: -1,
      enough_credits: false,
    });
    const error = await refusal(poor.batches.create(three));
    expect([error.status, error.code]).toEqual([402, "NOT_ENOUGH_CREDITS"]);
  });

  it("judges 1,000,000 recipients in its threads, answering other requests meanwhile", async () => {
    const { token, accountId } = await t.newAccount({ ...FAST, credits: 1_000_000 });
    // Seconds of judging, more on a machine busy with other test files.
    const big = new Salvo({ baseUrl: t.api.url, token, timeoutMs: 240_000 });
    // Each ten recipients: eight numbers (one written nationally), a repeat of
    // the national one as E.164, and a number too short to be one.
    const recipients = Array.from({ length: 1_000_000 }, (_, i) =>
      i % 10 === 9
        ? "12"
        : i % 10 === 8
          ? mobile(i - 1)
          : i % 10 === 7
            ? `061${String(i).padStart(7, "0")}`
            : mobile(i),
    );
    // The simulation's first anti-flood read (its keys name the account) says
    // its judging has begun: 99 slices of 10,000 numbers are still to come.
    const judging = redisCommandNaming(accountId);
    const finished: string[] = [];
    const simulation = big.batches.simulate({ from: "ACME", body: "Hi", recipients }).finally(() => {
      finished.push("simulation");
    });
    try {
      await Promise.race([judging.seen, simulation]);
    } finally {
      judging.stop();
    }
    await big.account.get();
    finished.push("account");

    const { status, body: answer } = await simulation;
    expect(finished).toEqual(["account", "simulation"]);
    expect(status).toBe(200);
    expect(answer.data.attributes).toMatchObject({
      total: 1_000_000,
      invalid: 100_000,
      duplicated: 100_000,
      sent: 800_000,
      flooded: 0,
      cost: 800_000,
      reserved: 1_000_000,
      credits_after: 200_000,
      enough_credits: true,
    });
  }, 300_000);
});

describe("when the API's number-judging threads cannot start", () => {
  it("a big simulation answers 503 NOT_READY at once, and is judged again once they can", async () => {
    // An API of its own, whose threads are not started yet. From a folder where
    // tsx cannot be found, a thread fails as it starts (as a bundle shipped
    // without its thread file would).
    const own = await startTestApi();
    const cwd = process.cwd();
    try {
      const { client } = await own.newAccount({ ...FAST, credits: 10_000 });
      const big: NewBatch = {
        from: "ACME",
        body: "Hi",
        recipients: Array.from({ length: 2_500 }, (_, i) => mobile(i)),
      };
      process.chdir(tmpdir());
      const error = await refusal(client.batches.simulate(big));
      expect([error.status, error.code]).toEqual([503, "NOT_READY"]);
      expect(error.message).toMatch(/cannot judge numbers right now/);
      // The operator's log says why.
      expect(own.logs.some((line) => line.includes("simulation refused") && line.includes("tsx"))).toBe(true);
      // A small one is judged on the API's own thread, as ever.
      const small = await client.batches.simulate({ ...big, recipients: big.recipients?.slice(0, 10) });
      expect(small.body.data.attributes.sent).toBe(10);
      process.chdir(cwd);
      const again = await client.batches.simulate(big);
      expect(again.body.data.attributes).toMatchObject({ total: 2_500, sent: 2_500 });
    } finally {
      process.chdir(cwd);
      await own.stop();
    }
  });
});

describe("POST /v1/send/simulate", () => {
  it("answers like POST /v1/send without a ticket, `credits` being the balance after", async () => {
    const { client, accountId } = await t.newAccount({ ...FAST, credits: 50 });
    const tablesBefore = await tableCounts();
    const long = "x".repeat(161); // two segments
    const { status, body } = await client.simulateSend({
      from: "ACME",
      body: long,
      recipients: [mobile(300), mobile(301), "1", mobile(300)],
    });
    expect(status).toBe(200);
    expect(body).toEqual({
      status: 1,
      message: "OK",
      cost: 4,
      credits: 46,
      total: 4,
      sent: 2,
      failed: 0,
      blacklisted: 0,
      duplicated: 1,
      invalid: 1,
      npai: 0,
      flooded: 0,
      not_allowed: 0,
      country_limit: 0,
      canceled: 0,
      rejected: 0,
      segments: 2,
      enough_credits: true,
      moderation_reasons: [],
    });
    expect(await tableCounts()).toEqual(tablesBefore);
    expect(await t.count("batches", { account_id: accountId })).toBe(0);
  });
});

describe("the simulations refuse what the real routes refuse, with the same errors", () => {
  const valid: NewBatch = { from: "ACME", body: "Hello", recipients: [mobile(1)] };
  const what = (e: SalvoApiError) => [e.status, e.code, e.field, e.message, e.numericStatus];

  it.each<[string, unknown]>([
    ["a missing field", { from: "ACME", body: "Hi" }],
    ["a malformed sender", { ...valid, from: "A B" }],
    ["an unknown field", { ...valid, ticket: "x" }],
    ["an empty body", { ...valid, body: "" }],
    ["no recipients", { ...valid, recipients: [] }],
    ["a bad country", { ...valid, country: "ZZZ" }],
  ])("%s", async (_name, bad) => {
    const { client, accountId } = await t.newAccount({ ...FAST, credits: 100 });
    for (const [real, simulated] of [
      ["/v1/batches", "/v1/batches/simulate"],
      ["/v1/send", "/v1/send/simulate"],
    ] as const) {
      const expected = await refusal(client.call("POST", real, bad));
      const got = await refusal(client.call("POST", simulated, bad));
      expect(what(got)).toEqual(what(expected));
    }
    expect(await t.count("batches", { account_id: accountId })).toBe(0);
  });

  it("more than 10,000 recipients on /v1/send/simulate: 413 as on /v1/send", async () => {
    const { client } = await t.newAccount({ ...FAST, credits: 100_000 });
    const recipients = Array.from({ length: 10_001 }, (_, i) => mobile(i));
    const expected = await refusal(client.sendNow({ ...valid, recipients }));
    const got = await refusal(client.simulateSend({ ...valid, recipients }));
    expect(what(got)).toEqual(what(expected));
    expect(got.status).toBe(413);
  });

  it("an unapproved sender where registered senders are required: the same refusal", async () => {
    const { client, accountId } = await t.newAccount({ ...FAST, credits: 100 });
    await t.query("UPDATE accounts SET require_registered_sender = true WHERE id = $1", [accountId]);
    const expected = await refusal(client.batches.create(valid));
    const got = await refusal(client.batches.simulate(valid));
    expect(what(got)).toEqual(what(expected));
  });

  it("no credentials: 401 on both", async () => {
    const anonymous = t.client("");
    const got = await refusal(anonymous.batches.simulate(valid));
    expect(got.status).toBe(401);
    const send = await refusal(anonymous.simulateSend(valid));
    expect([send.status, send.numericStatus]).toEqual([401, -1]);
  });
});
