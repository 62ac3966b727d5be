// /v1's tokens limited to addresses (`allowed_ips`), through the SDK as a user
// calls it: created for the account and for a sub-account, listed with their
// list, accepted from an address in it and refused (401 IP_NOT_ALLOWED) from
// another, whatever the route and however the token is presented.
import { type AuthStyle, Salvo } from "@salvo/sdk";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { refusal, startTestApi, type TestApi } from "./harness";

let t: TestApi;
beforeAll(async () => {
  // Both stacks: 127.0.0.1 arrives IPv4-mapped (::ffff:127.0.0.1), ::1 as IPv6.
  t = await startTestApi({ HOST: "::", AUTH_CACHE_MS: "0" });
});
afterAll(() => t?.stop());

const fromIpv4 = (token: string, auth?: AuthStyle) =>
  new Salvo({ baseUrl: `http://127.0.0.1:${t.api.port}`, token, auth });
const fromIpv6 = (token: string, auth?: AuthStyle) =>
  new Salvo({ baseUrl: `http://[::1]:${t.api.port}`, token, auth });

describe("allowed_ips on /v1 tokens", () => {
  it("is stored canonical, listed, and enforced: an IPv4 range and an exact IPv6 address", async () => {
    const { client } = await t.newAccount({ apiRateLimit: 10_000 });
    const v4 = await client.tokens.create({ label: "office", allowed_ips: ["127.0.0.0/8"] });
    expect(v4.status).toBe(201);
    expect(v4.body.data.attributes.allowed_ips).toEqual(["127.0.0.0/8"]);
    const v6 = await client.tokens.create({ label: "v6", allowed_ips: ["0:0:0::1"] });
    expect(v6.body.data.attributes.allowed_ips).toEqual(["::1"]);
    const listed = (await client.tokens.list()).body.data;
    expect(listed.map((token) => token.attributes.allowed_ips)).toEqual([["::1"], ["127.0.0.0/8"], null]);

    const v4Token = v4.body.data.attributes.token as string;
    const v6Token = v6.body.data.attributes.token as string;
    expect((await fromIpv4(v4Token).account.get()).status).toBe(200);
    expect((await fromIpv6(v6Token).account.get()).status).toBe(200);
    for (const auth of ["bearer", "basic", "api-key-headers"] as const) {
      const refused = await refusal(fromIpv6(v4Token, auth).account.get());
      expect(refused).toMatchObject({ status: 401, code: "IP_NOT_ALLOWED" });
      expect(refused.message).toContain("(::1)");
      expect(refused.message).not.toContain("127.0.0.0");
    }
    const refused = await refusal(fromIpv4(v6Token).tokens.list());
    expect(refused).toMatchObject({ status: 401, code: "IP_NOT_ALLOWED" });
    expect(refused.message).toContain("(::ffff:127.0.0.1)");
    // A wrong secret stays a plain UNAUTHORIZED: the address is checked only for valid credentials.
    const wrong = `${v4Token.split(".")[0]}.wrong-secret-of-some-length`;
    expect(await refusal(fromIpv6(wrong).account.get())).toMatchObject({ status: 401, code: "UNAUTHORIZED" });
  });

  it("a sub-account's token takes allowed_ips too", async () => {
    const parent = await t.newAccount({ apiRateLimit: 10_000 });
    const sub = (await parent.client.subaccounts.create({ name: "Shop" })).body.data.id;
    const made = await parent.client.subaccounts.tokens.create(sub, {
      label: "shop",
      allowed_ips: ["::1/128"],
    });
    expect(made.body.data.attributes.allowed_ips).toEqual(["::1/128"]);
    const listed = (await parent.client.subaccounts.tokens.list(sub)).body.data;
    expect(listed.find((token) => token.id === made.body.data.id)?.attributes.allowed_ips).toEqual([
      "::1/128",
    ]);
    const token = made.body.data.attributes.token as string;
    expect(await refusal(fromIpv4(token).account.get())).toMatchObject({
      status: 401,
      code: "IP_NOT_ALLOWED",
    });
    // A refused request is no use of the token.
    const lastUsed = async () =>
      (
        await t.query<{ last_used_at: Date | null }>("SELECT last_used_at FROM api_tokens WHERE id = $1", [
          made.body.data.id,
        ])
      )[0]?.last_used_at;
    expect(await lastUsed()).toBeNull();
    expect((await fromIpv6(token).account.get()).body.data.id).toBe(sub);
  });

  it("refuses a bad entry (named) and too many entries with 400, making no token", async () => {
    const { client } = await t.newAccount({ apiRateLimit: 10_000 });
    const bad = await refusal(
      client.tokens.create({ label: "x", allowed_ips: ["10.0.0.0/8", "10.0.0.0/33"] }),
    );
    expect(bad).toMatchObject({ status: 400, code: "INVALID_PARAMETER" });
    expect(bad.message).toContain('"10.0.0.0/33"');
    const many = Array.from({ length: 101 }, (_, i) => `10.0.0.${i}`);
    expect(await refusal(client.tokens.create({ allowed_ips: many }))).toMatchObject({ status: 400 });
    expect((await client.tokens.list()).body.data).toHaveLength(1);
    // An empty list is none: any address.
    const open = await client.tokens.create({ allowed_ips: [] });
    expect(open.body.data.attributes.allowed_ips).toBeNull();
  });
});
