// Number lookup and monthly statements through the whole stack (API, worker,
// simulator): what an account's sends, reports, NPAI list and blacklist say of a
// number (POST /v1/lookup, SMSFactor's POST /lookup), and a month of its credits
// and sends (GET /v1/account/statements…, SMSFactor's GET /account/invoice…).
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { refusal } from "../../api/test/harness";
import { smsfactorClient } from "../../api/test/smsfactor-client";
import { runSalvo } from "../../cli/test/run-salvo";
import { type Stack, startStack, waitFor } from "./stack";

let stack: Stack;
beforeAll(async () => {
  stack = await startStack({ workers: 1 });
});
afterAll(() => stack?.stopAll());

type Client = Awaited<ReturnType<Stack["newAccount"]>>["client"];

/** Sends a batch and waits until every delivery report is in; its id. */
async function sendAndReport(client: Client, recipients: string[]): Promise<string> {
  const { body } = await client.batches.create({ from: "ACME", body: "Hello", recipients });
  const id = body.data.batch_id;
  await client.batches.wait(id, { timeoutMs: 20_000 });
  await waitFor("the delivery reports", async () => {
    const { attributes: a } = (await client.batches.get(id)).body.data;
    return a.delivered + a.undelivered === a.sent;
  });
  return id;
}

/** The current UTC month, as statements name it. */
const thisMonth = () => new Date().toISOString().slice(0, 7);

// Simulator outcomes by the last two digits: …98 undelivered (rejected), …99
// undelivered (unknown_subscriber, which puts the number on the NPAI list).
const DELIVERED = "+33612350001";
const UNDELIVERED = "+33612350098";
const NPAI = "+33612350099";
const BLACKLISTED = "+33612350003";
const NEVER_SENT = "+33612350004";

