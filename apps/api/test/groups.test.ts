// Sofy's groups and custom columns (reference §10.4): GET /v1/groups,
// POST /v1/groups/:groupId/contacts and GET /v1/customColumns on Salvo's contact
// lists, called as a Sofy client calls them (X-API-KEY-ID/X-API-KEY-SECRET).
import type { Salvo } from "@salvo/sdk";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestApi, type TestApi } from "./harness";

let t: TestApi;
beforeAll(async () => {
  t = await startTestApi();
});
afterAll(() => t?.stop());

/** A token as Sofy's headers present it: its id and its secret. */
function sofyHeaders(token: string): Record<string, string> {
  const [id = "", secret = ""] = token.split(".");
  return { "X-API-KEY-ID": id, "X-API-KEY-SECRET": secret };
}

async function sofy(token: string | undefined, method: string, path: string, body?: unknown) {
  const response = await fetch(`${t.api.url}${path}`, {
    method,
    headers: {
      ...(token ? sofyHeaders(token) : {}),
      ...(body === undefined ? {} : { "content-type": "application/json" }),
    },
    ...(body === undefined ? {} : { body: typeof body === "string" ? body : JSON.stringify(body) }),
  });
  const json = (await response.json()) as unknown;
  return {
    status: response.status,
    json,
    error: (json as { error?: { code: string; field?: string } }).error,
  };
}

interface Account {
  token: string;
  accountId: string;
  client: Salvo;
}

const newAccount = (): Promise<Account> => t.newAccount({ apiRateLimit: 10_000 });

async function newList(account: Account, name = "Clients", country = "FR") {
  const { body } = await account.client.contactLists.create({ name, country });
  return body.data;
}

describe("GET /v1/groups", () => {
  it("answers the account's contact lists as Sofy's groups, newest first, and no other account's", async () => {
    const account = await newAccount();
    expect(await sofy(account.token, "GET", "/v1/groups")).toMatchObject({ status: 200, json: [] });
    const first = await newList(account, "First");
    const second = await newList(account, "Second");
    await newList(await newAccount(), "Someone else's");
    const { status, json } = await sofy(account.token, "GET", "/v1/groups");
    expect(status).toBe(200);
    expect(json).toEqual([
      {
        id: second.id,
        name: "Second",
        createdAt: second.attributes.created_at,
        updatedAt: second.attributes.updated_at,
        source: "user",
      },
      {
        id: first.id,
        name: "First",
        createdAt: first.attributes.created_at,
        updatedAt: first.attributes.updated_at,
        source: "user",
      },
    ]);
  });

  it("refuses a request without credentials, or with a wrong secret (401)", async () => {
    const { token } = await newAccount();
    expect(await sofy(undefined, "GET", "/v1/groups")).toMatchObject({
      status: 401,
      error: { code: "UNAUTHORIZED" },
    });
    expect(await sofy(`${token.split(".")[0]}.wrong`, "GET", "/v1/groups")).toMatchObject({
      status: 401,
      error: { code: "UNAUTHORIZED" },
    });
  });

  it("is in the SDK", async () => {
    const account = await newAccount();
    const list = await newList(account);
    const { body } = await account.client.groups.list();
    expect(body.map((group) => group.id)).toEqual([list.id]);
  });
});

