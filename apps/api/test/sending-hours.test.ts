// Marketing rules through the SDK, on a real API, PostgreSQL and Redis: the
// account's sending hours and opt-out mention (their routes, a sub-account
// inheriting its parent's), the mention in stored bodies, segments and cost, and
// `POST /v1/send` refusing marketing outside the sending hours without storing or
// charging anything. (The workers' pause and resume: apps/worker/test/sending-hours.test.ts.)
import { parseMessageId } from "@salvo/core";
import type { Salvo } from "@salvo/sdk";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { credits, refusal, startTestApi, type TestApi } from "./harness";

const MENTION = "STOP au 36180";

let t: TestApi;
beforeAll(async () => {
  // No worker here: /v1/send answers 202 with what is pending after this.
  t = await startTestApi({ OPT_OUT_MENTION: MENTION, SEND_TIMEOUT_MS: "200" });
});
afterAll(() => t.stop());

const FAST = { apiRateLimit: 10_000 };

/** Today's ISO weekday (1 = Monday) in Paris. */
function parisWeekday(): number {
  const day = new Intl.DateTimeFormat("en-US", { timeZone: "Europe/Paris", weekday: "short" }).format(
    new Date(),
  );
  return ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"].indexOf(day) + 1;
}

/** Open all day every day but today (Paris): closed now, open from next midnight. */
const CLOSED_TODAY = {
  time_zone: "Europe/Paris",
  windows: [{ days: [1, 2, 3, 4, 5, 6, 7].filter((d) => d !== parisWeekday()), from: "00:00", to: "24:00" }],
  holidays: "none" as const,
};
const ALWAYS_OPEN = {
  windows: [{ days: [1, 2, 3, 4, 5, 6, 7], from: "00:00", to: "24:00" }],
  holidays: "none" as const,
};

const marketing = (body: string, n = 1) => ({
  from: "ACME",
  body,
  type: "marketing" as const,
  recipients: Array.from({ length: n }, (_, i) => `+3361${String(i).padStart(7, "0")}`),
});

async function storedBody(batchId: string): Promise<string> {
  return (await t.row<{ body: string }>("batches", { id: batchId })).body;
}

describe("GET and PUT /v1/account/sending-hours", () => {
  it("default to France's marketing hours in Europe/Paris, with the next opening", async () => {
    const { client } = await t.newAccount(FAST);
    const { body } = await client.account.sendingHours();
    expect(body.links.self).toBe("/v1/account/sending-hours");
    const hours = body.data.attributes;
    expect(hours).toMatchObject({
      time_zone: "Europe/Paris",
      windows: [{ days: [1, 2, 3, 4, 5, 6], from: "08:00", to: "20:00" }],
      holidays: "FR",
      sources: { time_zone: "default", windows: "default" },
    });
    expect(hours.next_opening).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+0[12]:00$/);
    expect(new Date(hours.closes_at).getTime()).toBeGreaterThan(new Date(hours.next_opening).getTime());
  });

  it("sets the account's own, shows when they open, and clears them", async () => {
    const { client } = await t.newAccount(FAST);
    const set = await client.account.setSendingHours(CLOSED_TODAY);
    expect(set.status).toBe(200);
    const hours = set.body.data.attributes;
    expect(hours).toMatchObject({ ...CLOSED_TODAY, open_now: false, sources: { time_zone: "account" } });
    // Tomorrow, 00:00 in Paris.
    expect(hours.next_opening).toMatch(/T00:00:00\+0[12]:00$/);
    const wait = new Date(hours.next_opening).getTime() - Date.now();
    expect(wait).toBeGreaterThan(0);
    expect(wait).toBeLessThanOrEqual(24 * 3600_000);

    const open = await client.account.setSendingHours({ ...ALWAYS_OPEN, time_zone: "America/New_York" });
    expect(open.body.data.attributes).toMatchObject({ open_now: true, time_zone: "America/New_York" });
    expect(open.body.data.attributes.next_opening).toMatch(/-0[45]:00$/);

    const cleared = await client.account.setSendingHours({});
    expect(cleared.body.data.attributes).toMatchObject({
      time_zone: "Europe/Paris",
      holidays: "FR",
      sources: { time_zone: "default", windows: "default" },
    });
  });

  it.each([
    [{ time_zone: "Mars/Olympus" }, "time_zone"],
    [{ windows: [] }, "windows"],
    [{ windows: [{ days: [1], from: "20:00", to: "08:00" }] }, "windows.0.to"],
    [{ windows: [{ days: [0], from: "08:00", to: "20:00" }] }, "windows.0.days.0"],
    [{ windows: [{ days: [1], from: "8h", to: "20:00" }] }, "windows.0.from"],
    [{ holidays: "US" }, "holidays"],
  ])("refuses %j naming %s", async (body, field) => {
    const { client } = await t.newAccount(FAST);
    const error = await refusal(client.account.setSendingHours(body as never));
    expect({ status: error.status, code: error.code, field: error.field }).toEqual({
      status: 400,
      code: "INVALID_PARAMETER",
      field,
    });
  });
});

