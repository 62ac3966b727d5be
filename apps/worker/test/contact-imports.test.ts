// CSV imports of contact lists through the API and a worker: the file streamed
// to PostgreSQL in parts, read by the worker with the list's country, progress
// and outcome read back through the SDK.
import { execFile } from "node:child_process";
import { statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { Readable } from "node:stream";
import type { Salvo } from "@salvo/sdk";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Stack, startStack, waitFor } from "./stack";

let stack: Stack;
beforeAll(async () => {
  stack = await startStack();
});
afterAll(() => stack?.stopAll());

const FAST = { apiRateLimit: 10_000 };

async function newList(client: Salvo, country = "FR") {
  return (await client.contactLists.create({ name: "Imported", country })).body.data.id;
}

/** Waits for an import to end, and answers it as `GET …/imports/:id` does. */
async function finished(client: Salvo, listId: string, importId: string, timeoutMs = 20_000) {
  return waitFor(
    `import ${importId}`,
    async () => {
      const { data } = (await client.contactLists.imports.get(listId, importId)).body;
      return data.attributes.status === "completed" || data.attributes.status === "failed" ? data : null;
    },
    timeoutMs,
  );
}

async function importFile(client: Salvo, listId: string, csv: string | Readable, numberColumn?: string) {
  const created = await client.contactLists.imports.create(
    listId,
    csv,
    numberColumn === undefined ? {} : { numberColumn },
  );
  expect(created.status).toBe(202);
  return finished(client, listId, created.body.data.id);
}

async function contactsOf(client: Salvo, listId: string) {
  const { data } = (await client.contactLists.contacts(listId)).body;
  return Object.fromEntries(data.map((contact) => [contact.number, contact.fields]));
}

