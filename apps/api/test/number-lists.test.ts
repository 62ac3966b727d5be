// The blacklist and NPAI lists over HTTP: numbers in any common format are
// stored once in E.164 per account, listed newest first, removed one by one.
import type { Salvo } from "@salvo/sdk";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { refusal, startTestApi, type TestApi } from "./harness";

let t: TestApi;
beforeAll(async () => {
  t = await startTestApi();
});
afterAll(() => t?.stop());

const FAST = { apiRateLimit: 10_000 };
type List = "blacklist" | "npai";

/** The numbers stored on an account's list, read from the database, sorted. */
async function stored(list: List, accountId: string): Promise<string[]> {
  const rows = await t.query<{ number: string }>(`SELECT number FROM ${list} WHERE account_id = $1`, [
    accountId,
  ]);
  return rows.map((r) => r.number).sort();
}

/** A request the SDK would never send, e.g. a literal `+` in the path. */
async function raw(token: string, method: string, path: string, body?: unknown) {
  const response = await fetch(`${t.api.url}${path}`, {
    method,
    headers: {
      authorization: `Bearer ${token}`,
      ...(body === undefined ? {} : { "content-type": "application/json" }),
    },
    body: body === undefined ? undefined : typeof body === "string" ? body : JSON.stringify(body),
  });
  const text = await response.text();
  const json = text
    ? (JSON.parse(text) as { error?: { code: string; description: string; field?: string } })
    : undefined;
  return { status: response.status, error: json?.error };
}

/** `count` distinct valid French mobile numbers in E.164, from `start`. */
function mobiles(count: number, start = 0): string[] {
  return Array.from({ length: count }, (_, i) => `+3361${String(start + i).padStart(7, "0")}`);
}