describe("GET and PUT /v1/account/opt-out-mention", () => {
  it("default to the install's, may be the account's own or none", async () => {
    const { client } = await t.newAccount(FAST);
    expect((await client.account.optOutMention()).body).toEqual({
      data: { type: "opt_out_mention", attributes: { mention: MENTION, source: "default" } },
      links: { self: "/v1/account/opt-out-mention" },
    });
    const own = await client.account.setOptOutMention("STOP SMS 36111");
    expect(own.body.data.attributes).toEqual({ mention: "STOP SMS 36111", source: "account" });
    expect((await client.account.setOptOutMention("")).body.data.attributes).toEqual({
      mention: "",
      source: "account",
    });
    expect((await client.account.setOptOutMention(null)).body.data.attributes.source).toBe("default");
    const error = await refusal(client.account.setOptOutMention("STOP\nau 36180"));
    expect([error.status, error.code, error.field]).toEqual([400, "INVALID_PARAMETER", "mention"]);
  });
});

describe("a sub-account", () => {
  it("follows its parent's sending hours and mention until it sets its own", async () => {
    const parent = await t.newAccount({ ...FAST, credits: 1_000 });
    await parent.client.account.setSendingHours({ ...ALWAYS_OPEN, time_zone: "Asia/Tokyo" });
    await parent.client.account.setOptOutMention("STOP au 36222");
    const sub = await parent.client.subaccounts.create({ name: "Shop", credits: 100 });
    const made = await parent.client.subaccounts.tokens.create(sub.body.data.id);
    const child = t.client(made.body.data.attributes.token as string);

    expect((await child.account.sendingHours()).body.data.attributes).toMatchObject({
      time_zone: "Asia/Tokyo",
      windows: ALWAYS_OPEN.windows,
      holidays: "none",
      sources: { time_zone: "parent", windows: "parent" },
    });
    expect((await child.account.optOutMention()).body.data.attributes).toEqual({
      mention: "STOP au 36222",
      source: "parent",
    });
    const accepted = await child.batches.create(marketing("Soldes"));
    expect(await storedBody(accepted.body.data.batch_id)).toBe("Soldes\nSTOP au 36222");

    // Its own time zone only: the parent's windows stay.
    const own = await child.account.setSendingHours({ time_zone: "Europe/London" });
    expect(own.body.data.attributes).toMatchObject({
      time_zone: "Europe/London",
      holidays: "none",
      sources: { time_zone: "account", windows: "parent" },
    });
    // The parent's change reaches the child that did not set its own.
    await parent.client.account.setOptOutMention("STOP au 36333");
    expect((await child.account.optOutMention()).body.data.attributes.mention).toBe("STOP au 36333");
  });
});

