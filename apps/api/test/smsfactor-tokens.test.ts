// SMSFactor's token ids and `allowed_ips` (reference §5) over real HTTP: tokens
// are numbered (`token_id`, `api_token_id`, `deleted_token`) in JSON and XML,
// and a token limited to addresses authenticates only requests from them
// (`req.ip`: the socket's address, or X-Forwarded-For's behind TRUST_PROXY),
// whatever way it is presented; another address gets -1.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestApi, type TestApi } from "./harness";
import { sfJson, sfXml } from "./smsfactor-http";

let t: TestApi;
let behindProxy: TestApi;
let ipv4: string;
let ipv6: string;
beforeAll(async () => {
  // Both stacks: 127.0.0.1 arrives IPv4-mapped (::ffff:127.0.0.1), ::1 as IPv6.
  t = await startTestApi({ HOST: "::", AUTH_CACHE_MS: "0" });
  ipv4 = `http://127.0.0.1:${t.api.port}`;
  ipv6 = `http://[::1]:${t.api.port}`;
  behindProxy = await startTestApi({ TRUST_PROXY: "1", AUTH_CACHE_MS: "0" });
});
afterAll(async () => {
  await t?.stop();
  await behindProxy?.stop();
});

/** The token's `tok_…` id and secret, as the X-API-KEY headers (Sofy's) present them. */
function apiKeyHeaders(token: string): Record<string, string> {
  const [id = "", secret = ""] = token.split(".");
  return { "X-API-KEY-ID": id, "X-API-KEY-SECRET": secret };
}

/** A new token of a new account limited to `allowedIps`, made through /smsfactor. */
async function limitedToken(api: TestApi, allowedIps: string[]) {
  const { token } = await api.newAccount({ apiRateLimit: 10_000 });
  const created = await sfJson(api.api.url, "POST", "/token", {
    token,
    json: { token: { name: "limited", allowed_ips: allowedIps } },
  });
  expect(created).toMatchObject({ status: 1, allowed_ips: allowedIps });
  return created.token as string;
}

describe("allowed_ips", () => {
  it("an IPv4 CIDR range: accepted from an address in it (IPv4-mapped), -1 from another, however the token is presented", async () => {
    const token = await limitedToken(t, ["127.0.0.0/8"]);
    expect(await sfJson(ipv4, "GET", "/credits", { token })).toMatchObject({ status: 1 });
    expect(await sfJson(ipv4, "GET", "/credits", { headers: apiKeyHeaders(token) })).toMatchObject({
      status: 1,
    });

    const refused = await sfJson(ipv6, "GET", "/credits", { token });
    expect(refused).toMatchObject({ status: -1, message: "Authentication error" });
    // It names the request's address, never the list.
    expect(refused.details).toContain("(::1)");
    expect(refused.details).not.toContain("127.0.0.0");
    expect(await sfJson(ipv6, "GET", "/credits", { headers: apiKeyHeaders(token) })).toMatchObject({
      status: -1,
    });
    // GET /send?token=…: refused before anything is sent.
    const query = new URLSearchParams({ token, to: "33612345678", text: "hi" });
    expect(await sfXml(ipv6, "GET", `/send?${query}`)).toMatchObject({ status: "-1" });
  });

  it("an exact IPv6 address, given in XML: accepted from it, -1 from 127.0.0.1", async () => {
    const { token: owner } = await t.newAccount({ apiRateLimit: 10_000 });
    const created = await sfXml(t.api.url, "POST", "/token", {
      token: owner,
      xml: "<token><name>v6</name><allowed_ips>0:0::1</allowed_ips></token>",
    });
    expect(created).toMatchObject({ status: "1", allowed_ips: "::1" });
    const token = created.token as string;
    expect(await sfJson(ipv6, "GET", "/credits", { token })).toMatchObject({ status: 1 });
    expect(await sfJson(ipv4, "GET", "/credits", { token })).toMatchObject({ status: -1 });
    // The account's other token (no allowed_ips) works from anywhere.
    expect(await sfJson(ipv4, "GET", "/credits", { token: owner })).toMatchObject({ status: 1 });
    expect(await sfJson(ipv6, "GET", "/credits", { token: owner })).toMatchObject({ status: 1 });
  });

  it("an exact IPv4 address: accepted from 127.0.0.1, -1 from ::1", async () => {
    const token = await limitedToken(t, ["127.0.0.1"]);
    expect(await sfJson(ipv4, "GET", "/credits", { token })).toMatchObject({ status: 1 });
    expect(await sfJson(ipv6, "GET", "/credits", { token })).toMatchObject({ status: -1 });
  });

  it("behind a proxy (TRUST_PROXY=1): the address X-Forwarded-For gives, IPv6 range and IPv4 address", async () => {
    const token = await limitedToken(behindProxy, ["2a01:e0a::/32", "192.168.2.2"]);
    const from = (address: string) =>
      sfJson(behindProxy.api.url, "GET", "/credits", { token, headers: { "X-Forwarded-For": address } });
    expect(await from("2a01:e0a:1::5")).toMatchObject({ status: 1 });
    expect(await from("192.168.2.2")).toMatchObject({ status: 1 });
    expect(await from("::ffff:192.168.2.2")).toMatchObject({ status: 1 });
    expect(await from("192.168.2.3")).toMatchObject({ status: -1 });
    expect(await from("2a02::1")).toMatchObject({ status: -1 });
    // Without the header, the proxy's own address (127.0.0.1) is the request's.
    expect(await sfJson(behindProxy.api.url, "GET", "/credits", { token })).toMatchObject({ status: -1 });
  });
});

