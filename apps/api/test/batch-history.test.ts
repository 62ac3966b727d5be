// Batch names, the filters of GET /v1/batches, and the CSV export of a batch's
// messages. No worker runs: batches stay `accepted`; the export's messages are
// written directly, as the workers would have.
import { messageId } from "@salvo/core";
import type { BatchData, Salvo } from "@salvo/sdk";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { refusal, startTestApi, type TestApi } from "./harness";

let t: TestApi;
beforeAll(async () => {
  t = await startTestApi();
});
afterAll(() => t?.stop());

const FAST = { apiRateLimit: 10_000, credits: 1_000_000 };
const MOBILE = "+33612345678";

async function create(client: Salvo, batch: { name?: string; from?: string; type?: "marketing" }) {
  const { body } = await client.batches.create({
    from: "Salvo",
    body: "Hello",
    recipients: [MOBILE],
    ...batch,
  });
  return body.data.batch_id;
}

const ids = (page: { data: BatchData[] }) => page.data.map((b) => b.id);

describe("a batch's name", () => {
  it("is optional, trimmed, stored and shown", async () => {
    const { client } = await t.newAccount(FAST);
    const named = await create(client, { name: "  Soldes d'hiver 🎿  " });
    const unnamed = await create(client, {});
    const blank = await create(client, { name: "   " });
    expect((await client.batches.get(named)).body.data.attributes.name).toBe("Soldes d'hiver 🎿");
    expect((await client.batches.get(unnamed)).body.data.attributes.name).toBeNull();
    expect((await client.batches.get(blank)).body.data.attributes.name).toBeNull();
    // 100 characters, whatever their UTF-16 length.
    const long = await create(client, { name: "🎿".repeat(100) });
    expect((await client.batches.get(long)).body.data.attributes.name).toBe("🎿".repeat(100));
  });

  it("is refused with a 400 naming it when too long or not storable, storing nothing", async () => {
    const { client, accountId } = await t.newAccount(FAST);
    for (const name of ["x".repeat(101), "a\u0000b", 42 as unknown as string]) {
      const error = await refusal(create(client, { name }));
      expect([error.status, error.code, error.field]).toEqual([400, "INVALID_PARAMETER", "name"]);
    }
    expect(await t.count("batches", { account_id: accountId })).toBe(0);
  });
});

