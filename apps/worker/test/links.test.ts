// Tracked short links end to end: batches sent through the simulator, whose
// ledger holds each message's text as handed off; the links in those texts
// followed over real HTTP; clicks recorded by the workers.
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { linkCodec, parseMessageId, segmentCount } from "@salvo/core";
import { createRedis, lookupLinkRange, pruneLinkRanges } from "@salvo/queue";
import { deleteRedisKeys, testRedisUrl } from "@salvo/queue/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Stack, startStack, subscribe, waitFor } from "./stack";

const LINK_BASE_URL = "https://go.salvo.test/l";
const BROWSER =
  "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.0 Mobile/15E148 Safari/604.1";
const LINK = /https:\/\/go\.salvo\.test\/l\/([0-9A-Za-z]{7})/g;

let stack: Stack;
beforeAll(async () => {
  stack = await startStack({
    workers: 1,
    api: { BATCH_CHUNK_SIZE: "10", LINK_BASE_URL, AUTH_CACHE_MS: "0", TRUST_PROXY: "1" },
  });
});
afterAll(() => stack.stopAll());

function recipients(count: number, start = 0): string[] {
  return Array.from({ length: count }, (_, i) => `+3361250${String(start + i).padStart(4, "0")}`);
}

/** The texts handed off for a batch, by message position. */
function sentTexts(batchId: string): Map<number, string> {
  const texts = new Map<number, string>();
  for (const line of stack.ledger()) {
    const id = parseMessageId(line.message_id);
    if (id?.batchId === batchId) texts.set(id.index, line.body);
  }
  return texts;
}

function codesIn(text: string): string[] {
  return [...text.matchAll(LINK)].map((match) => match[1] as string);
}

/** Follows a short link's code on the API, without following the redirect. */
function follow(code: string, headers: Record<string, string> = { "user-agent": BROWSER }) {
  return fetch(`${stack.api.url}/l/${code}`, { redirect: "manual", headers });
}

async function sendWithLinks(count: number, body: string, start = 0) {
  const account = await stack.newAccount({ credits: 100_000, apiRateLimit: 1_000 });
  const { body: accepted } = await account.client.batches.create({
    from: "ACME",
    body,
    recipients: recipients(count, start),
    shorten_urls: true,
  });
  const batchId = accepted.data.batch_id;
  const done = await account.client.batches.wait(batchId, { timeoutMs: 30_000 });
  await waitFor("every hand-off in the ledger", () => sentTexts(batchId).size === count);
  return { ...account, batchId, done };
}

async function clickRows(batchId: string) {
  return stack.query<{ idx: number; url_index: number; bot: boolean; ip_prefix: string | null }>(
    "SELECT idx, url_index, bot, ip_prefix FROM link_clicks WHERE batch_id = $1",
    [batchId],
  );
}

