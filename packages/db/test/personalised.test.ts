// Personalised batches at the store: contact lists copied into chunks by SQL at
// acceptance, the reservation's bound from the lists' aggregates, and exact
// per-message refunds at hand-off.
import {
  GSM_BASIC_CHARACTERS,
  GSM_EXTENSION_CHARACTERS,
  InvalidParameterError,
  newId,
  parseTemplate,
  renderTemplate,
  segmentCount,
} from "@salvo/core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createAccount } from "../src/accounts";
import { acceptBatch, cancelBatch, type RawRecipient } from "../src/batches";
import { createContactList, upsertContacts } from "../src/contact-lists";
import { allocateLinkIds } from "../src/links";
import { loadBatchForWork, loadChunks, recordHandoffs } from "../src/pipeline";
import { createSql, type Sql } from "../src/sql";
import { createTestDatabase } from "../src/testing";

let testDb: Awaited<ReturnType<typeof createTestDatabase>>;
let sql: Sql;

beforeAll(async () => {
  testDb = await createTestDatabase();
  sql = createSql(testDb.url, { poolSize: 4, name: "salvo-test-personalised" });
});

afterAll(async () => {
  await sql?.end();
  await testDb?.drop();
});

const number = (i: number) => `+336123${String(50_000 + i).padStart(5, "0")}`;

async function account(credits = 100_000) {
  return (await createAccount(sql, { name: "Acme", credits })).account;
}

async function list(accountId: string, contacts: { number: string; fields: Record<string, string> }[]) {
  const id = newId("cl");
  await createContactList(sql, { id, accountId, name: "L", country: "FR" });
  if (contacts.length > 0) await upsertContacts(sql, accountId, id, contacts);
  return id;
}

async function accept(
  accountId: string,
  body: string,
  recipients: RawRecipient[],
  lists: string[],
  chunkSize = 3,
) {
  const id = newId("bat");
  await acceptBatch(sql, {
    id,
    accountId,
    type: "transactional",
    sender: "ACME",
    body,
    country: null,
    segments: recipients.length > 0 ? 1 : 0,
    recipients,
    contactLists: lists,
    chunkSize,
  });
  const [row] = (
    await sql.query<{ total: number; reserved: number; segments: number; chunk_count: number }>(
      "SELECT total, reserved, segments, chunk_count FROM batches WHERE id = $1",
      [id],
    )
  ).rows;
  if (!row) throw new Error("batch not stored");
  return { id, ...row };
}

async function creditsOf(accountId: string): Promise<number> {
  const { rows } = await sql.query<{ credits: number }>("SELECT credits FROM accounts WHERE id = $1", [
    accountId,
  ]);
  return rows[0]?.credits ?? -1;
}

