// Tracked short links at the API: what sends with links answer and are charged,
// what they refuse, the links report's tenancy, and the redirects on a link
// host of their own (LINK_BASE_URL without a path). The worker's side (texts
// sent, clicks recorded, the path mode) is apps/worker/test/links.test.ts's.
import { execFile } from "node:child_process";
import { request } from "node:http";
import path from "node:path";
import { segmentCount } from "@salvo/core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { refusal, startTestApi, type TestApi } from "./harness";

const LINK_HOST = "s.salvo.test";
const BROWSER =
  "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Safari/537.36";

let t: TestApi;
beforeAll(async () => {
  t = await startTestApi({ LINK_BASE_URL: `https://${LINK_HOST}/` });
});
afterAll(() => t?.stop());

/** A GET to the API as a request for `host` (the link host, pointed at the API). */
function get(
  host: string,
  path: string,
): Promise<{ status: number; location?: string; type?: string; text: string }> {
  return new Promise((resolve, reject) => {
    const req = request(
      { host: "127.0.0.1", port: t.api.port, path, headers: { host, "user-agent": BROWSER } },
      (res) => {
        let text = "";
        res.setEncoding("utf8");
        res.on("data", (chunk: string) => {
          text += chunk;
        });
        res.on("end", () =>
          resolve({
            status: res.statusCode ?? 0,
            location: res.headers.location,
            type: res.headers["content-type"],
            text,
          }),
        );
      },
    );
    req.on("error", reject);
    req.end();
  });
}

const LONG_URL = `https://shop.example/soldes?utm_source=sms&utm_campaign=${"y".repeat(80)}`;
const LONG_BODY = `Soldes d'hiver : -50% sur tout le magasin ce week-end seulement, profitez-en ! ${LONG_URL}`;

describe("sends with tracked links", () => {
  it("POST /v1/sms with shortenUrls answers its text with a real short link, which the link host redirects", async () => {
    const { client } = await t.newAccount({ credits: 10 });
    const { body } = await client.sms.send({
      from: "ACME",
      to: "+33612345678",
      body: "Votre colis : https://track.example/p/42?k=1.",
      shortenUrls: true,
    });
    const code = new RegExp(
      `^Votre colis : https://${LINK_HOST.replaceAll(".", "\\.")}/([0-9A-Za-z]{7})\\.$`,
    ).exec(body.body)?.[1];
    expect(code).toBeDefined();
    expect((await client.sms.get(body.id)).body.body).toBe(body.body);
    const followed = await get(LINK_HOST, `/${code}`);
    expect(followed.status).toBe(302);
    expect(followed.location).toBe("https://track.example/p/42?k=1");

    // The link host serves links only; the API's own host serves no code.
    expect((await get(LINK_HOST, "/v1/account")).status).toBe(404);
    const other = await get(LINK_HOST, "/zzzzzz");
    expect([other.status, other.type]).toEqual([404, "text/plain; charset=utf-8"]);
    expect((await get(`127.0.0.1:${t.api.port}`, `/${code}`)).status).toBe(404);
  });

  it("count segments and cost on the shortened text (batches, simulations)", async () => {
    const { client, accountId } = await t.newAccount({ credits: 1_000 });
    expect(segmentCount(LONG_BODY)).toBe(2);
    const recipients = ["+33612345601", "+33612345602", "+33612345603"];
    const simulated = await client.batches.simulate({
      from: "ACME",
      body: LONG_BODY,
      recipients,
      shorten_urls: true,
    });
    expect(simulated.body.data.attributes).toMatchObject({ segments: 1, reserved: 3 });
    const plain = await client.batches.simulate({ from: "ACME", body: LONG_BODY, recipients });
    expect(plain.body.data.attributes).toMatchObject({ segments: 2, reserved: 6 });
    const sendSimulated = await client.simulateSend({
      from: "ACME",
      body: LONG_BODY,
      recipients,
      shorten_urls: true,
    });
    expect(sendSimulated.body).toMatchObject({ segments: 1, cost: 3 });

    const { body: accepted } = await client.batches.create({
      from: "ACME",
      body: LONG_BODY,
      recipients,
      shorten_urls: true,
    });
    const batch = await client.batches.get(accepted.data.batch_id);
    expect(batch.body.data.attributes).toMatchObject({ segments: 1, total: 3, clicked: 0 });
    const [account] = await t.query<{ credits: number }>("SELECT credits FROM accounts WHERE id = $1", [
      accountId,
    ]);
    expect(account?.credits).toBe(1_000 - 3);
  });

  it("turn each <-short-> into a link to the matching `links` entry", async () => {
    const { client } = await t.newAccount({ credits: 100 });
    const { body: accepted } = await client.batches.create({
      from: "ACME",
      body: "Menu <-short-> et carte <-short->",
      recipients: ["+33612345610"],
      links: ["https://resto.example/menu", "https://resto.example/carte"],
    });
    const report = await client.batches.links(accepted.data.batch_id);
    expect(report.body.data).toEqual([
      { index: 0, url: "https://resto.example/menu", clicks: 0, unique_clicks: 0, bot_clicks: 0 },
      { index: 1, url: "https://resto.example/carte", clicks: 0, unique_clicks: 0, bot_clicks: 0 },
    ]);
  });

  it("refuse links that cannot be shortened, naming the field, and store nothing", async () => {
    const { client, accountId } = await t.newAccount({ credits: 100 });
    const send = (extra: Record<string, unknown>) => () =>
      client.batches.create({ from: "ACME", body: "Hi", recipients: ["+33612345620"], ...extra });
    const cases: [() => Promise<unknown>, string][] = [
      [send({ body: "Bonjour https://shop.example/?n={{first_name}}", shorten_urls: true }), "body"],
      [send({ body: "Bonjour https://shop.example/?n=[info1]", shorten_urls: true }), "body"],
      [send({ body: "Voir <-short->" }), "links"],
      [send({ body: "Voir <-short->", links: ["https://a.example", "https://b.example"] }), "links"],
      [send({ body: "Voir <-short->", links: ["not a url"] }), "links"],
      [send({ body: "Voir <-short->", links: ["https://a.example/{{first_name}}"] }), "links"],
      [
        () =>
          client.sms.send({
            from: "ACME",
            to: "+33612345621",
            body: "https://x.example/{{a}}",
            shortenUrls: true,
          }),
        "body",
      ],
    ];
    for (const [attempt, field] of cases) {
      const error = await refusal(attempt());
      expect([error.status, error.code, error.field]).toEqual([400, "INVALID_PARAMETER", field]);
    }
    expect(await t.count("batches", { account_id: accountId })).toBe(0);
  });
});