describe("tracked short links", () => {
  it("give every recipient its own code per URL, which decodes back to its message, and count the shortened text", async () => {
    const longUrl = `https://shop.example/soldes/hiver?utm_source=sms&utm_campaign=${"x".repeat(60)}`;
    const body = `Soldes d'hiver : -50% sur tout le magasin ce week-end ! Voir ${longUrl} et la carte https://shop.example/magasins.`;
    expect(segmentCount(body)).toBe(2);
    const { batchId, done } = await sendWithLinks(25, body);
    expect(done.attributes).toMatchObject({ status: "completed", sent: 25, total: 25 });

    const [batch] = await stack.query<{
      link_base: string;
      link_urls: string[];
      segments: number;
      cost: number;
    }>("SELECT link_base, link_urls, segments, cost FROM batches WHERE id = $1", [batchId]);
    expect(batch?.link_urls).toEqual([longUrl, "https://shop.example/magasins"]);
    const [{ secret } = { secret: "" }] = await stack.query<{ secret: string }>(
      "SELECT secret::text FROM link_counter",
    );
    const codec = linkCodec(secret);
    const texts = sentTexts(batchId);
    const codes = new Set<string>();
    for (const [idx, text] of texts) {
      const found = codesIn(text);
      expect(found).toHaveLength(2);
      // The sentence's full stop stays after the link; the rest of the text as written.
      expect(text.endsWith(`/${found[1]}.`)).toBe(true);
      expect(
        text.startsWith(
          "Soldes d'hiver : -50% sur tout le magasin ce week-end ! Voir https://go.salvo.test/l/",
        ),
      ).toBe(true);
      found.forEach((code, j) => {
        codes.add(code);
        expect(codec.decode(code)).toBe(Number(batch?.link_base) + idx * 2 + j);
      });
      // Exact at acceptance: every code has the same length.
      expect(segmentCount(text)).toBe(batch?.segments);
    }
    expect(codes.size).toBe(50);
    expect(batch?.segments).toBe(1);
    expect(batch?.cost).toBe(25);
  });

  it("redirects to the original URL, records the click once, counts humans' clicked messages and writes message.clicked", async () => {
    const { batchId, accountId, client } = await sendWithLinks(
      3,
      "Bonjour https://a.example/x et https://b.example/y",
      100,
    );
    await subscribe(stack, accountId, "clicks", ["message.clicked"]);
    const texts = sentTexts(batchId);
    const [a0, b0] = codesIn(texts.get(0) as string) as [string, string];
    const [a1] = codesIn(texts.get(1) as string) as [string];

    const first = await follow(a0, { "user-agent": BROWSER, "x-forwarded-for": "203.0.113.57" });
    expect(first.status).toBe(302);
    expect(first.headers.get("location")).toBe("https://a.example/x");
    expect((await follow(b0)).headers.get("location")).toBe("https://b.example/y");
    expect((await follow(a0)).status).toBe(302);
    expect(
      (await follow(a1, { "user-agent": BROWSER, "x-forwarded-for": "2001:db8:abcd:12::1" })).status,
    ).toBe(302);
    // A messaging app unfurling the link: redirected, counted apart, no event.
    const bot = await follow(a1, { "user-agent": "WhatsApp/2.23.20.0 A" });
    expect(bot.status).toBe(302);

    await waitFor("the 5 clicks recorded", async () => (await clickRows(batchId)).length === 5);
    const batch = await client.batches.get(batchId);
    expect(batch.body.data.attributes.clicked).toBe(2);
    expect(batch.body.data.attributes.total).toBe(3);

    const report = await client.batches.links(batchId);
    expect(report.body.data).toEqual([
      { index: 0, url: "https://a.example/x", clicks: 3, unique_clicks: 2, bot_clicks: 1 },
      { index: 1, url: "https://b.example/y", clicks: 1, unique_clicks: 1, bot_clicks: 0 },
    ]);
    expect(report.body.meta.expires_at).not.toBeNull();

    const events = await waitFor("4 message.clicked events", async () => {
      const rows = await stack.query<{ payload: string }>(
        "SELECT payload FROM webhook_events WHERE account_id = $1 AND type = 'message.clicked' ORDER BY created_at",
        [accountId],
      );
      return rows.length === 4 ? rows.map((row) => JSON.parse(row.payload)) : null;
    });
    const onA0 = events.filter((e) => e.data.short_url === `${LINK_BASE_URL}/${a0}`);
    expect(onA0).toHaveLength(2);
    // The message's first click is one of its three (two on a0, one on b0): the
    // workers record clicks concurrently, in no set order.
    const onMessage0 = events.filter((e) => e.data.message_id === `msg_${batchId.slice(4)}_0`);
    expect(onMessage0.map((e) => e.data.first_click).sort()).toEqual([false, false, true]);
    expect(onA0[0].data).toMatchObject({
      message_id: `msg_${batchId.slice(4)}_0`,
      batch_id: batchId,
      to: "+33612500100",
      url: "https://a.example/x",
      device: "mobile",
      os: "iOS",
      browser: "Mobile Safari",
    });

    // Addresses are kept truncated, and nowhere whole.
    const rows = await stack.query<Record<string, unknown>>("SELECT * FROM link_clicks WHERE batch_id = $1", [
      batchId,
    ]);
    const prefixes = rows.map((row) => row.ip_prefix);
    expect(prefixes).toContain("203.0.113.0/24");
    expect(prefixes).toContain("2001:db8:abcd::/48");
    const everything = JSON.stringify(rows);
    expect(everything).not.toContain("203.0.113.57");
    expect(everything).not.toContain("2001:db8:abcd:12::1");
    expect(JSON.stringify(events)).not.toContain("203.0.113.57");
  });

  it("answers 404 to unknown and malformed codes, and 410 once a link has expired", async () => {
    for (const code of ["abc", "zzzzzzzz", "!!!!!!!", "0000000", "zzzzzzz"]) {
      const answer = await follow(code);
      expect([code, answer.status]).toEqual([code, 404]);
      expect(answer.headers.get("content-type")).toMatch(/^text\/plain/);
    }
    const account = await stack.newAccount({ credits: 1_000 });
    await stack.store.accounts.update(account.accountId, { linkRetentionDays: 0 });
    const { body: accepted } = await account.client.batches.create({
      from: "ACME",
      body: "Vite : https://expired.example",
      recipients: recipients(1, 200),
      shorten_urls: true,
    });
    const batchId = accepted.data.batch_id;
    await waitFor("its hand-off", () => sentTexts(batchId).size === 1);
    const [code] = codesIn(sentTexts(batchId).get(0) as string) as [string];
    expect((await follow(code)).status).toBe(410);
  });

  it("redirects 1,000 concurrent clicks, each recorded once, and counts each clicked message once", async () => {
    const { batchId, client } = await sendWithLinks(200, "Offre : https://burst.example/offre", 300);
    const texts = sentTexts(batchId);
    const codes = Array.from({ length: 200 }, (_, i) => codesIn(texts.get(i) as string)[0] as string);
    const answers = await Promise.all(
      Array.from({ length: 1_000 }, (_, i) => follow(codes[i % 200] as string).then((r) => r.status)),
    );
    expect(answers.filter((status) => status === 302)).toHaveLength(1_000);
    await waitFor("1,000 clicks recorded", async () => (await clickRows(batchId)).length === 1_000, 60_000);
    const [counts] = await stack.query<{ messages: number; clicked: number }>(
      `SELECT (SELECT count(*)::int FROM message_clicks WHERE batch_id = $1) AS messages,
              (SELECT clicked FROM batches WHERE id = $1) AS clicked`,
      [batchId],
    );
    expect(counts).toEqual({ messages: 200, clicked: 200 });
    const report = await client.batches.links(batchId);
    expect(report.body.data[0]).toMatchObject({ clicks: 1_000, unique_clicks: 200, bot_clicks: 0 });
  });

  it("falls back to PostgreSQL once when Redis lost the ranges, and publishes them again", async () => {
    const { batchId } = await sendWithLinks(1, "Voir https://flushed.example/page", 600);
    const [code] = codesIn(sentTexts(batchId).get(0) as string) as [string];
    const [{ base } = { base: 0 }] = await stack.query<{ base: number }>(
      "SELECT link_base::float8 AS base FROM batches WHERE id = $1",
      [batchId],
    );
    await deleteRedisKeys(`${stack.env.REDIS_PREFIX}:{links}`);
    const redis = createRedis(testRedisUrl, { blocking: true });
    expect((await lookupLinkRange(redis, stack.env.REDIS_PREFIX, base)).range).toBeNull();
    // A fresh process: nothing in memory either.
    const another = await stack.startAnother();
    const answer = await fetch(`${another.url}/l/${code}`, {
      redirect: "manual",
      headers: { "user-agent": BROWSER },
    });
    expect(answer.status).toBe(302);
    expect(answer.headers.get("location")).toBe("https://flushed.example/page");
    const republished = await lookupLinkRange(redis, stack.env.REDIS_PREFIX, base);
    redis.disconnect();
    expect(republished.range?.batchId).toBe(batchId);
    expect(republished.top).toBe(base + 1);
  });

  it("leaves ranges long expired out of Redis: PostgreSQL answers their 410, and they are not published again", async () => {
    const { batchId } = await sendWithLinks(1, "Voir https://old.example/page", 650);
    const [code] = codesIn(sentTexts(batchId).get(0) as string) as [string];
    const [{ base } = { base: 0 }] = await stack.query<{ base: number }>(
      "UPDATE batches SET links_expire_at = now() - interval '8 days' WHERE id = $1 RETURNING link_base::float8 AS base",
      [batchId],
    );
    const redis = createRedis(testRedisUrl, { blocking: true });
    try {
      // Pruned as the maintenance job would prune it, had it been published with its expiry.
      expect(
        await pruneLinkRanges(redis, stack.env.REDIS_PREFIX, Date.now() + 366 * 86_400_000),
      ).toBeGreaterThan(0);
      expect((await lookupLinkRange(redis, stack.env.REDIS_PREFIX, base)).range).toBeNull();
      // A fresh process: nothing in memory either.
      const another = await stack.startAnother();
      const answer = await fetch(`${another.url}/l/${code}`, {
        redirect: "manual",
        headers: { "user-agent": BROWSER },
      });
      expect(answer.status).toBe(410);
      expect((await lookupLinkRange(redis, stack.env.REDIS_PREFIX, base)).range).toBeNull();
    } finally {
      redis.disconnect();
    }
  });

  it("posts message.clicked to the account's webhook", async () => {
    const received: { type: string; data: Record<string, unknown> }[] = [];
    const receiver = createServer((req, res) => {
      let body = "";
      req.on("data", (chunk: Buffer) => {
        body += chunk.toString();
      });
      req.on("end", () => {
        received.push(JSON.parse(body));
        res.end("ok");
      });
    });
    await new Promise<void>((resolve) => receiver.listen(0, "127.0.0.1", resolve));
    try {
      const account = await stack.newAccount({ credits: 100, apiRateLimit: 1_000 });
      const { port } = receiver.address() as AddressInfo;
      await account.client.webhooks.create({
        url: `http://127.0.0.1:${port}/clicks`,
        events: ["message.clicked"],
      });
      const { body: accepted } = await account.client.batches.create({
        from: "ACME",
        body: "Votre lien : https://hook.example/x",
        recipients: recipients(1, 700),
        shorten_urls: true,
      });
      const batchId = accepted.data.batch_id;
      await waitFor("its hand-off", () => sentTexts(batchId).size === 1);
      const [code] = codesIn(sentTexts(batchId).get(0) as string) as [string];
      expect((await follow(code)).status).toBe(302);
      const [event] = await waitFor("the event posted", () => (received.length > 0 ? received : null));
      expect(event).toMatchObject({
        type: "message.clicked",
        data: {
          batch_id: batchId,
          url: "https://hook.example/x",
          short_url: `${LINK_BASE_URL}/${code}`,
          first_click: true,
        },
      });
    } finally {
      receiver.close();
    }
  });
  it("are put in before the fields of a personalised text: a field's URL is left as it is, and each message costs its own text", async () => {
    const { client } = await stack.newAccount({ credits: 1_000, apiRateLimit: 1_000 });
    const { body: list } = await client.contactLists.create({ name: "Clients", country: "FR" });
    const contacts = recipients(4, 900);
    await client.contactLists.addContacts(list.data.id, [
      { number: contacts[0] as string, fields: { first_name: "Ana" } },
      // A URL in a field is the contact's text, never one of the body's links.
      { number: contacts[1] as string, fields: { first_name: "see https://field.example/p" } },
      // Unicode in one field: only this message is UCS-2.
      { number: contacts[2] as string, fields: { first_name: "Łucja 😀" } },
      { number: contacts[3] as string, fields: {} },
    ]);
    const before = (await client.account.get()).body.data.attributes.credits;
    const { body: accepted } = await client.batches.create({
      from: "ACME",
      body: `Bonjour {{first_name|toi}}, nos soldes : https://shop.example/soldes ${"x".repeat(90)}`,
      recipients: [{ to: recipients(1, 950)[0] as string, fields: { first_name: "Bob" } }],
      contact_lists: [list.data.id],
      shorten_urls: true,
    });
    const batchId = accepted.data.batch_id;
    const done = await client.batches.wait(batchId, { timeoutMs: 30_000 });
    expect(done.attributes).toMatchObject({ status: "completed", total: 5, sent: 5 });
    await waitFor("every hand-off in the ledger", () => sentTexts(batchId).size === 5);

    const [batch] = await stack.query<{ link_base: string }>("SELECT link_base FROM batches WHERE id = $1", [
      batchId,
    ]);
    const [{ secret } = { secret: "" }] = await stack.query<{ secret: string }>(
      "SELECT secret::text FROM link_counter",
    );
    const codec = linkCodec(secret);
    const rows = await stack.query<{ idx: number; segments: number; cost: number }>(
      "SELECT idx, segments, cost FROM messages WHERE batch_id = $1 ORDER BY idx",
      [batchId],
    );
    const texts = sentTexts(batchId);
    for (const { idx, segments, cost } of rows) {
      const text = texts.get(idx) as string;
      const [code, ...more] = codesIn(text);
      expect(more).toEqual([]);
      expect(codec.decode(code as string)).toBe(Number(batch?.link_base) + idx);
      expect([segments, cost]).toEqual([segmentCount(text), segmentCount(text)]);
    }
    expect(texts.get(0)).toContain("Bonjour Bob, nos soldes : https://go.salvo.test/l/");
    expect(texts.get(2)).toContain("Bonjour see https://field.example/p, nos soldes");
    expect(texts.get(4)).toContain("Bonjour toi, nos soldes");
    expect(rows.find((r) => r.idx === 3)?.segments).toBe(3);
    expect(rows.find((r) => r.idx === 1)?.segments).toBe(1);
    const cost = rows.reduce((sum, r) => sum + r.cost, 0);
    expect(done.attributes.cost).toBe(cost);
    const after = (await client.account.get()).body.data.attributes.credits;
    expect(before - after).toBe(cost);

    // Every link leads where the body said, whatever the message's fields.
    const response = await follow(codesIn(texts.get(2) as string)[0] as string);
    expect(response.headers.get("location")).toBe("https://shop.example/soldes");
  });
});