describe("a batch's contact lists", () => {
  it("are copied after the JSON recipients, chunk by chunk, in list then number order", async () => {
    const { id: accountId } = await account();
    const first = await list(
      accountId,
      [5, 3, 4, 1].map((i) => ({ number: number(i), fields: { first_name: `N${i}` } })),
    );
    const second = await list(accountId, [{ number: number(2), fields: {} }]);
    const batch = await accept(
      accountId,
      "Hi {{first_name|you}}",
      ["+33612349999", "0612349998"],
      [first, second],
    );
    expect([batch.total, batch.chunk_count, batch.segments, batch.reserved]).toEqual([7, 1 + 2, 1, 7]);
    const chunks = await loadChunks(sql, batch.id);
    expect(chunks.map((c) => [c.idx, c.firstIndex, c.recipients])).toEqual([
      [0, 0, ["+33612349999", "0612349998"]],
      [
        1,
        2,
        [
          [number(1), null, { first_name: "N1" }],
          [number(3), null, { first_name: "N3" }],
          [number(4), null, { first_name: "N4" }],
        ],
      ],
      [
        2,
        5,
        [
          [number(5), null, { first_name: "N5" }],
          [number(2), null, {}],
        ],
      ],
    ]);
  });

  it("reserve a bound no message exceeds, from the longest values and whether any needs UCS-2", async () => {
    const { id: accountId } = await account();
    const values = ["Ana", "€€€€€€€€€€", "x".repeat(100), "Zoë 😀😀", "Анна"];
    const contacts = values.map((v, i) => ({ number: number(10 + i), fields: { v } }));
    const lists = [await list(accountId, contacts)];
    // `w` is on no contact: its default (UCS-2 `–`) is what every message shows.
    const body = `Dear {{v}} ${"z".repeat(50)} {{ w | – }}`;
    const before = await creditsOf(accountId);
    const batch = await accept(accountId, body, [], lists);
    const template = parseTemplate(body);
    const most = Math.max(
      ...values.map((v) => {
        const text = renderTemplate(template, { v });
        return "text" in text ? segmentCount(text.text) : 0;
      }),
    );
    expect(batch.segments).toBeGreaterThanOrEqual(most);
    expect(batch.segments).toBeLessThanOrEqual(most + 1);
    expect(batch.reserved).toBe(batch.segments * values.length);
    expect(before - (await creditsOf(accountId))).toBe(batch.reserved);
  });

  it("read every GSM 03.38 character as GSM-7, extension characters as two septets", async () => {
    const { id: accountId } = await account();
    // 127 basic characters (the escape is none) and 10 extension ones: 147 septets, one segment.
    const every = (GSM_BASIC_CHARACTERS + GSM_EXTENSION_CHARACTERS).replace("\u001b", "");
    expect(segmentCount(every)).toBe(1);
    const gsm = await accept(
      accountId,
      "{{v}}",
      [],
      [await list(accountId, [{ number: number(20), fields: { v: every } }])],
    );
    expect(gsm.segments).toBe(1);
    // Seven more extension characters: 161 septets, two segments.
    const over = `${every}€€€€€€€`;
    expect(segmentCount(over)).toBe(2);
    const two = await accept(
      accountId,
      "{{v}}",
      [],
      [await list(accountId, [{ number: number(21), fields: { v: over } }])],
    );
    expect(two.segments).toBe(2);
    // One character outside: UCS-2 (137 units, 3 segments).
    const ucs2 = await accept(
      accountId,
      "{{v}}",
      [],
      [await list(accountId, [{ number: number(22), fields: { v: `${every.slice(1)}ç` } }])],
    );
    expect(ucs2.segments).toBe(segmentCount(`${every.slice(1)}ç`));
    expect(ucs2.segments).toBe(3);
  });

  it("refuse another account's list, naming it, and charge nothing", async () => {
    const { id: mine } = await account(10);
    const { id: theirs } = await account();
    const own = await list(mine, [{ number: number(30), fields: {} }]);
    const other = await list(theirs, [{ number: number(31), fields: {} }]);
    const refused = accept(mine, "Hi", [], [own, other]);
    await expect(refused).rejects.toBeInstanceOf(InvalidParameterError);
    await expect(refused).rejects.toMatchObject({ field: "contact_lists.1" });
    expect(await creditsOf(mine)).toBe(10);
    const { rows } = await sql.query("SELECT 1 FROM batches WHERE account_id = $1", [mine]);
    expect(rows).toHaveLength(0);
  });
});

describe("a personalised batch's hand-off", () => {
  it("costs each message its own segments and refunds the rest of its reservation, exactly", async () => {
    const { id: accountId } = await account();
    const lists = [
      await list(accountId, [
        { number: number(40), fields: { v: "a" } },
        { number: number(41), fields: { v: "я".repeat(80) } },
        { number: number(42), fields: { v: "b" } },
      ]),
    ];
    const before = await creditsOf(accountId);
    const accepted = await accept(accountId, "{{v}}", [], lists, 10);
    const batch = await loadBatchForWork(sql, accepted.id);
    if (!batch) throw new Error("stored");
    expect(batch.segments).toBe(2);
    expect(before - (await creditsOf(accountId))).toBe(6);
    await recordHandoffs(sql, batch, 0, [
      { idx: 0, to: number(40), ref: null, accepted: true, segments: 1 },
      { idx: 1, to: number(41), ref: null, accepted: true, segments: 2 },
      { idx: 2, to: number(42), ref: null, accepted: false, segments: 1 },
    ]);
    const { rows } = await sql.query<{ cost: number; segments: number; status: string }>(
      "SELECT status, segments, cost FROM messages WHERE batch_id = $1 ORDER BY idx",
      [batch.id],
    );
    expect(rows).toEqual([
      { status: "sent", segments: 1, cost: 1 },
      { status: "sent", segments: 2, cost: 2 },
      { status: "failed", segments: 1, cost: 0 },
    ]);
    const [done] = (await sql.query<{ cost: number }>("SELECT cost FROM batches WHERE id = $1", [batch.id]))
      .rows;
    expect(done?.cost).toBe(3);
    expect(before - (await creditsOf(accountId))).toBe(3);
  });
});