describe("the opt-out mention", () => {
  let client: Salvo;
  beforeAll(async () => {
    ({ client } = await t.newAccount({ ...FAST, credits: 10_000 }));
    await client.account.setSendingHours(ALWAYS_OPEN);
  });

  it("is appended to a marketing body once, not to one that has it, nor to transactional ones", async () => {
    const appended = await client.batches.create(marketing("Soldes -50%"));
    expect(await storedBody(appended.body.data.batch_id)).toBe(`Soldes -50%\n${MENTION}`);
    const has = await client.batches.create(marketing("Soldes -50% Stop au 36180"));
    expect(await storedBody(has.body.data.batch_id)).toBe("Soldes -50% Stop au 36180");
    const placeholder = await client.batches.create(marketing("Soldes <-stop-> !"));
    expect(await storedBody(placeholder.body.data.batch_id)).toBe(`Soldes ${MENTION} !`);
    const alert = await client.batches.create({ ...marketing("Code 1234"), type: "transactional" });
    expect(await storedBody(alert.body.data.batch_id)).toBe("Code 1234");
    const sms = await client.sms.send({
      from: "ACME",
      to: "+33612345678",
      body: "Promo",
      isTransactional: false,
    });
    expect(await storedBody(parseMessageId(sms.body.id)?.batchId as string)).toBe(`Promo\n${MENTION}`);
  });

  it("is counted in segments and cost: 158 GSM characters and the mention are 2 segments", async () => {
    const body = "x".repeat(158);
    const request = marketing(body, 3);
    const simulated = await client.batches.simulate(request);
    expect(simulated.body.data.attributes).toMatchObject({ segments: 2, cost: 6, reserved: 6 });
    const sendSimulated = await client.simulateSend(request);
    expect(sendSimulated.body).toMatchObject({ segments: 2, cost: 6 });
    // Transactional: the body as it is, one segment.
    const alert = await client.batches.simulate({ ...request, type: "transactional" });
    expect(alert.body.data.attributes).toMatchObject({ segments: 1, cost: 3 });

    const before = await credits(client);
    const accepted = await client.batches.create(request);
    const batch = await t.row<{ segments: number; reserved: number; body: string }>("batches", {
      id: accepted.body.data.batch_id,
    });
    expect(batch).toMatchObject({ segments: 2, reserved: 6, body: `${body}\n${MENTION}` });
    expect(await credits(client)).toBe(before - 6);
  });
});

describe("POST /v1/send outside the sending hours", () => {
  it("refuses marketing with 400 OUTSIDE_SENDING_HOURS and the next opening; nothing stored or charged", async () => {
    const { accountId, client } = await t.newAccount({ ...FAST, credits: 100 });
    await client.account.setSendingHours(CLOSED_TODAY);
    const opening = (await client.account.sendingHours()).body.data.attributes.next_opening;

    const error = await refusal(client.sendNow(marketing("Soldes", 2)));
    expect({ status: error.status, code: error.code, nextOpening: error.nextOpening }).toEqual({
      status: 400,
      code: "OUTSIDE_SENDING_HOURS",
      nextOpening: opening,
    });
    expect(error.numericStatus).toBe(-7);
    expect(error.message).toContain(opening);
    expect((await refusal(client.simulateSend(marketing("Soldes", 2)))).code).toBe("OUTSIDE_SENDING_HOURS");
    expect(await t.count("batches", { account_id: accountId })).toBe(0);
    expect(await credits(client)).toBe(100);

    // Transactional messages are never held; POST /v1/batches holds marketing instead of refusing it.
    const alert = await client.sendNow({ ...marketing("Code 1234", 1), type: "transactional" });
    expect(alert.status).toBe(202);
    const held = await client.batches.create(marketing("Soldes", 2));
    expect(held.status).toBe(202);
    expect(await credits(client)).toBe(100 - 1 - 2);
  });
});
