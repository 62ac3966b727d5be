// CSV imports over HTTP, without a worker: what POST accepts (202, the file
// stored in parts, the job enqueued) and what it refuses before storing
// anything (a header without numbers, too many or badly named columns, a file
// past the size limit, another account's list).
import { request } from "node:http";
import { Readable } from "node:stream";
import { MAX_CONTACT_FIELDS } from "@salvo/core";
import { closeRedis, createRedis, type OpenQueue, openQueue, type RedisClient } from "@salvo/queue";
import type { Salvo } from "@salvo/sdk";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { refusal, startTestApi, type TestApi } from "./harness";

// A small limit, so that a file past it is quick to send.
const MAX_BYTES = 64 * 1024;

let t: TestApi;
let redis: RedisClient;
let imports: OpenQueue<"imports">;
beforeAll(async () => {
  t = await startTestApi({ IMPORT_MAX_BYTES: String(MAX_BYTES) });
  redis = createRedis(t.env.REDIS_URL);
  imports = openQueue("imports", redis, t.env.REDIS_PREFIX);
});
afterAll(async () => {
  await imports?.close();
  if (redis) await closeRedis(redis);
  await t?.stop();
});

const FAST = { apiRateLimit: 10_000 };

async function newList(client: Salvo) {
  return (await client.contactLists.create({ name: "Imported", country: "FR" })).body.data.id;
}

/** Nothing of an import into the list stored: no import, no part. */
async function nothingStored(listId: string) {
  expect(await t.count("contact_imports", { list_id: listId })).toBe(0);
  const [parts] = await t.query<{ n: number }>(
    "SELECT count(*)::int AS n FROM contact_import_parts p JOIN contact_imports i ON i.id = p.import_id WHERE i.list_id = $1",
    [listId],
  );
  expect(parts?.n).toBe(0);
}