describe("GET /v1/batches filters", () => {
  let client: Salvo;
  const b: Record<string, string> = {};
  beforeAll(async () => {
    ({ client } = await t.newAccount(FAST));
    b.winter = await create(client, { name: "Winter sale 100%" });
    b.summer = await create(client, { name: "summer_sale", type: "marketing" });
    b.other = await create(client, { name: "Newsletter", from: "News" });
    b.none = await create(client, {});
    // Known creation times, a day apart: winter oldest.
    const days = [b.winter, b.summer, b.other, b.none];
    for (const [i, id] of days.entries()) {
      await t.query("UPDATE batches SET created_at = $2 WHERE id = $1", [id, `2026-11-0${i + 1}T12:00:00Z`]);
    }
  });

  it("keep batches whose name contains q, case-insensitively, wildcards taken literally", async () => {
    expect(ids((await client.batches.list({ q: "SALE" })).body)).toEqual([b.summer, b.winter]);
    expect(ids((await client.batches.list({ q: "100%" })).body)).toEqual([b.winter]);
    expect(ids((await client.batches.list({ q: "_" })).body)).toEqual([b.summer]);
    expect(ids((await client.batches.list({ q: "%" })).body)).toEqual([b.winter]);
    expect(ids((await client.batches.list({ q: "  news " })).body)).toEqual([b.other]);
  });

  it("keep batches by type, sender and creation time, combined", async () => {
    expect(ids((await client.batches.list({ type: "marketing" })).body)).toEqual([b.summer]);
    expect(ids((await client.batches.list({ from: "News" })).body)).toEqual([b.other]);
    expect(ids((await client.batches.list({ created_after: "2026-11-02T12:00:00Z" })).body)).toEqual([
      b.none,
      b.other,
      b.summer,
    ]);
    expect(ids((await client.batches.list({ created_before: "2026-11-02T13:00:00+01:00" })).body)).toEqual([
      b.winter,
    ]);
    expect(
      ids(
        (
          await client.batches.list({
            created_after: "2026-11-01T00:00:00Z",
            created_before: "2026-11-04T00:00:00Z",
            q: "sale",
            type: "transactional",
            from: "Salvo",
            status: "accepted",
          })
        ).body,
      ),
    ).toEqual([b.winter]);
    expect((await client.batches.list({ status: "completed", q: "sale" })).body).toEqual({
      data: [],
      page: { count: 0, number: 1 },
    });
  });

  it("keep only the account's own batches", async () => {
    const { client: other } = await t.newAccount(FAST);
    const mine = await create(other, { name: "Winter sale" });
    expect(ids((await other.batches.list({ q: "sale" })).body)).toEqual([mine]);
    expect(ids((await client.batches.list({ q: "sale" })).body)).toEqual([b.summer, b.winter]);
  });

  it.each<[query: Record<string, string>, field: string]>([
    [{ created_after: "2026-11-01" }, "created_after"],
    [{ created_after: "2026-11-01T12:00:00" }, "created_after"],
    [{ created_before: "yesterday" }, "created_before"],
    [{ type: "promo" }, "type"],
    [{ from: "Far too long a sender" }, "from"],
    [{ q: "" }, "q"],
    [{ q: "x".repeat(101) }, "q"],
    [{ q: "a\u0000b" }, "q"],
    [{ status: "waiting" }, "status"],
  ])("refuse %j with a 400 naming the field", async (query, field) => {
    const error = await refusal(client.batches.list(query as never));
    expect([error.status, error.code, error.field]).toEqual([400, "INVALID_PARAMETER", field]);
  });
});