describe("number lookup", () => {
  let a: { accountId: string; token: string; client: Client };
  let other: { accountId: string; token: string; client: Client };
  beforeAll(async () => {
    a = await stack.newAccount({ credits: 1_000, apiRateLimit: 1_000 });
    other = await stack.newAccount({ credits: 10, apiRateLimit: 1_000 });
    await sendAndReport(a.client, [DELIVERED, UNDELIVERED, NPAI]);
    await a.client.blacklist.add([BLACKLISTED]);
  });

  it("/v1: delivered, undelivered, NPAI, blacklisted, invalid and unknown numbers, in the order given", async () => {
    const { body } = await a.client.lookup([
      DELIVERED,
      UNDELIVERED.slice(1), // international without `+`, as SMSFactor writes them
      NPAI,
      BLACKLISTED,
      "12",
      NEVER_SENT,
    ]);
    expect(body.meta).toEqual({ cost: 0 });
    expect(body.data.map((n) => [n.input, n.number, n.status, n.reason])).toEqual([
      [DELIVERED, DELIVERED, "delivered", null],
      [UNDELIVERED.slice(1), UNDELIVERED, "undelivered", "rejected"],
      [NPAI, NPAI, "npai", null],
      [BLACKLISTED, BLACKLISTED, "blacklisted", null],
      ["12", null, "invalid", null],
      [NEVER_SENT, NEVER_SENT, "unknown", null],
    ]);
    const [delivered] = body.data;
    expect(delivered).toMatchObject({
      valid: true,
      country: "FR",
      country_name: "France",
      country_prefix: "33",
      line_type: "mobile",
      last_sent_at: expect.any(String),
      last_report_at: expect.any(String),
    });
    // Google's carrier metadata names the range's first network; Wikipedia's table its MCC-MNC.
    expect(delivered?.network).toEqual(expect.any(String));
    expect(delivered?.network_prefix).toMatch(/^6\d*$/);
    expect(delivered?.mcc_mnc).toMatch(/^208\d{2,3}$/);
    expect(body.data[4]).toMatchObject({
      valid: false,
      country: null,
      network: null,
      network_prefix: null,
      mcc_mnc: null,
    });
  });

  it("is free: the balance does not move", async () => {
    const before = (await a.client.account.get()).body.data.attributes.credits;
    await a.client.lookup([DELIVERED, NEVER_SENT]);
    expect((await a.client.account.get()).body.data.attributes.credits).toBe(before);
  });

  it("SMSFactor: the reference's shape, statuses and errors from what the account knows", async () => {
    const sf = smsfactorClient(stack.api.url, a.token);
    const numbers = [DELIVERED, UNDELIVERED, NPAI, BLACKLISTED, "0000", NEVER_SENT].map((n) =>
      n.replace("+", ""),
    );
    const { http, body } = await sf.json("POST", "/lookup", { lookup: { to: numbers } });
    expect(http).toBe(200);
    const balance = (await a.client.account.get()).body.data.attributes.credits;
    expect(body).toMatchObject({ status: 1, message: "OK", cost: 0, credits: balance });
    const lookups = body.response.lookup as Record<string, Record<string, unknown>>[];
    expect(
      lookups.map((l) => [l.to, l.status?.name, l.status?.detailed, l.error?.id, l.error?.permanent]),
    ).toEqual([
      [numbers[0], "DELIVERED", "DELIVERED_TO_HANDSET", 0, false],
      [numbers[1], "UNDELIVERABLE", "UNDELIVERABLE_NOT_DELIVERED", 2, false],
      [numbers[2], "UNDELIVERABLE", "NPAI", 1, true],
      [numbers[3], "REJECTED", "BLACKLISTED", 3, false],
      ["0000", "REJECTED", "INVALID_DESTINATION", 4, true],
      [numbers[5], "UNKNOWN", "NO_DATA", 0, false],
    ]);
    expect(lookups[0]).toMatchObject({
      imsi: "",
      ported: false,
      roaming: false,
      mccMnc: expect.stringMatching(/^208\d{2,3}$/),
      originalNetwork: {
        networkName: expect.any(String),
        networkPrefix: expect.stringMatching(/^6\d*$/),
        countryName: "France",
        countryPrefix: "33",
      },
    });
    expect(lookups[4]).toMatchObject({
      mccMnc: "",
      originalNetwork: { networkName: "", networkPrefix: "", countryName: "", countryPrefix: "" },
    });
  });

  it("SMSFactor: XML, and a form's data=<json>", async () => {
    const sf = smsfactorClient(stack.api.url, a.token);
    const xml = await sf.xml("POST", "/lookup", `<lookup><to>${DELIVERED.slice(1)}</to></lookup>`);
    expect(xml.response).toMatchObject({
      status: "1",
      cost: "0",
      response: { lookup: { to: DELIVERED.slice(1), status: { name: "DELIVERED" } } },
    });
    const form = await sf.raw("POST", "/lookup", {
      "Content-Type": "application/x-www-form-urlencoded",
      body: `data=${encodeURIComponent(JSON.stringify({ lookup: { to: [NPAI.slice(1)] } }))}`,
    });
    expect(form.body.response.lookup[0].status.detailed).toBe("NPAI");
  });

  it("another account's messages and lists say nothing to it", async () => {
    const { body } = await other.client.lookup([DELIVERED, UNDELIVERED, NPAI, BLACKLISTED]);
    expect(body.data.map((n) => n.status)).toEqual(["unknown", "unknown", "unknown", "unknown"]);
    const sf = smsfactorClient(stack.api.url, other.token);
    const answer = await sf.json("POST", "/lookup", { lookup: { to: [DELIVERED.slice(1)] } });
    expect(answer.body.response.lookup[0].status.name).toBe("UNKNOWN");
  });

  it("bad input: 400 or 413 on /v1, -7 under /smsfactor; 1,000 numbers answered", async () => {
    expect((await refusal(a.client.lookup([]))).status).toBe(400);
    expect((await refusal(a.client.call("POST", "/v1/lookup", { numbers: "+33612350001" }))).status).toBe(
      400,
    );
    const tooMany = Array.from({ length: 1_001 }, (_, i) => `+336123${String(i).padStart(5, "0")}`);
    const refused = await refusal(a.client.lookup(tooMany));
    expect(refused.status).toBe(413);
    expect(refused.message).toMatch(/1000/);
    const sf = smsfactorClient(stack.api.url, a.token);
    for (const body of [{ lookup: {} }, { lookup: { to: [] } }, {}, { lookup: { to: tooMany } }]) {
      const answer = await sf.json("POST", "/lookup", body);
      expect(answer.http).toBe(200);
      expect(answer.body).toMatchObject({ status: -7, details: expect.any(String) });
    }
    // 1,000 numbers: one answer, each in its place.
    const { body } = await a.client.lookup(tooMany.slice(0, 1_000));
    expect(body.data).toHaveLength(1_000);
    expect(body.data[999]?.input).toBe(tooMany[999]);
  });
});