describe("POST /v1/groups/:groupId/contacts", () => {
  const contact = {
    contactEmailAddress: "ana@example.com",
    contactPhoneNumber: "33612345678",
    contactFirstName: "Ana",
    contactLastName: "Lima",
    contactSubscribed: true,
    contactBirthday: "1970-01-01T00:00:00.000Z",
  };

  it("adds Sofy's contact to the list (201), its fields kept as the list's, its number read with the list's country", async () => {
    const account = await newAccount();
    const list = await newList(account);
    const added = await sofy(account.token, "POST", `/v1/groups/${list.id}/contacts`, {
      ...contact,
      contactPhoneNumber: "06 12 34 56 78",
    });
    expect(added).toEqual({
      status: 201,
      error: undefined,
      json: { groupId: list.id, ...contact },
    });
    const { body } = await account.client.contactLists.contacts(list.id);
    expect(body.data).toEqual([
      expect.objectContaining({
        number: "+33612345678",
        fields: {
          email: "ana@example.com",
          first_name: "Ana",
          last_name: "Lima",
          subscribed: "true",
          birthday: "1970-01-01T00:00:00.000Z",
        },
      }),
    ]);
    expect((await account.client.contactLists.get(list.id)).body.data.attributes.contact_count).toBe(1);
  });

  it("replaces the fields of a number already in the group (200), leaving one contact", async () => {
    const account = await newAccount();
    const list = await newList(account);
    await sofy(account.token, "POST", `/v1/groups/${list.id}/contacts`, contact);
    const again = await sofy(account.token, "POST", `/v1/groups/${list.id}/contacts`, {
      contactPhoneNumber: "+33612345678",
      contactFirstName: "Ana Maria",
      contactSubscribed: false,
    });
    expect(again).toMatchObject({
      status: 200,
      json: {
        groupId: list.id,
        contactPhoneNumber: "33612345678",
        contactFirstName: "Ana Maria",
        contactSubscribed: false,
      },
    });
    expect(again.json).not.toHaveProperty("contactLastName");
    const { body } = await account.client.contactLists.contacts(list.id);
    expect(body.data.map((c) => c.fields)).toEqual([{ first_name: "Ana Maria", subscribed: "false" }]);
  });

  it("takes the account's custom columns by id, numbers and booleans kept as their text", async () => {
    const account = await newAccount();
    const list = await newList(account);
    const other = await newList(account, "Other");
    // A custom column is a field name the account's contacts use (here on another list).
    await account.client.contactLists.addContacts(other.id, [
      { number: "+33611111111", fields: { plan: "gold", score: "1" } },
    ]);
    const added = await sofy(account.token, "POST", `/v1/groups/${list.id}/contacts`, {
      contactPhoneNumber: "33612345678",
      plan: "silver",
      score: 12.5,
    });
    expect(added).toMatchObject({
      status: 201,
      json: { groupId: list.id, contactPhoneNumber: "33612345678", plan: "silver", score: "12.5" },
    });
    const { body } = await account.client.groups.addContact(list.id, {
      contactPhoneNumber: "33612345679",
      plan: true,
    });
    expect(body).toEqual({ groupId: list.id, contactPhoneNumber: "33612345679", plan: "true" });
  });

  it.each<[name: string, body: unknown, field: string | undefined]>([
    ["no phone number", { contactFirstName: "Ana" }, "contactPhoneNumber"],
    ["a number that cannot be read", { contactPhoneNumber: "0612" }, "contactPhoneNumber"],
    ["letters as a number", { contactPhoneNumber: "abc" }, "contactPhoneNumber"],
    ["a number as a JSON number", { contactPhoneNumber: 33612345678 }, "contactPhoneNumber"],
    ["an email that is not one", { ...contact, contactEmailAddress: "ana" }, "contactEmailAddress"],
    ["subscribed as a string", { ...contact, contactSubscribed: "yes" }, "contactSubscribed"],
    ["a birthday that is not a date", { ...contact, contactBirthday: "yesterday" }, "contactBirthday"],
    ["a first name of 256 characters", { ...contact, contactFirstName: "a".repeat(256) }, "contactFirstName"],
    ["a first name with NUL", { ...contact, contactFirstName: "A\u0000na" }, "contactFirstName"],
    ["a column no contact of the account has", { ...contact, plan: "gold" }, "plan"],
    ["a column that is not a field name", { ...contact, "3": 12.5 }, "3"],
    ["Sofy's own field under its list name", { ...contact, first_name: "Ana" }, "first_name"],
    ["a column's value as an object", { ...contact, plan: { a: 1 } }, "plan"],
    ["a column's value null", { ...contact, plan: null }, "plan"],
  ])("refuses %s (400, in the error envelope), writing nothing", async (_, body, field) => {
    const account = await newAccount();
    const list = await newList(account);
    const refused = await sofy(account.token, "POST", `/v1/groups/${list.id}/contacts`, body);
    expect(refused.status).toBe(400);
    expect(refused.error).toMatchObject({ code: expect.any(String), ...(field ? { field } : {}) });
    expect(await t.count("contacts", { list_id: list.id })).toBe(0);
  });

  it("refuses a body that is not JSON (415) and an empty one (400)", async () => {
    const account = await newAccount();
    const list = await newList(account);
    const text = await fetch(`${t.api.url}/v1/groups/${list.id}/contacts`, {
      method: "POST",
      headers: { ...sofyHeaders(account.token), "content-type": "text/plain" },
      body: "contactPhoneNumber=33612345678",
    });
    expect(text.status).toBe(415);
    expect(await sofy(account.token, "POST", `/v1/groups/${list.id}/contacts`, {})).toMatchObject({
      status: 400,
    });
  });

  it("answers 404 for another account's group, or one that does not exist, writing nothing", async () => {
    const owner = await newAccount();
    const list = await newList(owner);
    const stranger = await newAccount();
    expect(await sofy(stranger.token, "POST", `/v1/groups/${list.id}/contacts`, contact)).toMatchObject({
      status: 404,
      error: { code: "NOT_FOUND" },
    });
    expect(await sofy(stranger.token, "POST", "/v1/groups/cl_nope/contacts", contact)).toMatchObject({
      status: 404,
      error: { code: "NOT_FOUND" },
    });
    expect(await t.count("contacts", { list_id: list.id })).toBe(0);
  });

  it("replays its answer under the same Idempotency-Key", async () => {
    const account = await newAccount();
    const list = await newList(account);
    const post = () =>
      fetch(`${t.api.url}/v1/groups/${list.id}/contacts`, {
        method: "POST",
        headers: {
          ...sofyHeaders(account.token),
          "content-type": "application/json",
          "idempotency-key": "sofy-contact-1",
        },
        body: JSON.stringify(contact),
      });
    const first = await post();
    const second = await post();
    expect([first.status, second.status]).toEqual([201, 201]);
    expect(await second.json()).toEqual(await first.json());
  });
});