describe("a personalised batch canceled", () => {
  it("withdraws its list's contacts, refunding every reservation", async () => {
    const { id: accountId } = await account();
    const lists = [
      await list(accountId, [
        { number: number(60), fields: { v: "😀" } },
        { number: number(61), fields: { v: "x" } },
      ]),
    ];
    const before = await creditsOf(accountId);
    const accepted = await accept(accountId, "{{v}} {{ ref | - }}", ["+33612349990"], lists, 2);
    expect(before - (await creditsOf(accountId))).toBe(accepted.reserved);
    await cancelBatch(sql, accountId, accepted.id);
    const { rows } = await sql.query<{ to: string; ref: string | null; status: string; cost: number }>(
      `SELECT "to", ref, status, cost FROM messages WHERE batch_id = $1 ORDER BY idx`,
      [accepted.id],
    );
    expect(rows).toEqual([
      { to: "+33612349990", ref: null, status: "canceled", cost: 0 },
      { to: number(60), ref: null, status: "canceled", cost: 0 },
      { to: number(61), ref: null, status: "canceled", cost: 0 },
    ]);
    expect(await creditsOf(accountId)).toBe(before);
  });
});

describe("a list batch with tracked links", () => {
  const prefix = "https://s.example/";
  const links = (base: number, ids: number) => ({
    base,
    ids,
    urls: ["https://shop.example/x"],
    prefix,
    expiresAt: new Date(Date.now() + 86_400_000),
  });

  async function acceptWithLinks(accountId: string, lists: string[], taken: { base: number; ids: number }) {
    const id = newId("bat");
    await acceptBatch(sql, {
      id,
      accountId,
      type: "transactional",
      sender: "ACME",
      body: "Bonjour {{first_name|toi}}, voir https://shop.example/x",
      country: null,
      segments: 0,
      recipients: [],
      contactLists: lists,
      chunkSize: 3,
      shortenUrls: true,
      links: links(taken.base, taken.ids),
    });
    const [row] = (
      await sql.query<{ link_base: string; total: number; segments: number }>(
        "SELECT link_base, total, segments FROM batches WHERE id = $1",
        [id],
      )
    ).rows;
    return { link_base: Number(row?.link_base), total: row?.total, segments: row?.segments };
  }

  it("keeps the range taken when the lists still fit it", async () => {
    const { id: accountId } = await account();
    const listId = await list(
      accountId,
      [0, 1, 2].map((i) => ({ number: number(100 + i), fields: { first_name: "Ana" } })),
    );
    const { base } = await allocateLinkIds(sql, 3);
    const stored = await acceptWithLinks(accountId, [listId], { base, ids: 3 });
    expect(stored).toMatchObject({ link_base: base, total: 3 });
    // Counted on the text with the link shortened: 7 characters of code after the prefix.
    const text = `Bonjour Ana, voir ${prefix}${"0".repeat(7)}`;
    expect(stored.segments).toBe(segmentCount(text));
  });

  it("takes a range of the right size when the lists grew after the range was taken", async () => {
    const { id: accountId } = await account();
    const listId = await list(
      accountId,
      [0, 1, 2, 3, 4].map((i) => ({ number: number(200 + i), fields: {} })),
    );
    // Taken for 2 contacts (the count before the list grew to 5).
    const small = await allocateLinkIds(sql, 2);
    const stored = await acceptWithLinks(accountId, [listId], { base: small.base, ids: 2 });
    expect(stored.total).toBe(5);
    // A range of its own, after the small one: no id of it is another batch's.
    expect(stored.link_base).toBeGreaterThanOrEqual(small.base + 2);
    const next = await allocateLinkIds(sql, 1);
    expect(next.base).toBeGreaterThanOrEqual(stored.link_base + 5);
  });
});
