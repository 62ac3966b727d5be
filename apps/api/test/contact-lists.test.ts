// Contact lists over HTTP: lists per account, contacts keyed by their E.164
// number (read with the list's country), fields replaced on re-add, searched,
// cleaned against the account's blacklist and NPAI list, exported as CSV.
import { execFile } from "node:child_process";
import path from "node:path";
import type { Salvo } from "@salvo/sdk";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { refusal, startTestApi, type TestApi } from "./harness";

let t: TestApi;
beforeAll(async () => {
  t = await startTestApi();
});
afterAll(() => t?.stop());

const FAST = { apiRateLimit: 10_000 };

async function newList(client: Salvo, name = "Clients", country?: string) {
  return (await client.contactLists.create({ name, ...(country ? { country } : {}) })).body.data;
}

/** `count` distinct valid French mobile numbers in E.164, from `start`. */
function mobiles(count: number, start = 0): string[] {
  return Array.from({ length: count }, (_, i) => `+3361${String(start + i).padStart(7, "0")}`);
}

describe("contact lists", () => {
  it("creates, reads, lists, renames and deletes a list", async () => {
    const { client } = await t.newAccount(FAST);
    const created = await client.contactLists.create({ name: "  VIP  " });
    expect(created.status).toBe(201);
    const list = created.body.data;
    expect(list.id).toMatch(/^cl_/);
    expect(created.headers.get("location")).toBe(`/v1/contact-lists/${list.id}`);
    expect(list.attributes).toMatchObject({ name: "VIP", country: "FR", contact_count: 0 });

    expect((await client.contactLists.get(list.id)).body.data).toEqual(list);
    const other = await newList(client, "Prospects", "be");
    expect(other.attributes.country).toBe("BE");
    const page = (await client.contactLists.list()).body;
    expect(page.data.map((l) => l.id)).toEqual([other.id, list.id]);
    expect(page.page).toEqual({ count: 1, number: 1 });

    const renamed = (await client.contactLists.update(list.id, { name: "Gold", country: "ch" })).body.data;
    expect(renamed.attributes).toMatchObject({ name: "Gold", country: "CH" });

    expect((await client.contactLists.delete(list.id)).status).toBe(204);
    expect(await refusal(client.contactLists.get(list.id))).toMatchObject({ status: 404, code: "NOT_FOUND" });
  });

  it("creates one list for a request retried with its Idempotency-Key", async () => {
    const { client, accountId } = await t.newAccount(FAST);
    const first = await client.contactLists.create({ name: "Once" }, { idempotencyKey: "list-1" });
    const again = await client.contactLists.create({ name: "Once" }, { idempotencyKey: "list-1" });
    expect(again.body.data.id).toBe(first.body.data.id);
    expect(await t.count("contact_lists", { account_id: accountId })).toBe(1);
  });

  it.each<[name: string, body: unknown, field: string]>([
    ["an empty name", { name: " " }, "name"],
    ["a name too long", { name: "x".repeat(101) }, "name"],
    ["an unknown country", { name: "a", country: "XX" }, "country"],
    ["an unknown key", { name: "a", colour: "red" }, ""],
  ])("refuses a list with %s (400 naming the field)", async (_name, body, field) => {
    const { client } = await t.newAccount(FAST);
    const error = await refusal(client.call("POST", "/v1/contact-lists", body));
    expect(error).toMatchObject({ status: 400, code: "INVALID_PARAMETER" });
    if (field) expect(error.field).toBe(field);
  });

  it("refuses an empty change", async () => {
    const { client } = await t.newAccount(FAST);
    const list = await newList(client);
    expect(await refusal(client.contactLists.update(list.id, {}))).toMatchObject({ status: 400 });
  });
});