describe("GET /v1/customColumns", () => {
  it("answers the field names of the account's contacts but those Sofy's fields are kept in", async () => {
    const account = await newAccount();
    expect(await sofy(account.token, "GET", "/v1/customColumns")).toMatchObject({ status: 200, json: [] });
    const list = await newList(account);
    await account.client.contactLists.addContacts(list.id, [
      { number: "+33611111111", fields: { plan: "gold", first_name: "Ana" } },
      { number: "+33611111112", fields: { info1: "x", email: "b@example.com" } },
    ]);
    // Another account's fields are not this account's columns.
    const other = await newAccount();
    await other.client.contactLists.addContacts((await newList(other)).id, [
      { number: "+33611111111", fields: { secret_column: "x" } },
    ]);
    const { status, json } = await sofy(account.token, "GET", "/v1/customColumns");
    expect(status).toBe(200);
    const [contact] = (await account.client.contactLists.contacts(list.id)).body.data;
    expect(json).toEqual(
      ["info1", "plan"].map((name) => ({
        id: name,
        venueId: 0,
        userLabel: name,
        type: "TEXT",
        created_at: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/),
        updated_at: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
        deleted_at: null,
      })),
    );
    expect((json as { created_at: string }[])[1]?.created_at).toBe(contact?.created_at);
    expect((await account.client.customColumns.list()).body.map((c) => c.id)).toEqual(["info1", "plan"]);
  });

  it("refuses a request without credentials (401)", async () => {
    expect(await sofy(undefined, "GET", "/v1/customColumns")).toMatchObject({ status: 401 });
  });
});