describe("GET /v1/batches/:id/links", () => {
  it("is the account's own: another account's batch is 404, no token 401", async () => {
    const owner = await t.newAccount({ credits: 100 });
    const stranger = await t.newAccount();
    const { body: accepted } = await owner.client.batches.create({
      from: "ACME",
      body: "Voir https://mine.example",
      recipients: ["+33612345630"],
      shorten_urls: true,
    });
    const id = accepted.data.batch_id;
    expect((await owner.client.batches.links(id)).body.data).toHaveLength(1);
    const foreign = await refusal(stranger.client.batches.links(id));
    expect([foreign.status, foreign.code]).toEqual([404, "NOT_FOUND"]);
    const anonymous = await fetch(`${t.api.url}/v1/batches/${id}/links`);
    expect(anonymous.status).toBe(401);
    // A batch without links has none.
    const { body: plain } = await owner.client.batches.create({
      from: "ACME",
      body: "Hi",
      recipients: ["+33612345631"],
    });
    expect((await owner.client.batches.links(plain.data.batch_id)).body.data).toEqual([]);
  });
});

describe("salvo send --shorten-urls and salvo links (the CLI, through the SDK)", () => {
  const cli = path.join(import.meta.dirname, "../../cli/bin/salvo.mjs");
  const salvo = (token: string, ...args: string[]) =>
    new Promise<string>((resolve, reject) =>
      execFile(
        process.execPath,
        [cli, ...args],
        { env: { ...process.env, SALVO_URL: t.api.url, SALVO_TOKEN: token }, timeout: 30_000 },
        (error, stdout, stderr) =>
          error ? reject(new Error(`${error.message}\n${stderr}`)) : resolve(stdout),
      ),
    );

  it("sends a batch with tracked links and lists them with their clicks", async () => {
    const { token, client } = await t.newAccount({ credits: 10 });
    const id = (
      await salvo(
        token,
        "send",
        "--from",
        "ACME",
        "--body",
        "Voir https://cli.example/promo",
        "--to",
        "+33612345640",
        "--shorten-urls",
      )
    ).trim();
    expect((await client.batches.get(id)).body.data.attributes.total).toBe(1);
    const printed = await salvo(token, "links", id);
    expect(printed).toMatch(
      /^0 https:\/\/cli\.example\/promo · clicks 0 · unique 0 · bots 0\nlinks expire at \d{4}-/,
    );
  });
});