describe("POST /v1/contact-lists/:id/imports", () => {
  it("answers 202 with the queued import, its file stored in parts and its job enqueued", async () => {
    const { client, accountId } = await t.newAccount(FAST);
    const listId = await newList(client);
    const csv = "phone,first_name\n0612345678,Ana\n";
    const created = await client.contactLists.imports.create(listId, csv);
    expect(created.status).toBe(202);
    const imported = created.body.data;
    expect(imported.id).toMatch(/^imp_/);
    expect(imported.attributes).toMatchObject({
      list_id: listId,
      status: "queued",
      size_bytes: csv.length,
      rows: 0,
      added: 0,
      invalid_rows: [],
      started_at: null,
    });
    expect(imported.links.self).toBe(`/v1/contact-lists/${listId}/imports/${imported.id}`);
    expect(created.headers.get("location")).toBe(imported.links.self);
    const parts = await t.query<{ data: Buffer }>(
      "SELECT data FROM contact_import_parts WHERE import_id = $1",
      [imported.id],
    );
    expect(parts.map((part) => part.data.toString())).toEqual([csv]);
    expect((await imports.queue.getJob(imported.id))?.data).toEqual({ importId: imported.id });
    expect((await client.contactLists.imports.get(listId, imported.id)).body.data.id).toBe(imported.id);
    expect(await t.count("contact_imports", { account_id: accountId })).toBe(1);
  });

  it("stores a file of several megabytes in parts of about 1 MB", async () => {
    const big = await startTestApi();
    try {
      const { client } = await big.newAccount(FAST);
      const listId = (await client.contactLists.create({ name: "Big" })).body.data.id;
      const line = "0612345678,Someone with a long enough name to fill the file\n";
      async function* csv() {
        yield "phone,name\n";
        for (let i = 0; i < 60_000; i++) yield line;
      }
      const created = await client.contactLists.imports.create(listId, Readable.from(csv()));
      const size = "phone,name\n".length + 60_000 * line.length;
      expect(created.body.data.attributes.size_bytes).toBe(size);
      const parts = await big.query<{ part: number; bytes: number }>(
        "SELECT part, length(data) AS bytes FROM contact_import_parts WHERE import_id = $1 ORDER BY part",
        [created.body.data.id],
      );
      // 3.6 MB: three parts of 1 MB (and the bit of a chunk that passed it), then the rest.
      expect(parts.map((part) => part.part)).toEqual([0, 1, 2, 3]);
      expect(parts.reduce((sum, part) => sum + part.bytes, 0)).toBe(size);
      for (const part of parts.slice(0, -1)) {
        expect(part.bytes).toBeGreaterThanOrEqual(1024 * 1024);
        expect(part.bytes).toBeLessThan(1024 * 1024 + 128 * 1024);
      }
    } finally {
      await big.stop();
    }
  });

  it.each<[what: string, csv: string, message: RegExp]>([
    ["no column of numbers", "first_name,city\nAna,Paris\n", /no column of phone numbers/],
    [
      "more columns than a contact has fields",
      `phone,${Array.from({ length: MAX_CONTACT_FIELDS + 1 }, (_, i) => `f${i}`).join(",")}\n`,
      /at most 10 fields/,
    ],
    ["a column that is not a field name", "phone,first name\n", /"first name" is not a field name/],
    ["a column named twice", "phone,city,city\n", /"city" appears twice/],
    ["an empty file", "", /empty/],
    ["an empty first line", "\nphone\n0612345678\n", /empty/],
  ])("refuses a file with %s (400), storing nothing", async (_what, csv, message) => {
    const { client } = await t.newAccount(FAST);
    const listId = await newList(client);
    const error = await refusal(client.contactLists.imports.create(listId, csv));
    expect(error).toMatchObject({ status: 400, code: "INVALID_PARAMETER" });
    expect(error.message).toMatch(message);
    await nothingStored(listId);
  });

  it("refuses a number_column the header does not have", async () => {
    const { client } = await t.newAccount(FAST);
    const listId = await newList(client);
    const error = await refusal(
      client.contactLists.imports.create(listId, "phone,city\n", { numberColumn: "mobile" }),
    );
    expect(error).toMatchObject({ status: 400, field: "number_column" });
    await nothingStored(listId);
  });

  it("refuses a file that is not UTF-8, even past its header", async () => {
    const { client } = await t.newAccount(FAST);
    const listId = await newList(client);
    const latin1 = Buffer.concat([
      Buffer.from("phone,city\n0612345678,"),
      Buffer.from([0xe9]),
      Buffer.from("\n"),
    ]);
    expect(await refusal(client.contactLists.imports.create(listId, latin1))).toMatchObject({ status: 400 });
    await nothingStored(listId);
  });

  it("refuses a body that is neither CSV nor multipart (415)", async () => {
    const { client } = await t.newAccount(FAST);
    const listId = await newList(client);
    const error = await refusal(client.call("POST", `/v1/contact-lists/${listId}/imports`, { contacts: [] }));
    expect(error).toMatchObject({ status: 415 });
    await nothingStored(listId);
  });

  it("refuses a file past the size limit (413): announced, or found as it streams", async () => {
    const { client } = await t.newAccount(FAST);
    const listId = await newList(client);
    const over = `phone\n${"0612345678\n".repeat(MAX_BYTES / 11 + 1)}`;
    expect(await refusal(client.contactLists.imports.create(listId, over))).toMatchObject({
      status: 413,
      code: "PAYLOAD_TOO_LARGE",
    });
    // Chunked: no length announced, the limit is found once past it.
    async function* chunks() {
      yield "phone\n";
      for (let i = 0; i < 20; i++) yield "0612345678\n".repeat(500);
    }
    expect(await refusal(client.contactLists.imports.create(listId, Readable.from(chunks())))).toMatchObject({
      status: 413,
    });
    await nothingStored(listId);
  });

  it("answers 404 for another account's list or import, and 401 without credentials", async () => {
    const owner = await t.newAccount(FAST);
    const other = await t.newAccount(FAST);
    const listId = await newList(owner.client);
    const imported = (await owner.client.contactLists.imports.create(listId, "phone\n0612345678\n")).body
      .data;
    const notFound = { status: 404, code: "NOT_FOUND" };
    expect(
      await refusal(other.client.contactLists.imports.create(listId, "phone\n0612345678\n")),
    ).toMatchObject(notFound);
    expect(await refusal(other.client.contactLists.imports.get(listId, imported.id))).toMatchObject(notFound);
    expect(await refusal(other.client.contactLists.imports.list(listId))).toMatchObject(notFound);
    const otherList = await newList(other.client);
    expect(await refusal(other.client.contactLists.imports.get(otherList, imported.id))).toMatchObject(
      notFound,
    );
    expect(await refusal(t.client().contactLists.imports.list(listId))).toMatchObject({ status: 401 });
    expect(await refusal(t.client().contactLists.imports.create(listId, "phone\n"))).toMatchObject({
      status: 401,
    });
    expect(await t.count("contact_imports", { list_id: listId })).toBe(1);
    expect(await t.count("contact_imports", { list_id: otherList })).toBe(0);
  });

  it("lists a list's imports newest first, and deletes them with the list", async () => {
    const { client } = await t.newAccount(FAST);
    const listId = await newList(client);
    const first = (await client.contactLists.imports.create(listId, "phone\n0612345678\n")).body.data;
    const second = (
      await client.contactLists.imports.create(listId, "phone\n0612345679\n", { multipart: true })
    ).body.data;
    const { data } = (await client.contactLists.imports.list(listId)).body;
    expect(data.map((imported) => imported.id)).toEqual([second.id, first.id]);
    // A list shows counts; the invalid rows are the import's own page.
    expect(data[0]?.attributes.invalid_rows).toBeUndefined();
    await client.contactLists.delete(listId);
    expect(await t.count("contact_imports", { list_id: listId })).toBe(0);
    expect(await t.count("contact_import_parts", { import_id: first.id })).toBe(0);
  });

  it("announces a size it does not send: the import is not kept", async () => {
    const { client, token } = await t.newAccount(FAST);
    const listId = await newList(client);
    // The client says 1,000 bytes, sends the header and a row, then hangs up.
    await new Promise<void>((resolve) => {
      const req = request(`${t.api.url}/v1/contact-lists/${listId}/imports`, {
        method: "POST",
        headers: { authorization: `Bearer ${token}`, "content-type": "text/csv", "content-length": "1000" },
      });
      req.on("error", () => resolve());
      req.write("phone\n0612345678\n", () => setTimeout(() => req.destroy(), 200));
      req.on("close", () => resolve());
    });
    await expect.poll(() => t.count("contact_imports", { list_id: listId })).toBe(0);
  });
});