describe.each<List>(["blacklist", "npai"])("/v1/%s", (list) => {
  const of = (client: Salvo) => client[list];

  describe("POST", () => {
    it("normalises every common format to E.164 with the account's country (FR)", async () => {
      const { client, accountId } = await t.newAccount(FAST);
      const { status, body } = await of(client).add([
        "06 12 34 56 78",
        "+33612345678",
        "0033612345678",
        "+1 415 555 2671",
        "06.98.76.54.32",
        "+44 7911 123456",
      ]);
      expect(status).toBe(201);
      expect(body).toEqual({
        data: {
          type: list,
          added: 4,
          numbers: ["+33612345678", "+14155552671", "+33698765432", "+447911123456"],
        },
      });
      expect(await stored(list, accountId)).toEqual(
        ["+14155552671", "+33612345678", "+33698765432", "+447911123456"].sort(),
      );
    });

    it("counts only the numbers that were not there yet", async () => {
      const { client, accountId } = await t.newAccount(FAST);
      await of(client).add(["0612345678"]);
      const again = await of(client).add(["+33 6 12 34 56 78", "0612345679"]);
      expect(again.body.data).toEqual({ type: list, added: 1, numbers: ["+33612345678", "+33612345679"] });
      const same = await of(client).add(["0612345678", "0612345679"]);
      expect(same.body.data.added).toBe(0);
      expect(await stored(list, accountId)).toEqual(["+33612345678", "+33612345679"]);
    });

    it("collapses duplicates within one request, whatever their format", async () => {
      const { client, accountId } = await t.newAccount(FAST);
      const { body } = await of(client).add([
        "0612345678",
        "06 12 34 56 78",
        "+33612345678",
        "0033612345678",
      ]);
      expect(body.data).toEqual({ type: list, added: 1, numbers: ["+33612345678"] });
      expect(await stored(list, accountId)).toEqual(["+33612345678"]);
    });

    it("keeps a number's first date when it is added again", async () => {
      const { client, accountId } = await t.newAccount(FAST);
      await of(client).add(["0612345678"]);
      const [first] = (await of(client).list()).body.data;
      await of(client).add(["+33612345678"]);
      const listed = (await of(client).list()).body.data;
      expect(listed).toEqual([first]);
      expect(await stored(list, accountId)).toEqual(["+33612345678"]);
    });

    it.each<[name: string, numbers: unknown[], field: string]>([
      ["a word", ["+33612345678", "not a number"], "numbers.1"],
      ["an empty string", ["", "+33612345678"], "numbers.0"],
      ["blanks", ["+33612345678", "0612345679", "   "], "numbers.2"],
      ["too few digits", ["06 12 34"], "numbers.0"],
      ["too many digits", ["+336123456789012"], "numbers.0"],
      ["a number with an extension", ["+33612345678 ext. 12"], "numbers.0"],
      ["digits inside text", ["call 0612345678"], "numbers.0"],
      ["a 100-character string", ["6".repeat(100)], "numbers.0"],
      ["a number as JSON number", ["+33612345678", 33612345678], "numbers.1"],
      ["null", [null], "numbers.0"],
      ["an object", [{ number: "+33612345678" }], "numbers.0"],
      ["the first invalid of many", [...mobiles(9), "nope", "again"], "numbers.9"],
    ])("refuses %s with 400 naming it, adding nothing", async (_name, numbers, field) => {
      const { token, client, accountId } = await t.newAccount(FAST);
      await of(client).add(["0698765432"]);
      const answer = await raw(token, "POST", `/v1/${list}`, { numbers });
      expect(answer.status).toBe(400);
      expect(answer.error).toMatchObject({ code: "INVALID_PARAMETER", field });
      expect(await stored(list, accountId)).toEqual(["+33698765432"]);
    });

    it.each<[name: string, body: unknown, field: string | undefined]>([
      ["no numbers field", {}, "numbers"],
      ["an empty list", { numbers: [] }, "numbers"],
      ["numbers as a string", { numbers: "+33612345678" }, "numbers"],
      ["numbers as null", { numbers: null }, "numbers"],
      // An error about the whole request body names no field.
      ["an array body", [["+33612345678"]], undefined],
      ["100,001 numbers", { numbers: mobiles(100_001) }, "numbers"],
    ])("refuses %s", async (_name, body, field) => {
      const { token, accountId } = await t.newAccount(FAST);
      const answer = await raw(token, "POST", `/v1/${list}`, body);
      expect(answer.status).toBe(400);
      expect(answer.error?.code).toBe("INVALID_PARAMETER");
      expect(answer.error?.field).toBe(field);
      expect(await stored(list, accountId)).toEqual([]);
    });

    it("refuses an unknown field, naming it", async () => {
      const { token, accountId } = await t.newAccount(FAST);
      const answer = await raw(token, "POST", `/v1/${list}`, { numbers: ["+33612345678"], note: "x" });
      expect(answer.status).toBe(400);
      expect(answer.error?.code).toBe("INVALID_PARAMETER");
      expect(answer.error?.description).toContain("note");
      expect(await stored(list, accountId)).toEqual([]);
    });

    it("adds 100,000 numbers in one request", async () => {
      const { client, accountId } = await t.newAccount(FAST);
      const numbers = mobiles(100_000);
      const { status, body } = await of(client).add(numbers);
      expect(status).toBe(201);
      expect(body.data.added).toBe(100_000);
      expect(body.data.numbers).toEqual(numbers);
      expect((await of(client).list()).body.page).toEqual({ count: 4_000, number: 1 });
      expect((await stored(list, accountId)).length).toBe(100_000);
    });
  });

  describe("GET", () => {
    it("answers an empty list with an empty page", async () => {
      const { client } = await t.newAccount(FAST);
      expect((await of(client).list()).body).toEqual({ data: [], page: { count: 0, number: 1 } });
    });

    it("pages the list 25 at a time, newest first", async () => {
      const { client } = await t.newAccount(FAST);
      const older = mobiles(26);
      await of(client).add(older);
      // Sorts after every older number, so only its date can put it first.
      const newest = "+33699999999";
      await of(client).add([newest]);

      const first = await of(client).list();
      expect(first.body.page).toEqual({ count: 2, number: 1 });
      expect(first.body.data).toHaveLength(25);
      const [top, ...rest] = first.body.data;
      expect(top?.number).toBe(newest);
      for (const entry of rest) expect(entry.created_at < (top?.created_at ?? "")).toBe(true);
      for (const entry of first.body.data) {
        expect(entry).toEqual({ number: expect.any(String), created_at: expect.any(String) });
        expect(new Date(entry.created_at).toISOString()).toBe(entry.created_at);
      }

      const second = await of(client).list({ page: 2 });
      expect(second.body.page).toEqual({ count: 2, number: 2 });
      expect(second.body.data).toHaveLength(2);
      // Every number exactly once across the pages.
      const all = [...first.body.data, ...second.body.data].map((e) => e.number);
      expect(all.sort()).toEqual([...older, newest].sort());

      expect((await of(client).list({ page: 3 })).body).toEqual({ data: [], page: { count: 2, number: 3 } });
    });

    it("searches the whole list by digits (q), across pages; refuses a q that is not digits", async () => {
      const { client } = await t.newAccount(FAST);
      await of(client).add([...mobiles(30), "+33755512345", "+447911123456"]);
      const found = await of(client).list({ q: "555 12" });
      expect(found.body.data.map((e) => e.number)).toEqual(["+33755512345"]);
      expect(found.body.page).toEqual({ count: 1, number: 1 });
      expect((await of(client).list({ q: "+44" })).body.data.map((e) => e.number)).toEqual(["+447911123456"]);
      expect((await of(client).list({ q: "0000000000" })).body.data).toEqual([]);
      const refused = await refusal(of(client).list({ q: "55%" }));
      expect(refused).toMatchObject({ status: 400, field: "q" });
    });

    it.each(["0", "-2", "x"])("refuses page=%s", async (page) => {
      const { client } = await t.newAccount(FAST);
      const error = await refusal(client.call("GET", `/v1/${list}?page=${page}`));
      expect(error).toMatchObject({ status: 400, code: "INVALID_PARAMETER", field: "page" });
    });
  });

  describe("DELETE", () => {
    it.each([
      ["E.164 with an encoded +", "+33612345678"],
      ["national format with spaces", "06 12 34 56 78"],
      ["national format", "0612345678"],
      ["the 00 international prefix", "0033612345678"],
      ["international format with spaces", "+33 6 12 34 56 78"],
    ])("removes a number given in %s", async (_name, number) => {
      const { client, accountId } = await t.newAccount(FAST);
      await of(client).add(["+33612345678", "+33612345679"]);
      const { status } = await of(client).remove(number);
      expect(status).toBe(204);
      expect(await stored(list, accountId)).toEqual(["+33612345679"]);
      expect((await of(client).list()).body.data.map((e) => e.number)).toEqual(["+33612345679"]);
      // Gone: removing it again is not found.
      expect(await refusal(of(client).remove(number))).toMatchObject({ status: 404, code: "NOT_FOUND" });
    });

    it("reads the encoded form %2B33… and a literal + in the path alike", async () => {
      const { token, client, accountId } = await t.newAccount(FAST);
      await of(client).add(["+33612345678", "+14155552671"]);
      expect((await raw(token, "DELETE", `/v1/${list}/%2B33612345678`)).status).toBe(204);
      expect((await raw(token, "DELETE", `/v1/${list}/+14155552671`)).status).toBe(204);
      expect(await stored(list, accountId)).toEqual([]);
    });

    it("answers 404 for a valid number that is not on the list", async () => {
      const { client, accountId } = await t.newAccount(FAST);
      await of(client).add(["+33612345678"]);
      const error = await refusal(of(client).remove("+33612345679"));
      expect(error).toMatchObject({ status: 404, code: "NOT_FOUND" });
      expect(await stored(list, accountId)).toEqual(["+33612345678"]);
    });

    it.each(["abc", "123", "06 12 34", "+33612345678 ext. 1", "+33\u00006123456789", "6".repeat(64)])(
      "refuses the invalid number %s with 400",
      async (number) => {
        const { client, accountId } = await t.newAccount(FAST);
        await of(client).add(["+33612345678"]);
        const error = await refusal(of(client).remove(number));
        expect(error).toMatchObject({ status: 400, code: "INVALID_PARAMETER", field: "number" });
        expect(await stored(list, accountId)).toEqual(["+33612345678"]);
      },
    );

    it("refuses a path parameter over 64 characters with 400", async () => {
      const { client } = await t.newAccount(FAST);
      const error = await refusal(of(client).remove("6".repeat(65)));
      expect(error).toMatchObject({ status: 400, code: "INVALID_PARAMETER", field: "number" });
    });
  });

  describe("tenancy", () => {
    it("never shows, counts or removes another account's numbers", async () => {
      const owner = await t.newAccount(FAST);
      const other = await t.newAccount(FAST);
      await of(owner.client).add(["+33612345678", "+33612345679"]);
      const before = (await of(owner.client).list()).body;

      expect((await of(other.client).list()).body).toEqual({ data: [], page: { count: 0, number: 1 } });
      expect(await refusal(of(other.client).remove("+33612345678"))).toMatchObject({
        status: 404,
        code: "NOT_FOUND",
      });

      // The same number on the other account's list is its own entry: new to it, and removable by it alone.
      const added = await of(other.client).add(["0612345678"]);
      expect(added.body.data.added).toBe(1);
      expect((await of(other.client).remove("+33612345678")).status).toBe(204);

      expect((await of(owner.client).list()).body).toEqual(before);
      expect(await stored(list, owner.accountId)).toEqual(["+33612345678", "+33612345679"]);
      expect(await stored(list, other.accountId)).toEqual([]);
    });

    it("refuses every route without credentials", async () => {
      const anonymous = of(t.client());
      for (const request of [
        () => anonymous.add(["+33612345678"]),
        () => anonymous.list(),
        () => anonymous.remove("+33612345678"),
      ]) {
        expect(await refusal(request())).toMatchObject({ status: 401, code: "UNAUTHORIZED" });
      }
    });
  });
});

describe("the two lists are separate", () => {
  it("adds to and removes from one list without touching the other", async () => {
    const { client, accountId } = await t.newAccount(FAST);
    await client.blacklist.add(["+33612345678"]);
    expect(await stored("npai", accountId)).toEqual([]);
    const npai = await client.npai.add(["+33612345678"]);
    expect(npai.body.data).toEqual({ type: "npai", added: 1, numbers: ["+33612345678"] });

    await client.blacklist.remove("+33612345678");
    expect(await stored("blacklist", accountId)).toEqual([]);
    expect(await stored("npai", accountId)).toEqual(["+33612345678"]);
    expect(await refusal(client.blacklist.remove("+33612345678"))).toMatchObject({ status: 404 });
  });
});