describe("GET /v1/batches/:id/messages.csv", () => {
  const TOTAL = 20_000;
  let client: Salvo;
  let batch: string;
  beforeAll(async () => {
    let accountId: string;
    ({ client, accountId } = await t.newAccount(FAST));
    const recipients = Array.from({ length: TOTAL }, (_, i) => ({
      to: `+336${String(10_000_000 + i)}`,
      ref: `r${i}`,
    }));
    batch = (await client.batches.create({ from: "Salvo", body: "Hello", recipients, name: "big" })).body.data
      .batch_id;
    // What the workers would have written: every 10th failed, a ref with a comma and a quote.
    await t.query(
      `INSERT INTO messages (batch_id, idx, account_id, "to", ref, status, reason, segments, cost, created_at, sent_at)
       SELECT $1, i, $2, '+336' || (10000000 + i), CASE WHEN i = 7 THEN 'a,"b"' ELSE 'r' || i END,
              CASE WHEN i % 10 = 0 THEN 'failed' ELSE 'sent' END::"MessageStatus",
              CASE WHEN i % 10 = 0 THEN 'rejected_by_provider' END, 1,
              CASE WHEN i % 10 = 0 THEN 0 ELSE 1 END, '2026-11-01T12:00:00Z', '2026-11-01T12:00:01.5Z'
         FROM generate_series(0, $3 - 1) AS i`,
      [batch, accountId, TOTAL],
    );
  });

  it("streams every message, in order, with a header row", async () => {
    const { status, headers, body } = await client.batches.exportCsv(batch);
    expect(status).toBe(200);
    expect(headers.get("content-type")).toBe("text/csv; charset=utf-8");
    expect(headers.get("content-disposition")).toBe(`attachment; filename="${batch}.csv"`);
    const lines = body.split("\n").filter(Boolean);
    expect(lines).toHaveLength(TOTAL + 1);
    expect(lines[0]).toBe(
      "id,to,ref,status,reason,duplicate_of,segments,cost,created_at,sent_at,done_at,fields",
    );
    expect(lines[1]).toBe(
      `${messageId(batch, 0)},+33610000000,r0,failed,rejected_by_provider,,1,0,2026-11-01T12:00:00.000Z,2026-11-01T12:00:01.500Z,,`,
    );
    expect(lines[8]).toBe(
      `${messageId(batch, 7)},+33610000007,"a,""b""",sent,,,1,1,2026-11-01T12:00:00.000Z,2026-11-01T12:00:01.500Z,,`,
    );
    expect(lines[TOTAL]?.startsWith(`${messageId(batch, TOTAL - 1)},+33610019999,r19999,sent,`)).toBe(true);
    // Positions across page boundaries, in order, none twice.
    const positions = lines.slice(1).map((line) => Number(line.split(",")[0]?.split("_").at(-1)));
    expect(positions).toEqual(Array.from({ length: TOTAL }, (_, i) => i));
  });

  it("quotes refs and numbers a spreadsheet would read as formulas, by a leading '", async () => {
    const { token } = await t.newAccount(FAST);
    const owner = t.client(token);
    const mine = (await owner.batches.create({ from: "Salvo", body: "Hello", recipients: [MOBILE] })).body
      .data.batch_id;
    const [row] = await t.query<{ account_id: string }>("SELECT account_id FROM batches WHERE id = $1", [
      mine,
    ]);
    // A ref as the client gave it, and an invalid number stored as received.
    await t.query(
      `INSERT INTO messages (batch_id, idx, account_id, "to", ref, status, reason, segments)
       VALUES ($1, 0, $2, '+33612345678', '=HYPERLINK("https://evil.example")', 'sent', NULL, 1),
              ($1, 1, $2, '=1+1', '-12', 'invalid', 'invalid_number', 1)`,
      [mine, row?.account_id],
    );
    const lines = (await owner.batches.exportCsv(mine)).body.split("\n").filter(Boolean);
    expect(lines[1]?.split(",").slice(1, 3)).toEqual([
      "+33612345678",
      `"'=HYPERLINK(""https://evil.example"")"`,
    ]);
    expect(lines[2]?.split(",").slice(1, 3)).toEqual(["'=1+1", "-12"]);
  });

  it("lets a client stop reading midway: the API goes on, nothing logged as an error", async () => {
    const { token } = await t.newAccount(FAST);
    const owner = t.client(token);
    const mine = (
      await owner.batches.create({ from: "Salvo", body: "Hello", recipients: [MOBILE, "+33612345679"] })
    ).body.data.batch_id;
    const [row] = await t.query<{ account_id: string }>("SELECT account_id FROM batches WHERE id = $1", [
      mine,
    ]);
    await t.query(
      `INSERT INTO messages (batch_id, idx, account_id, "to", status, segments)
       SELECT $1, i, $2, '+336' || (20000000 + i), 'sent', 1 FROM generate_series(0, 19999) AS i`,
      [mine, row?.account_id],
    );
    const gone = new AbortController();
    const response = await fetch(`${t.api.url}/v1/batches/${mine}/messages.csv`, {
      headers: { authorization: `Bearer ${token}` },
      signal: gone.signal,
    });
    const reader = response.body?.getReader();
    expect((await reader?.read())?.done).toBe(false);
    gone.abort();
    await reader?.cancel().catch(() => undefined);
    // The API still answers, the export included, and logged no unhandled error.
    const { body } = await owner.batches.exportCsv(mine);
    expect(body.split("\n").filter(Boolean)).toHaveLength(20_001);
    expect(t.logs.join("")).not.toContain("unhandled error");
  });

  it("is a header row alone for a batch without messages yet", async () => {
    const empty = await create(client, {});
    const { body } = await client.batches.exportCsv(empty);
    expect(body).toBe(
      "id,to,ref,status,reason,duplicate_of,segments,cost,created_at,sent_at,done_at,fields\n",
    );
  });

  it("is a JSON 404 for another account's batch and for an unknown one", async () => {
    const { client: other } = await t.newAccount(FAST);
    for (const [who, id] of [
      [other, batch],
      [client, "bat_00000000000000000000000000"],
    ] as const) {
      const error = await refusal(who.batches.exportCsv(id));
      expect([error.status, error.code]).toEqual([404, "NOT_FOUND"]);
    }
  });
});
