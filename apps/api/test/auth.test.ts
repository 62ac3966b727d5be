import { Salvo, SalvoApiError } from "@salvo/sdk";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestApi, type TestApi } from "./harness";

let t: TestApi;
beforeAll(async () => {
  t = await startTestApi();
});
afterAll(() => t.stop());

async function status(
  promise: Promise<unknown>,
): Promise<{ status: number; code?: string; header?: string | null }> {
  try {
    await promise;
    return { status: 200 };
  } catch (error) {
    if (!(error instanceof SalvoApiError)) throw error;
    return { status: error.status, code: error.code, header: error.headers.get("www-authenticate") };
  }
}

describe("authentication", () => {
  it.each(["bearer", "basic", "api-key-headers"] as const)(
    "accepts a token presented as %s",
    async (auth) => {
      const { token, accountId } = await t.newAccount();
      const { body } = await t.client(token, auth).account.get();
      expect(body.data.id).toBe(accountId);
    },
  );

  it("accepts HTTP Basic with the whole token as user name and no password", async () => {
    const { token, accountId } = await t.newAccount();
    const basic = Buffer.from(`${token}:`).toString("base64");
    const { body } = await t.client().call<{ data: { id: string } }>("GET", "/v1/account", undefined, {
      authorization: `Basic ${basic}`,
    });
    expect(body.data.id).toBe(accountId);
  });

  it("refuses a request without credentials with 401 in the error envelope", async () => {
    const result = await status(t.client().account.get());
    expect(result).toMatchObject({ status: 401, code: "UNAUTHORIZED" });
    expect(result.header).toContain("Bearer");
  });

  it("refuses a wrong secret, an unknown token and malformed credentials", async () => {
    const { token } = await t.newAccount();
    const [id] = token.split(".");
    const wrongSecret = `${id}.${"x".repeat(40)}`;
    const unknownId = `tok_01JZZZZZZZZZZZZZZZZZZZZZZZ.${token.split(".")[1]}`;
    const cases: Record<string, string>[] = [
      { authorization: `Bearer ${wrongSecret}` },
      { authorization: `Bearer ${unknownId}` },
      { authorization: "Bearer not-a-token" },
      { authorization: "Bearer " },
      { authorization: "Token abc" },
      { authorization: `Basic ${Buffer.from(`${id}:wrong-secret-of-some-length`).toString("base64")}` },
      { authorization: "Basic !!!not-base64" },
      { "x-api-key-id": id as string },
      { "x-api-key-id": id as string, "x-api-key-secret": "wrong-secret-of-some-length" },
      { "x-api-key-id": "nope", "x-api-key-secret": token.split(".")[1] as string },
    ];
    for (const headers of cases) {
      const result = await status(t.client().call("GET", "/v1/account", undefined, headers));
      expect(result, JSON.stringify(headers)).toMatchObject({ status: 401, code: "UNAUTHORIZED" });
    }
  });

  it("refuses a token once it is revoked, whichever way it is presented", async () => {
    const { client, token } = await t.newAccount();
    const created = await client.tokens.create({ label: "temporary" });
    const second = created.body.data.attributes.token as string;
    await t.client(second).account.get();
    await client.tokens.revoke(created.body.data.id);
    for (const auth of ["bearer", "basic", "api-key-headers"] as const) {
      expect(await status(t.client(second, auth).account.get())).toMatchObject({ status: 401 });
    }
    // The account's other token keeps working.
    await expect(t.client(token).account.get()).resolves.toBeDefined();
  });

  it("refuses a token revoked through the API at once, though this process has it in memory", async () => {
    const { client } = await t.newAccount({ apiRateLimit: 1_000 });
    const created = await client.tokens.create({ label: "cached" });
    const second = t.client(created.body.data.attributes.token as string);
    // Used, hence kept in memory for AUTH_CACHE_MS (5 s here).
    await second.account.get();
    await second.account.get();
    await second.tokens.revoke(created.body.data.id);
    expect(await status(second.account.get())).toMatchObject({ status: 401, code: "UNAUTHORIZED" });
  });

  it("checks the secret of a token it has in memory on every request", async () => {
    const { token } = await t.newAccount({ apiRateLimit: 1_000 });
    const [id, secret] = token.split(".") as [string, string];
    await t.client(token).account.get();
    const wrong = `${id}.${secret.slice(0, -1)}${secret.endsWith("A") ? "B" : "A"}`;
    for (const auth of ["bearer", "basic", "api-key-headers"] as const) {
      expect(await status(t.client(wrong, auth).account.get())).toMatchObject({ status: 401 });
    }
    await expect(t.client(token).account.get()).resolves.toBeDefined();
  });

  it("shows the account as stored now, though its token is in memory", async () => {
    const { client, accountId } = await t.newAccount({ credits: 10, apiRateLimit: 1_000 });
    expect((await client.account.get()).body.data.attributes.credits).toBe(10);
    await t.store.accounts.update(accountId, { credits: 7, name: "renamed" });
    expect((await client.account.get()).body.data.attributes).toMatchObject({ credits: 7, name: "renamed" });
  });

  it("does not let one account revoke another account's token", async () => {
    const a = await t.newAccount();
    const b = await t.newAccount();
    const bTokens = await b.client.tokens.list();
    const bTokenId = bTokens.body.data[0]?.id as string;
    expect(await status(a.client.tokens.revoke(bTokenId))).toMatchObject({ status: 404, code: "NOT_FOUND" });
    await expect(b.client.account.get()).resolves.toBeDefined();
  });

  it("leaves health checks open", async () => {
    await expect(t.client().health()).resolves.toEqual({ status: "ok" });
    await expect(t.client().ready()).resolves.toMatchObject({ status: "ready" });
  });
});