describe("contacts", () => {
  it("adds contacts read with the list's country, reports invalid ones, updates by number", async () => {
    const { client } = await t.newAccount(FAST);
    const list = await newList(client, "Belgians", "BE");
    const { status, body } = await client.contactLists.addContacts(list.id, [
      { number: "0470 12 34 56", fields: { first_name: "Ana" } },
      { number: "+33 6 12 34 56 78" },
      { number: "12" },
      { number: "0470123456", fields: { first_name: "Anaïs", info1: "x" } },
    ]);
    expect(status).toBe(200);
    expect(body.data).toEqual({
      type: "contacts",
      added: 2,
      updated: 0,
      invalid: [{ index: 2, number: "12", reason: "too_short", message: expect.any(String) }],
    });
    const again = await client.contactLists.addContacts(list.id, [
      { number: "+32470123456", fields: { last_name: "Silva" } },
      { number: "+32470999999" },
    ]);
    expect(again.body.data).toMatchObject({ added: 1, updated: 1, invalid: [] });

    const contacts = (await client.contactLists.contacts(list.id)).body.data;
    // Fields are replaced, not merged, when a number is added again.
    expect(contacts.map((c) => [c.number, c.fields])).toEqual([
      ["+32470123456", { last_name: "Silva" }],
      ["+32470999999", {}],
      ["+33612345678", {}],
    ]);
    expect((await client.contactLists.get(list.id)).body.data.attributes.contact_count).toBe(3);
  });

  it("reads numbers added after a change of country with the new country", async () => {
    const { client } = await t.newAccount(FAST);
    const list = await newList(client);
    await client.contactLists.addContacts(list.id, [{ number: "06 12 34 56 78" }]);
    await client.contactLists.update(list.id, { country: "BE" });
    await client.contactLists.addContacts(list.id, [{ number: "0470 12 34 56" }]);
    const numbers = (await client.contactLists.contacts(list.id)).body.data.map((c) => c.number);
    expect(numbers).toEqual(["+32470123456", "+33612345678"]);
  });

  it.each<[name: string, contacts: unknown, field: string]>([
    ["a bad field name", [{ number: "+33612345678", fields: { "1st": "a" } }], "contacts.0.fields.1st"],
    ["a field value not text", [{ number: "+33612345678", fields: { a: 1 } }], "contacts.0.fields.a"],
    [
      "a field value too long",
      [{ number: "+33612345678", fields: { a: "x".repeat(256) } }],
      "contacts.0.fields.a",
    ],
    [
      "eleven fields",
      [{ number: "+33612345678", fields: Object.fromEntries(mobiles(11).map((_, i) => [`f${i}`, "v"])) }],
      "contacts.0.fields",
    ],
    ["a number not text", [{ number: 33612345678 }], "contacts.0.number"],
    ["a number with a NUL", [{ number: "+336\u00001234" }], "contacts.0.number"],
    ["a number of 256 characters", [{ number: "6".repeat(256) }], "contacts.0.number"],
    ["no contacts", [], "contacts"],
    ["10,001 contacts", mobiles(10_001).map((number) => ({ number })), "contacts"],
  ])("refuses %s with 400 naming it, adding nothing", async (_name, contacts, field) => {
    const { client } = await t.newAccount(FAST);
    const list = await newList(client);
    const error = await refusal(client.call("POST", `/v1/contact-lists/${list.id}/contacts`, { contacts }));
    expect(error).toMatchObject({ status: 400, code: "INVALID_PARAMETER", field });
    if (field === "contacts.0.fields.1st") expect(error.message).toContain("not a field name");
    expect(await t.count("contacts", { list_id: list.id })).toBe(0);
  });

  it("takes 10,000 contacts in one request", async () => {
    const { client } = await t.newAccount(FAST);
    const list = await newList(client);
    const contacts = mobiles(10_000).map((number, i) => ({ number, fields: { first_name: `n${i}` } }));
    const { body } = await client.contactLists.addContacts(list.id, contacts);
    expect(body.data).toMatchObject({ added: 10_000, updated: 0, invalid: [] });
    expect((await client.contactLists.get(list.id)).body.data.attributes.contact_count).toBe(10_000);
  });

  it("keeps contact_count exact under concurrent adds and deletes of the same numbers", async () => {
    const { client } = await t.newAccount(FAST);
    const list = await newList(client);
    const numbers = mobiles(200);
    await Promise.all([
      client.contactLists.addContacts(
        list.id,
        numbers.slice(0, 150).map((number) => ({ number })),
      ),
      client.contactLists.addContacts(
        list.id,
        numbers.slice(50).map((number) => ({ number })),
      ),
      client.contactLists.addContacts(
        list.id,
        numbers.slice(100).map((number) => ({ number })),
      ),
    ]);
    await Promise.all(
      numbers.slice(0, 10).map((number) => client.contactLists.removeContact(list.id, number)),
    );
    expect((await client.contactLists.get(list.id)).body.data.attributes.contact_count).toBe(190);
    expect(await t.count("contacts", { list_id: list.id })).toBe(190);
  });

  it("replays an add retried with its Idempotency-Key, counts and all", async () => {
    const { client } = await t.newAccount(FAST);
    const list = await newList(client);
    const contacts = mobiles(3).map((number) => ({ number }));
    const first = await client.contactLists.addContacts(list.id, contacts, { idempotencyKey: "add-1" });
    const again = await client.contactLists.addContacts(list.id, contacts, { idempotencyKey: "add-1" });
    expect(again.body).toEqual(first.body);
    expect(again.headers.get("idempotent-replayed")).toBe("true");
    expect(first.body.data.added).toBe(3);
  });

  it("searches numbers and field values, case-insensitively, a page at a time", async () => {
    const { client } = await t.newAccount(FAST);
    const list = await newList(client);
    await client.contactLists.addContacts(list.id, [
      ...mobiles(30).map((number) => ({ number })),
      { number: "+33699000001", fields: { city: "Saint-Étienne" } },
      { number: "+33699000002", fields: { note: "50%_off" } },
    ]);
    const first = (await client.contactLists.contacts(list.id)).body;
    expect(first.page).toEqual({ count: 2, number: 1 });
    expect(first.data).toHaveLength(25);
    const second = (await client.contactLists.contacts(list.id, { page: 2 })).body;
    expect(second.data).toHaveLength(7);
    const search = async (q: string) =>
      (await client.contactLists.contacts(list.id, { q })).body.data.map((c) => c.number);
    expect(await search("SAINT-")).toEqual(["+33699000001"]);
    expect(await search("99000")).toEqual(["+33699000001", "+33699000002"]);
    // LIKE's wildcards are taken literally.
    expect(await search("%_")).toEqual(["+33699000002"]);
    expect(await search("nowhere")).toEqual([]);
  });

  it("deletes a contact by its number in any form the list's country reads", async () => {
    const { client } = await t.newAccount(FAST);
    const list = await newList(client);
    await client.contactLists.addContacts(list.id, [{ number: "+33612345678" }, { number: "+33612345679" }]);
    expect((await client.contactLists.removeContact(list.id, "06 12 34 56 78")).status).toBe(204);
    expect(await refusal(client.contactLists.removeContact(list.id, "+33612345678"))).toMatchObject({
      status: 404,
      code: "NOT_FOUND",
    });
    expect(await refusal(client.contactLists.removeContact(list.id, "abc"))).toMatchObject({
      status: 400,
      field: "number",
    });
    const left = (await client.contactLists.get(list.id)).body.data.attributes.contact_count;
    expect(left).toBe(1);
  });

  it("cleans out blacklisted, NPAI and no-longer-valid numbers, counting each", async () => {
    const { client } = await t.newAccount(FAST);
    const list = await newList(client);
    const [a, b, c, d] = mobiles(4);
    await client.contactLists.addContacts(
      list.id,
      [a, b, c, d].map((number) => ({ number: number as string })),
    );
    await client.blacklist.add([a as string]);
    await client.npai.add([b as string, a as string]);
    // A number stored before its range stopped being valid (written directly: the API refuses it).
    await t.query("INSERT INTO contacts (list_id, number) VALUES ($1, '+3312')", [list.id]);
    await t.query("UPDATE contact_lists SET contact_count = contact_count + 1 WHERE id = $1", [list.id]);
    const { body } = await client.contactLists.clean(list.id);
    expect(body.data).toEqual({
      type: "contact_list_clean",
      removed: { invalid: 1, blacklisted: 1, npai: 1 },
      contact_count: 2,
    });
    const numbers = (await client.contactLists.contacts(list.id)).body.data.map((x) => x.number);
    expect(numbers).toEqual([c, d]);
  });

  it("exports the list as CSV: number, then every field name, values quoted as needed", async () => {
    const { client } = await t.newAccount(FAST);
    const list = await newList(client);
    await client.contactLists.addContacts(list.id, [
      { number: "+33612345678", fields: { last_name: 'Dupont, "Jr"', first_name: "Jean" } },
      { number: "+33612345677", fields: { note: "line one\nline two" } },
      { number: "+33612345679" },
    ]);
    const { status, body, headers } = await client.contactLists.export(list.id);
    expect(status).toBe(200);
    expect(headers.get("content-type")).toBe("text/csv; charset=utf-8");
    expect(headers.get("content-disposition")).toBe(`attachment; filename="${list.id}.csv"`);
    expect(body).toBe(
      [
        "number,first_name,last_name,note",
        '+33612345677,,,"line one\nline two"',
        '+33612345678,Jean,"Dupont, ""Jr""",',
        "+33612345679,,,",
        "",
      ].join("\n"),
    );
  });

  it("exports fields a spreadsheet would read as formulas quoted by a leading ', numbers as they are", async () => {
    const { client } = await t.newAccount(FAST);
    const list = await newList(client);
    await client.contactLists.addContacts(list.id, [
      { number: "+33612345678", fields: { first_name: '=HYPERLINK("https://evil.example")', note: "-12.5" } },
      { number: "+33612345679", fields: { first_name: "+cmd|' /C calc'!A0", note: "@SUM(1)" } },
    ]);
    const { body } = await client.contactLists.export(list.id);
    expect(body).toBe(
      [
        "number,first_name,note",
        `+33612345678,"'=HYPERLINK(""https://evil.example"")",-12.5`,
        "+33612345679,'+cmd|' /C calc'!A0,'@SUM(1)",
        "",
      ].join("\n"),
    );
    // Stored as given: only the export quotes them.
    const stored = (await client.contactLists.contacts(list.id)).body.data.map((x) => x.fields.first_name);
    expect(stored).toEqual(['=HYPERLINK("https://evil.example")', "+cmd|' /C calc'!A0"]);
  });

  it("exports a list longer than one page of reads", async () => {
    const { client } = await t.newAccount(FAST);
    const list = await newList(client);
    await client.contactLists.addContacts(
      list.id,
      mobiles(2_500).map((number) => ({ number })),
    );
    const lines = (await client.contactLists.export(list.id)).body.trimEnd().split("\n");
    expect(lines).toHaveLength(2_501);
    expect(lines.slice(1)).toEqual(mobiles(2_500));
  });
});