describe("monthly statements", () => {
  let a: { accountId: string; token: string; client: Client };
  let other: { accountId: string; token: string; client: Client };
  let batchId: string;
  beforeAll(async () => {
    a = await stack.newAccount({ credits: 1_000, apiRateLimit: 1_000 });
    other = await stack.newAccount({ credits: 7, apiRateLimit: 1_000 });
    // An operator's top-up (salvo accounts update --add-credits).
    await stack.store.accounts.update(a.accountId, { addCredits: 500 });
    batchId = await sendAndReport(a.client, [DELIVERED, UNDELIVERED, NPAI]);
  });

  it("/v1: one statement for the month, from the top-ups and the batch", async () => {
    const month = thisMonth();
    const { body } = await a.client.account.statements();
    expect(body.data.map((s) => s.id)).toEqual([month]);
    const expected = {
      opening_balance: 0,
      credits_added: 1_500,
      credits_removed: 0,
      credits_spent: 3,
      closing_balance: 1_497,
      campaigns: 1,
      messages_sent: 3,
      messages_delivered: 1,
      messages_undelivered: 2,
    };
    expect(body.data[0]?.attributes).toMatchObject({ ...expected, period_start: `${month}-01` });
    expect((await a.client.account.statement(month)).body.data.attributes).toMatchObject(expected);
    expect((await a.client.account.get()).body.data.attributes.credits).toBe(1_497);
  });

  it("/v1: the month as CSV, a line per top-up and per batch, then the totals", async () => {
    const month = thisMonth();
    const response = await fetch(`${stack.api.url}/v1/account/statements/${month}.csv`, {
      headers: { Authorization: `Bearer ${a.token}` },
    });
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toMatch(/^text\/csv/);
    expect(response.headers.get("content-disposition")).toBe(`attachment; filename="statement-${month}.csv"`);
    const lines = (await response.text()).trim().split("\n");
    expect(lines[0]).toBe("date,kind,reference,name,messages,credits,balance");
    expect(lines.slice(1).map((line) => line.split(",").slice(1))).toEqual([
      ["top_up", "", "", "", "1000", "1000"],
      ["top_up", "", "", "", "500", "1500"],
      ["campaign", batchId, "", "3", "-3", ""],
      ["total", month, "", "3", "1497", "1497"],
    ]);
    const csv = await a.client.account.statementCsv(month);
    expect(csv.body.trim().split("\n")).toEqual(lines);
  });

  it("SMSFactor: GET /account/invoice, /account/invoice/{id} and its download", async () => {
    const month = thisMonth();
    const sf = smsfactorClient(stack.api.url, a.token);
    const list = await sf.json("GET", "/account/invoice");
    expect(list.body).toMatchObject({ status: 1, message: "OK" });
    expect(list.body.invoices).toEqual([
      expect.objectContaining({ id: month, credits_added: 1_500, credits_spent: 3, messages_sent: 3 }),
    ]);
    const one = await sf.json("GET", `/account/invoice/${month}`);
    expect(one.body.invoice).toEqual(list.body.invoices[0]);
    const xml = await sf.xml("GET", `/account/invoice/${month}`);
    expect(xml.response).toMatchObject({ status: "1", invoice: { id: month, closing_balance: "1497" } });
    const download = await fetch(`${stack.api.url}/smsfactor/account/invoice/${month}/download`, {
      headers: { Authorization: `Bearer ${a.token}`, Accept: "application/json" },
    });
    expect(download.status).toBe(200);
    expect(download.headers.get("content-type")).toMatch(/^text\/csv/);
    expect(download.headers.get("content-disposition")).toMatch(/^attachment; filename="statement-/);
    expect(await download.text()).toContain(`campaign,${batchId}`);
  });

  it("an unknown or malformed month: 404 / 400 on /v1, -5 under /smsfactor", async () => {
    expect((await refusal(a.client.account.statement("2001-01"))).status).toBe(404);
    expect((await refusal(a.client.account.statement("2026-13"))).status).toBe(404);
    expect((await refusal(a.client.account.statement("november"))).status).toBe(400);
    expect((await refusal(a.client.account.statementCsv("2001-01"))).status).toBe(404);
    const sf = smsfactorClient(stack.api.url, a.token);
    for (const path of [
      "/account/invoice/2001-01",
      "/account/invoice/nope",
      "/account/invoice/2001-01/download",
    ]) {
      const answer = await sf.json("GET", path);
      expect(answer.http).toBe(200);
      expect(answer.body).toMatchObject({ status: -5, details: expect.any(String) });
    }
  });

  it("another account sees only its own months and figures", async () => {
    const month = thisMonth();
    const { body } = await other.client.account.statements();
    expect(body.data).toHaveLength(1);
    expect(body.data[0]?.attributes).toMatchObject({
      credits_added: 7,
      credits_spent: 0,
      campaigns: 0,
      messages_sent: 0,
      closing_balance: 7,
    });
    const csv = await other.client.account.statementCsv(month);
    expect(csv.body).not.toContain(batchId);
    const sf = smsfactorClient(stack.api.url, other.token);
    const list = await sf.json("GET", "/account/invoice");
    expect(list.body.invoices.map((i: { credits_added: number }) => i.credits_added)).toEqual([7]);
  });
});

describe("the CLI: salvo lookup, salvo statements", () => {
  // Two runs of the real command (each starts a process: slow on a busy machine).
  it("looks numbers up and prints a month's CSV, through the API", async () => {
    const { token, client } = await stack.newAccount({ credits: 20, apiRateLimit: 1_000 });
    await client.npai.add([NPAI]);
    const env = { SALVO_URL: stack.api.url, SALVO_TOKEN: token };
    const lookup = await runSalvo(env, "lookup", NPAI, "12", NEVER_SENT);
    expect(lookup.stderr).toBe("");
    expect(lookup.code).toBe(0);
    expect(
      lookup.stdout
        .trim()
        .split("\n")
        .map((line) => line.split(" ").slice(0, 2)),
    ).toEqual([
      [NPAI, "npai"],
      ["12", "invalid"],
      [NEVER_SENT, "unknown"],
    ]);
    const csv = await runSalvo(env, "statements", thisMonth(), "--csv");
    expect(csv.code).toBe(0);
    expect(csv.stdout.split("\n")[1]).toMatch(/,top_up,,,,20,20$/);
  }, 60_000);
});