describe("contact imports", () => {
  it("reads a BOM, quotes, separators and newlines inside quotes, empty lines, national numbers", async () => {
    const { client } = await stack.newAccount(FAST);
    const listId = await newList(client);
    const csv = [
      "\uFEFFPhone,first_name,note",
      '0612345678,Ana,"Paris, 75001"',
      "",
      '+33612345679,"Bob ""the"" Builder","line one',
      'line two"',
      "   ",
      '06 12 34 56 80,,"a;b"',
      "",
    ].join("\r\n");
    const done = await importFile(client, listId, csv);
    expect(done.attributes).toMatchObject({
      status: "completed",
      rows: 3,
      added: 3,
      updated: 0,
      invalid: 0,
      duplicates: 0,
      invalid_rows: [],
      failure_reason: null,
    });
    expect(done.attributes.started_at).not.toBeNull();
    expect(done.attributes.finished_at).not.toBeNull();
    expect(await contactsOf(client, listId)).toEqual({
      "+33612345678": { first_name: "Ana", note: "Paris, 75001" },
      "+33612345679": { first_name: 'Bob "the" Builder', note: "line one\r\nline two" },
      // An empty value leaves its field out.
      "+33612345680": { note: "a;b" },
    });
    expect((await client.contactLists.get(listId)).body.data.attributes.contact_count).toBe(3);
    // The file's parts are deleted once it is imported.
    expect(await stack.count("contact_import_parts", { import_id: done.id })).toBe(0);
  });

  it.each([
    ["semicolons", ";"],
    ["tabs", "\t"],
  ])("detects a file separated by %s", async (_name, separator) => {
    const { client } = await stack.newAccount(FAST);
    const listId = await newList(client);
    const csv = [
      ["name", "city", "mobile"].join(separator),
      ["Ana", '"Lyon, Rhône"', "0612345678"].join(separator),
      ["Bob", "Nice", "0612345679"].join(separator),
    ].join("\n");
    const done = await importFile(client, listId, csv);
    expect(done.attributes).toMatchObject({ status: "completed", rows: 2, added: 2 });
    expect(await contactsOf(client, listId)).toEqual({
      "+33612345678": { name: "Ana", city: "Lyon, Rhône" },
      "+33612345679": { name: "Bob", city: "Nice" },
    });
  });

  it("reports invalid rows with their row number and reason, and numbers repeated in the file", async () => {
    const { client } = await stack.newAccount(FAST);
    const listId = await newList(client);
    const csv = [
      "number,first_name",
      "0612345678,Ana", // row 2
      "12,Short", // row 3: too short
      "0612345678,Ana again", // row 4: a repeat, its fields win
      "hello,World", // row 5: not a number
      `0612345679,${"x".repeat(256)}`, // row 6: a value too long
      "0612345680,Cleo,extra", // row 7: more values than columns
      "+32470123456,Dirk", // row 8: another country, written in E.164
    ].join("\n");
    const done = await importFile(client, listId, csv);
    expect(done.attributes).toMatchObject({
      status: "completed",
      rows: 7,
      added: 2,
      updated: 0,
      invalid: 4,
      duplicates: 1,
    });
    expect(done.attributes.invalid_rows).toEqual([
      { row: 3, number: "12", reason: "too_short", message: expect.any(String) },
      { row: 5, number: "hello", reason: "not_a_number", message: expect.any(String) },
      { row: 6, number: "0612345679", reason: "field_too_long", message: expect.any(String) },
      { row: 7, number: "0612345680", reason: "too_many_values", message: expect.any(String) },
    ]);
    expect(await contactsOf(client, listId)).toEqual({
      "+32470123456": { first_name: "Dirk" },
      "+33612345678": { first_name: "Ana again" },
    });
  });

  it("completes a header-only file with no rows", async () => {
    const { client } = await stack.newAccount(FAST);
    const listId = await newList(client);
    const done = await importFile(client, listId, "phone,first_name");
    expect(done.attributes).toMatchObject({ status: "completed", rows: 0, added: 0, invalid: 0 });
  });

  it("updates the contacts a second import names again, and counts them apart", async () => {
    const { client } = await stack.newAccount(FAST);
    const listId = await newList(client);
    await importFile(client, listId, "phone,tier\n0612345678,silver\n0612345679,silver");
    const again = await importFile(client, listId, "phone,tier\n0612345679,gold\n0612345680,gold");
    expect(again.attributes).toMatchObject({ rows: 2, added: 1, updated: 1, duplicates: 0 });
    expect(await contactsOf(client, listId)).toEqual({
      "+33612345678": { tier: "silver" },
      "+33612345679": { tier: "gold" },
      "+33612345680": { tier: "gold" },
    });
    expect((await client.contactLists.get(listId)).body.data.attributes.contact_count).toBe(3);
    const { data, page } = (await client.contactLists.imports.list(listId)).body;
    expect(data.map((imported) => imported.id)).toEqual([again.id, expect.stringMatching(/^imp_/)]);
    expect(page).toEqual({ count: 1, number: 1 });
  });

  it("takes a multipart/form-data file with its number_column field, and a named column", async () => {
    const { client } = await stack.newAccount(FAST);
    const listId = await newList(client);
    const created = await client.contactLists.imports.create(listId, "who,contact\nAna,0612345678\n", {
      multipart: true,
      numberColumn: "Contact",
    });
    expect(created.status).toBe(202);
    expect(created.headers.get("location")).toBe(created.body.data.links.self);
    const done = await finished(client, listId, created.body.data.id);
    expect(done.attributes).toMatchObject({ status: "completed", rows: 1, added: 1 });
    expect(await contactsOf(client, listId)).toEqual({ "+33612345678": { who: "Ana" } });

    // A raw body with the column in the query.
    const raw = await importFile(client, listId, "who,contact\nBob,0612345679\n", "contact");
    expect(raw.attributes).toMatchObject({ status: "completed", added: 1 });
  });

  it("imports a file with `salvo lists import --wait`, printing its progress and invalid rows", async () => {
    const { client, token } = await stack.newAccount(FAST);
    const listId = await newList(client);
    const file = path.join(tmpdir(), `salvo-import-${listId}.csv`);
    writeFileSync(file, "who;tel\nAna;0612345678\nBob;12\n");
    const cli = path.join(import.meta.dirname, "../../cli/bin/salvo.mjs");
    const stdout = await new Promise<string>((resolve, reject) =>
      execFile(
        process.execPath,
        [cli, "lists", "import", listId, file, "--wait"],
        { env: { ...process.env, SALVO_URL: stack.api.url, SALVO_TOKEN: token }, timeout: 30_000 },
        (error, out, stderr) => (error ? reject(new Error(`${error.message}\n${stderr}`)) : resolve(out)),
      ),
    );
    const lines = stdout.trim().split("\n");
    // Off a terminal: plain lines, the upload's (bytes of the file's size), then the import's.
    expect(lines[0]).toBe("uploading 30/30 bytes (100%)");
    expect(lines.at(-2)).toMatch(/^imp_\S+ completed 2 rows: 1 added, 0 updated, 1 invalid, 0 duplicates$/);
    expect(lines.at(-1)).toBe("row 3: too_short (too short to be a phone number)");
    expect(await contactsOf(client, listId)).toEqual({ "+33612345678": { who: "Ana" } });
  });

  it("shows a big import's progress off a terminal: the upload to 100%, then rows read so far up to the total", async () => {
    const { client, token } = await stack.newAccount(FAST);
    const listId = await newList(client);
    const file = path.join(tmpdir(), `salvo-import-${listId}.csv`);
    const rows = 50_000;
    const body = Array.from({ length: rows }, (_, i) => `${i},06${String(10_000_000 + i)}`).join("\n");
    writeFileSync(file, `n,phone\n${body}\n`);
    const size = statSync(file).size;
    const cli = path.join(import.meta.dirname, "../../cli/bin/salvo.mjs");
    const stdout = await new Promise<string>((resolve, reject) =>
      execFile(
        process.execPath,
        [cli, "lists", "import", listId, file, "--wait"],
        { env: { ...process.env, SALVO_URL: stack.api.url, SALVO_TOKEN: token }, timeout: 60_000 },
        (error, out, stderr) => (error ? reject(new Error(`${error.message}\n${stderr}`)) : resolve(out)),
      ),
    );
    // No terminal codes (no bar redrawn in place): one state a line.
    expect(stdout.includes("\r") || stdout.includes(String.fromCharCode(27))).toBe(false);
    const lines = stdout.trim().split("\n");
    const uploads = lines.filter((line) => line.startsWith("uploading "));
    const imports = lines.filter((line) => line.startsWith("imp_"));
    expect(uploads.length + imports.length).toBe(lines.length);
    // The upload first, the bytes growing, its last line the whole file.
    expect(lines.slice(0, uploads.length)).toEqual(uploads);
    const sent = uploads.map((line) => Number(/^uploading (\d+)\/(\d+) bytes/.exec(line)?.[1]));
    expect(sent).toEqual([...sent].sort((a, b) => a - b));
    expect(uploads.at(-1)).toBe(`uploading ${size}/${size} bytes (100%)`);
    // Then the rows read so far, never going back, the last line the completed import.
    const read = imports.map((line) => Number(/ (\d+) rows: /.exec(line)?.[1]));
    expect(read).toEqual([...read].sort((a, b) => a - b));
    expect(imports.at(-1)).toMatch(
      new RegExp(`^imp_\\S+ completed ${rows} rows: ${rows} added, 0 updated, 0 invalid, 0 duplicates$`),
    );
  });

  it("imports an import left queued without a job (Redis down when its file came): the sweep enqueues it", async () => {
    const { client, accountId } = await stack.newAccount(FAST);
    const listId = await newList(client);
    const importId = "imp_01SWEEPTEST0000000000000000";
    await stack.store.contactImports.create({
      id: importId,
      accountId,
      listId,
      delimiter: ",",
      numberColumn: 0,
      columns: [null],
    });
    await stack.store.contactImports.storePart(importId, 0, Buffer.from("phone\n0612345678\n"));
    await stack.store.contactImports.queue(importId, 17);
    const done = await finished(client, listId, importId);
    expect(done.attributes).toMatchObject({ status: "completed", rows: 1, added: 1 });
  });

  // A big file, generated as it is sent: 200,000 rows (a million is bench/contact-import.ts's).
  it("imports 200,000 rows streamed, with exact counts", async () => {
    const { client } = await stack.newAccount(FAST);
    const listId = await newList(client);
    const rows = 200_000;
    async function* csv() {
      yield "phone,first_name,city\n";
      for (let from = 0; from < rows; from += 10_000) {
        let text = "";
        for (let i = from; i < from + 10_000; i++) {
          // Every 1,000th row repeats the row before's number; every 500th is not a number.
          const n = i % 1_000 === 999 ? i - 1 : i;
          text += i % 500 === 250 ? `bad${i},x,y\n` : `+3361${String(n).padStart(7, "0")},Name${i},City\n`;
        }
        yield text;
      }
    }
    const created = await client.contactLists.imports.create(listId, Readable.from(csv()), {
      timeoutMs: 60_000,
    });
    const done = await finished(client, listId, created.body.data.id, 120_000);
    expect(done.attributes).toMatchObject({
      status: "completed",
      rows,
      invalid: rows / 500,
      duplicates: rows / 1_000,
      added: rows - rows / 500 - rows / 1_000,
      updated: 0,
    });
    expect(done.attributes.invalid_rows).toHaveLength(rows / 500);
    expect(done.attributes.invalid_rows?.[0]).toMatchObject({ row: 252, number: "bad250" });
    expect((await client.contactLists.get(listId)).body.data.attributes.contact_count).toBe(
      rows - rows / 500 - rows / 1_000,
    );
  }, 180_000);
});