describe("tenancy", () => {
  it("answers 404 to another account on every route, changing nothing", async () => {
    const owner = await t.newAccount(FAST);
    const other = await t.newAccount(FAST);
    const list = await newList(owner.client);
    await owner.client.contactLists.addContacts(list.id, [{ number: "+33612345678" }]);
    const lists = other.client.contactLists;
    const calls: [string, () => Promise<unknown>][] = [
      ["get", () => lists.get(list.id)],
      ["update", () => lists.update(list.id, { name: "mine" })],
      ["delete", () => lists.delete(list.id)],
      ["addContacts", () => lists.addContacts(list.id, [{ number: "+33612345679" }])],
      ["contacts", () => lists.contacts(list.id)],
      ["removeContact", () => lists.removeContact(list.id, "+33612345678")],
      ["clean", () => lists.clean(list.id)],
      ["export", () => lists.export(list.id)],
    ];
    for (const [name, call] of calls) {
      expect(await refusal(call()), name).toMatchObject({ status: 404, code: "NOT_FOUND" });
    }
    expect((await lists.list()).body.data).toEqual([]);
    const kept = (await owner.client.contactLists.get(list.id)).body.data;
    expect(kept.attributes).toMatchObject({ name: "Clients", contact_count: 1 });
    expect((await owner.client.contactLists.contacts(list.id)).body.data.map((c) => c.number)).toEqual([
      "+33612345678",
    ]);
  });
});