describe("numeric token ids", () => {
  it("round-trip: created, listed, shown and deleted by number, in JSON and XML; another account's is -5", async () => {
    const { token } = await t.newAccount({ apiRateLimit: 10_000 });
    const created = await sfJson(t.api.url, "POST", "/token", {
      token,
      json: { token: { name: "numbered", allowed_ips: ["192.168.2.0/24", "2A01:E0A:1::1"] } },
    });
    expect(created).toEqual({
      status: 1,
      message: "OK",
      token: expect.stringMatching(/^tok_/),
      token_id: expect.stringMatching(/^[1-9]\d*$/),
      allowed_ips: ["192.168.2.0/24", "2a01:e0a:1::1"],
    });
    const id = created.token_id as string;

    const listed = (await sfJson(t.api.url, "GET", "/token", { token })).tokens as Record<string, unknown>[];
    const entry = listed.find((one) => one.api_token_id === Number(id));
    expect(entry).toMatchObject({ name: "numbered", allowed_ips: ["192.168.2.0/24", "2a01:e0a:1::1"] });
    expect(listed.find((one) => one.api_token_id !== Number(id))).toMatchObject({ allowed_ips: null });
    expect((await sfJson(t.api.url, "GET", `/token/${id}`, { token })).token).toEqual(entry);
    expect((await sfXml(t.api.url, "GET", `/token/${id}`, { token })).token).toMatchObject({
      api_token_id: id,
      allowed_ips: ["192.168.2.0/24", "2a01:e0a:1::1"],
    });

    const stranger = await t.newAccount({ apiRateLimit: 10_000 });
    expect(await sfJson(t.api.url, "GET", `/token/${id}`, { token: stranger.token })).toMatchObject({
      status: -5,
    });
    expect(await sfXml(t.api.url, "DELETE", `/token/${id}`, { token: stranger.token })).toMatchObject({
      status: "-5",
    });

    expect(await sfXml(t.api.url, "DELETE", `/token/${id}`, { token })).toMatchObject({
      status: "1",
      deleted_token: id,
    });
    expect(await sfJson(t.api.url, "GET", `/token/${id}`, { token })).toMatchObject({ status: -5 });
    const again = await sfJson(t.api.url, "POST", "/token", { token, json: { token: { name: "next" } } });
    expect(Number(again.token_id)).toBeGreaterThan(Number(id));
    expect(await sfJson(t.api.url, "DELETE", `/token/${again.token_id}`, { token })).toEqual({
      status: 1,
      message: "OK",
      deleted_token: Number(again.token_id),
    });
  });
});
