// GET /v1/account/usage through the whole stack (API, worker, simulator): the
// messages handed off and delivered per UTC hour and day, single messages
// included, as the messages themselves say (usage_hours is written with the
// batches' counters, so the two cannot disagree).
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { refusal } from "../../api/test/harness";
import { type Stack, startStack, waitFor } from "./stack";

let stack: Stack;
beforeAll(async () => {
  stack = await startStack({ workers: 1 });
});
afterAll(() => stack?.stopAll());

/** The account's messages handed off (and not refused there: failed) and delivered, read from the messages themselves. */
async function fromMessages(accountId: string) {
  const [row] = await stack.query<{ sent: number; delivered: number }>(
    `SELECT count(*) FILTER (WHERE sent_at IS NOT NULL AND status <> 'failed')::int AS sent,
            count(*) FILTER (WHERE status = 'delivered')::int AS delivered
       FROM messages WHERE account_id = $1`,
    [accountId],
  );
  return row;
}

describe("GET /v1/account/usage", () => {
  it("counts a batch's and a single message's hand-offs and deliveries in the current hour and day", async () => {
    const { accountId, client } = await stack.newAccount({ credits: 1_000, apiRateLimit: 1_000 });
    const other = await stack.newAccount({ credits: 100, apiRateLimit: 1_000 });
    // The simulator: …98 undelivered; an invalid number is never handed off.
    const recipients = ["+33612360001", "+33612360002", "+33612360003", "+33612360098", "12"];
    const { body } = await client.batches.create({ from: "ACME", body: "Hello", recipients });
    const batchId = body.data.batch_id;
    await client.sms.send({ from: "ACME", to: "+33612360004", body: "Single" });
    await other.client.batches.create({ from: "ACME", body: "Not theirs", recipients: ["+33612360005"] });
    await client.batches.wait(batchId, { timeoutMs: 20_000 });
    await waitFor("every delivery report", async () => {
      const { attributes: a } = (await client.batches.get(batchId)).body.data;
      const truth = await fromMessages(accountId);
      return a.delivered + a.undelivered === a.sent && truth?.sent === 5 && truth.delivered === 4;
    });

    const day = await client.account.usage("30d");
    const hours = await client.account.usage();
    const month = await client.account.usage("month");
    for (const { body } of [hours, day, month]) {
      expect(body.data.attributes).toMatchObject({ time_zone: "UTC", sent: 5, delivered: 4 });
      // Everything happened in the current hour or day (the last bucket), or the
      // one before if it turned meanwhile.
      const lastTwo = body.data.attributes.buckets.slice(-2);
      expect(lastTwo.reduce((n, b) => n + b.sent, 0)).toBe(5);
      expect(lastTwo.reduce((n, b) => n + b.delivered, 0)).toBe(4);
    }
    expect(hours.body.data.attributes.bucket).toBe("hour");
    expect(hours.body.data.attributes.buckets).toHaveLength(24);
    expect(day.body.data.attributes.bucket).toBe("day");
    expect(day.body.data.attributes.buckets).toHaveLength(30);
    // Buckets are whole UTC hours and days, consecutive, the current one last.
    const starts = hours.body.data.attributes.buckets.map((b) => Date.parse(b.start));
    expect(starts.every((at, i) => i === 0 || at - (starts[i - 1] ?? 0) === 3_600_000)).toBe(true);
    expect(starts.at(-1)).toBe(Math.floor(Date.now() / 3_600_000) * 3_600_000);
    expect(day.body.data.attributes.buckets.at(-1)?.start).toBe(
      `${new Date().toISOString().slice(0, 10)}T00:00:00.000Z`,
    );
    // The month: one bucket a UTC day from the 1st to today.
    const today = new Date().toISOString().slice(0, 10);
    expect(month.body.data.attributes).toMatchObject({ period: "month", bucket: "day" });
    expect(month.body.data.attributes.buckets.map((b) => b.start.slice(0, 10))).toEqual(
      Array.from(
        { length: Number(today.slice(8, 10)) },
        (_, i) => `${today.slice(0, 8)}${String(i + 1).padStart(2, "0")}`,
      ),
    );
    expect(month.body.links.self).toBe("/v1/account/usage?period=month");

    // Another account sees only its own.
    await waitFor("the other account's hand-off", async () => {
      return (await other.client.account.usage()).body.data.attributes.sent === 1;
    });
  });

  it("puts hours of another day in that day's bucket, and leaves out what is older than the period", async () => {
    const { accountId, client } = await stack.newAccount();
    // usage_hours as the pipeline writes them, two and forty days ago.
    await stack.query(
      `INSERT INTO usage_hours (batch_id, hour, account_id, sent, delivered) VALUES
         ('bat_old1', date_trunc('hour', now() - interval '2 days', 'UTC'), $1, 7, 6),
         ('bat_old2', date_trunc('hour', now() - interval '2 days', 'UTC'), $1, 3, 1),
         ('bat_old3', date_trunc('hour', now() - interval '40 days', 'UTC'), $1, 100, 100)`,
      [accountId],
    );
    const day = (await client.account.usage("30d")).body.data.attributes;
    expect([day.sent, day.delivered]).toEqual([10, 7]);
    // The month counts the hours since its 1st at 00:00 UTC only.
    const [firstOfMonth] = await stack.query<{ start: Date }>(
      "SELECT date_trunc('month', now(), 'UTC') AS start",
    );
    const month = (await client.account.usage("month")).body.data.attributes;
    const twoDaysAgoInMonth = Date.now() - 2 * 86_400_000 >= (firstOfMonth?.start.getTime() ?? 0);
    expect(month.sent).toBe(twoDaysAgoInMonth ? 10 : 0);
    const twoDaysAgo = new Date(Date.now() - 2 * 86_400_000).toISOString().slice(0, 10);
    expect(day.buckets.find((b) => b.start.startsWith(twoDaysAgo))).toMatchObject({ sent: 10, delivered: 7 });
    expect((await client.account.usage("24h")).body.data.attributes.sent).toBe(0);
  });

  it("refuses another period with 400", async () => {
    const { client } = await stack.newAccount();
    for (const period of ["7d", "MONTH", "month,30d"]) {
      const refused = await refusal(client.account.usage(period as never));
      expect([refused.status, refused.code, refused.field]).toEqual([400, "INVALID_PARAMETER", "period"]);
    }
  });
});