describe("salvo lists (the CLI, through the SDK)", () => {
  const cli = path.join(import.meta.dirname, "../../cli/bin/salvo.mjs");
  const salvo = (token: string, ...args: string[]) =>
    new Promise<string>((resolve, reject) =>
      execFile(
        process.execPath,
        [cli, "lists", ...args],
        { env: { ...process.env, SALVO_URL: t.api.url, SALVO_TOKEN: token }, timeout: 30_000 },
        (error, stdout, stderr) =>
          error ? reject(new Error(`${error.message}\n${stderr}`)) : resolve(stdout),
      ),
    );

  it("creates a list, adds numbers, cleans, exports, lists and deletes it", async () => {
    const { client, token } = await t.newAccount(FAST);
    const id = (await salvo(token, "create", "Shop", "--country", "BE")).trim();
    expect(id).toMatch(/^cl_/);
    const added = JSON.parse(await salvo(token, "add", id, "0470123456", "+33612345678", "12"));
    expect(added).toMatchObject({ added: 2, updated: 0, invalid: [{ index: 2, reason: "too_short" }] });
    await client.blacklist.add(["+33612345678"]);
    expect(await salvo(token, "clean", id)).toBe("removed 1 blacklisted, 0 NPAI, 0 invalid · 1 left\n");
    expect(await salvo(token, "export", id)).toBe("number\n+32470123456\n");
    expect(await salvo(token, "list")).toBe(`${id} BE 1 contacts · Shop\npage 1 of 1\n`);
    await salvo(token, "delete", id);
    expect(await refusal(client.contactLists.get(id))).toMatchObject({ status: 404 });
  });
});
