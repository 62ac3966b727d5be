// A batch sent end to end (API, worker, Redis, PostgreSQL) through an SMPP connector
// bound to the scripted test SMSC over TCP: receipts name only the SMSC's ids, in a
// spelling other than the submit_sm_resp's, one before its submit_sm_resp, and the
// batch ends with every message delivered or undelivered as its receipt says, or
// failed with the SMPP code the SMSC refused it with.
import { TestSmsc } from "@salvo/providers/test-smsc";
import { afterAll, beforeAll, expect, it } from "vitest";
import { type Stack, startStack, waitFor } from "./stack";

let smsc: TestSmsc;
let stack: Stack;

beforeAll(async () => {
  smsc = await TestSmsc.start();
  smsc.idStyle = "hex";
  const connectors = JSON.stringify([
    {
      name: "smsc-a",
      provider: "smpp",
      settings: {
        host: "127.0.0.1",
        port: smsc.port,
        systemId: "salvo",
        password: "secret",
        window: 4,
        npaiErrorCodes: ["001"],
      },
    },
  ]);
  stack = await startStack({
    api: { SALVO_CONNECTORS: connectors },
    worker: { SALVO_CONNECTORS: connectors },
  });
});
afterAll(async () => {
  await stack?.stopAll();
  await smsc?.close();
});

it("sends a batch over SMPP, keeps a refusal's SMPP code, and applies the receipts matched by the SMSC's ids", async () => {
  const { client, accountId } = await stack.newAccount({ credits: 1_000, apiRateLimit: 1_000 });
  const recipients = ["+33612380001", "+33612380002", "+33612380003", "+33612380004", "+33612380005"];
  const refused = "+33612380006";
  // Two parts each: only the first part's receipt counts.
  const body = `Long message ${"x".repeat(170)}`;
  // The last number's submit_sm_resp is late: its receipt arrives before it.
  // The refused one is an invalid destination for the SMSC: failed, with its code.
  smsc.answer = (submit) =>
    submit.to === refused.slice(1)
      ? { status: 0x0b }
      : submit.to.endsWith("05") && submit.part?.number === 1
        ? { delayMs: 1_500 }
        : {};
  const { body: created } = await client.batches.create({
    from: "Salvo",
    body,
    recipients: [...recipients, refused],
  });
  const batchId = created.data.batch_id;

  // The late message's first part is out, its answer not yet: its receipt goes first.
  await smsc.waitFor(() => smsc.submits.some((submit) => submit.to === "33612380005"), 10_000);
  const late = smsc.submits.find((submit) => submit.to === "33612380005")!.messageId!;
  expect(smsc.outstanding).toBe(1);
  // Written in decimal where the answer was hex, as some SMSCs do.
  await smsc.receipt(late, { stat: "DELIVRD", writtenId: String(Number.parseInt(late, 16)) });
  await smsc.waitFor(() => smsc.submits.length === 11, 10_000);
  const firstParts = new Map(
    smsc.submits.filter((s) => s.part?.number === 1 && s.messageId).map((s) => [s.to, s.messageId!] as const),
  );
  expect([...firstParts.keys()].sort()).toEqual(recipients.map((to) => to.slice(1)));
  await smsc.receipt(firstParts.get("33612380001")!, { stat: "ACCEPTD" });
  await smsc.receipt(firstParts.get("33612380001")!, { stat: "DELIVRD", idIn: "tlv" });
  await smsc.receipt(firstParts.get("33612380002")!, { stat: "DELIVRD", text: "short" });
  await smsc.receipt(firstParts.get("33612380003")!, { stat: "UNDELIV", err: "001", idIn: "both" });
  await smsc.receipt(firstParts.get("33612380004")!, { stat: "EXPIRED" });

  const done = await waitFor("every receipt applied", async () => {
    const { body: batch } = await client.batches.get(batchId);
    const a = batch.data.attributes;
    return a.delivered + a.undelivered === 5 ? a : undefined;
  });
  expect(done).toMatchObject({ total: 6, sent: 5, delivered: 3, undelivered: 2, pending: 0, failed: 1 });
  const rows = await stack.query<{
    to: string;
    status: string;
    reason: string | null;
    provider_code: string;
  }>(`SELECT "to", status, reason, provider_code FROM messages WHERE batch_id = $1 ORDER BY idx`, [batchId]);
  expect(rows).toEqual([
    { to: "+33612380001", status: "delivered", reason: null, provider_code: "DELIVRD" },
    { to: "+33612380002", status: "delivered", reason: null, provider_code: "DELIVRD:000" },
    { to: "+33612380003", status: "undelivered", reason: "unknown_subscriber", provider_code: "UNDELIV:001" },
    { to: "+33612380004", status: "undelivered", reason: "expired", provider_code: "EXPIRED:000" },
    { to: "+33612380005", status: "delivered", reason: null, provider_code: "DELIVRD:000" },
    { to: refused, status: "failed", reason: "invalid_destination", provider_code: "0x0000000b" },
  ]);
  const npai = await stack.query<{ number: string }>("SELECT number FROM npai WHERE account_id = $1", [
    accountId,
  ]);
  expect(npai).toEqual([{ number: "+33612380003" }]);
  // Every receipt was answered only once applied: all ESME_ROK.
  expect(smsc.deliverAnswers).toEqual([0, 0, 0, 0, 0, 0]);
});