describe("revoking tokens", () => {
  const idOf = (token: string) => token.split(".")[0] as string;
  const liveTokens = (accountId: string) =>
    t.count("api_tokens", { account_id: accountId, revoked_at: null });

  it("refuses to revoke the account's last live token with 409 LAST_TOKEN, and revokes it once another exists", async () => {
    const { client, token, accountId } = await t.newAccount({ apiRateLimit: 1_000 });
    expect(await status(client.tokens.revoke(idOf(token)))).toMatchObject({
      status: 409,
      code: "LAST_TOKEN",
    });
    expect(await liveTokens(accountId)).toBe(1);
    await expect(client.account.get()).resolves.toBeDefined();

    // With a second live token, a token may revoke itself, and the second then is the last.
    const created = await client.tokens.create({ label: "spare" });
    const spare = t.client(created.body.data.attributes.token as string);
    await expect(client.tokens.revoke(idOf(token))).resolves.toBeDefined();
    expect(await status(spare.tokens.revoke(created.body.data.id))).toMatchObject({
      status: 409,
      code: "LAST_TOKEN",
    });
    expect(await liveTokens(accountId)).toBe(1);
    // A revoked token counts for nothing, and revoking it again is still harmless.
    await expect(spare.tokens.revoke(idOf(token))).resolves.toBeDefined();
  });

  it("never leaves an account without a live token when two tokens revoke each other, or themselves, at once", async () => {
    for (const crossed of [true, false, true, false, true, false]) {
      const { client, token, accountId } = await t.newAccount({ apiRateLimit: 1_000 });
      const created = await client.tokens.create({ label: "other" });
      const other = created.body.data.attributes.token as string;
      const [a, b] = [t.client(token), t.client(other)];
      // Both known to this process, so neither is refused at authentication by the other's revocation.
      await Promise.all([a.account.get(), b.account.get()]);
      const outcomes = await Promise.all([
        status(a.tokens.revoke(idOf(crossed ? other : token))),
        status(b.tokens.revoke(idOf(crossed ? token : other))),
      ]);
      expect(
        outcomes.filter((o) => o.status === 200),
        JSON.stringify(outcomes),
      ).toHaveLength(1);
      expect(outcomes.filter((o) => o.status !== 200)[0]?.status).toBeOneOf([401, 409]);
      expect(await liveTokens(accountId)).toBe(1);
    }
  });
});

describe("authentication across API processes", () => {
  let short: TestApi;
  beforeAll(async () => {
    short = await startTestApi({ AUTH_CACHE_MS: "300" });
  });
  afterAll(() => short.stop());

  it("refuses a token revoked through another process once that process's memory of it expires", async () => {
    const other = await short.startAnother();
    const { client } = await short.newAccount({ apiRateLimit: 1_000 });
    const created = await client.tokens.create({ label: "elsewhere" });
    const token = created.body.data.attributes.token as string;
    const there = new Salvo({ baseUrl: other.url, token });
    await there.account.get();
    await short.client(token).tokens.revoke(created.body.data.id);
    expect(await status(short.client(token).account.get())).toMatchObject({ status: 401 });
    await expect
      .poll(async () => (await status(there.account.get())).status, { timeout: 3_000, interval: 50 })
      .toBe(401);
  });
});
