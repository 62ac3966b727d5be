// Balance alerts by e-mail and SMS end to end: a whole stack (API, worker,
// simulator) with a real SMTP server in this process. A crossing sends one e-mail
// (received by the SMTP server) and one SMS (a single message of the account,
// handed off to the simulator), even when many debits cross together; an SMTP
// server down gets the e-mail once it is back, once.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestSmtp, type TestSmtp } from "./smtp";
import { type Stack, startStack, waitFor } from "./stack";

let stack: Stack;
let smtp: TestSmtp;
beforeAll(async () => {
  smtp = await startTestSmtp();
  stack = await startStack({
    api: { SMTP_URL: smtp.url },
    worker: {
      SMTP_URL: smtp.url,
      ALERT_EMAIL_FROM: "Salvo <alerts@salvo.test>",
      ALERT_SMS_SENDER: "SalvoAlert",
    },
  });
});
afterAll(async () => {
  await stack?.stopAll();
  await smtp?.stop();
});

/** A one-segment batch to `n` numbers: a debit of `n` credits. */
const batchOf = (n: number, first: number) => ({
  from: "ACME",
  body: "Hello",
  recipients: Array.from({ length: n }, (_, i) => `+3362${String(first + i).padStart(7, "0")}`),
});

/** The account's notices as the worker left them. */
function notices(accountId: string) {
  return stack.query<{
    channel: string;
    threshold: number;
    sent: boolean;
    attempts: number;
    last_error: string | null;
  }>(
    `SELECT channel, threshold, sent_at IS NOT NULL AS sent, attempts, last_error
       FROM balance_alert_notices WHERE account_id = $1 ORDER BY channel, threshold`,
    [accountId],
  );
}

const mailsTo = (address: string) => smtp.received.filter((mail) => mail.to.includes(address));

describe("balance alerts by e-mail and SMS", () => {
  it("a crossing sends one e-mail and one SMS, even when 50 concurrent debits cross together", async () => {
    const { client, accountId } = await stack.newAccount({ credits: 1_000, apiRateLimit: 10_000 });
    const set = await client.account.setBalanceAlerts({
      thresholds: [750],
      email_enabled: true,
      email: "ops@example.com",
      sms_enabled: true,
      phone: "06 11 11 11 11",
    });
    expect(set.body.data.attributes).toMatchObject({ phone: "+33611111111", email_enabled: true });
    const accepted = await Promise.all(
      Array.from({ length: 50 }, (_, i) => client.batches.create(batchOf(10, i * 10))),
    );
    expect(accepted.every((answer) => answer.status === 202)).toBe(true);

    await waitFor("both notices sent", async () => (await notices(accountId)).every((n) => n.sent));
    expect(await notices(accountId)).toEqual([
      { channel: "email", threshold: 750, sent: true, attempts: 1, last_error: null },
      { channel: "sms", threshold: 750, sent: true, attempts: 1, last_error: null },
    ]);
    const alertSms = await waitFor("the alert SMS handed off", () => {
      const lines = stack.ledger().filter((line) => line.to === "+33611111111");
      return lines.length > 0 && lines;
    });
    expect(alertSms).toHaveLength(1);
    expect(alertSms[0]).toMatchObject({ from: "SalvoAlert" });
    expect(alertSms[0]?.body).toContain("alert threshold of 750");

    const [mail, ...more] = mailsTo("ops@example.com");
    expect(more).toEqual([]);
    expect(mail?.raw).toMatch(/^From: Salvo <alerts@salvo\.test>$/m);
    expect(mail?.raw).toMatch(/^Message-ID: <bal_[0-9a-f]+@balance-alerts\.salvo>$/im);
    // The text is quoted-printable: its soft line breaks undone.
    const text = mail?.raw.replace(/=\r\n/g, "");
    expect(text).toContain("alert threshold of 750");
    expect(text).toContain(accountId);

    // The SMS is a transactional message of the account, charged like any (1 credit).
    const [single] = await waitFor("the alert SMS recorded", async () => {
      const rows = await stack.query<{ type: string; cost: number; sent: number }>(
        "SELECT type, cost, sent FROM batches WHERE account_id = $1 AND single AND sent = 1",
        [accountId],
      );
      return rows.length > 0 && rows;
    });
    expect(single).toEqual({ type: "transactional", cost: 1, sent: 1 });
  });

  it("an e-mail waits for an SMTP server that is down, and is delivered once when it is back", async () => {
    const { client, accountId } = await stack.newAccount({ credits: 100, apiRateLimit: 10_000 });
    await client.account.setBalanceAlerts({
      thresholds: [50],
      email_enabled: true,
      email: "down@example.com",
    });
    await smtp.stop();
    try {
      await client.batches.create(batchOf(60, 0));
      const failing = await waitFor("two failed attempts", async () => {
        const [notice] = await notices(accountId);
        return notice && notice.attempts >= 2 && notice;
      });
      expect(failing).toMatchObject({ channel: "email", sent: false });
      // The cause, never the address.
      expect(failing.last_error).toBeTruthy();
      expect(failing.last_error).not.toContain("down@example.com");
    } finally {
      await smtp.start();
    }
    await waitFor("the notice sent", async () => (await notices(accountId))[0]?.sent);
    expect(mailsTo("down@example.com")).toHaveLength(1);
  }, 30_000);

  it("a channel turned off after the crossing sends nothing", async () => {
    const { client, accountId } = await stack.newAccount({ credits: 100, apiRateLimit: 10_000 });
    await client.account.setBalanceAlerts({ thresholds: [50], sms_enabled: true, phone: "+33611111112" });
    await client.account.setBalanceAlerts({ sms_enabled: false });
    // The notice a crossing wrote while SMS alerts were on (no worker could take it
    // between the two requests here: it is written after them).
    await stack.query(
      "INSERT INTO balance_alert_notices (id, account_id, channel, threshold, balance) VALUES ($1, $2, 'sms', 50, 40)",
      [`bal_off${accountId}`, accountId],
    );
    const [notice] = await waitFor("the notice settled", async () => {
      const rows = await stack.query<{ failed: boolean; last_error: string | null }>(
        "SELECT failed_at IS NOT NULL AS failed, last_error FROM balance_alert_notices WHERE account_id = $1",
        [accountId],
      );
      return rows[0]?.failed && rows;
    });
    expect(notice).toEqual({ failed: true, last_error: "sms alerts turned off" });
    expect(stack.ledger().filter((line) => line.to === "+33611111112")).toEqual([]);
  });
});
