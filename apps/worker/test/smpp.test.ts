// A batch sent end to end (API, worker, Redis, PostgreSQL) through an SMPP connector
// bound to the scripted test SMSC over TCP: receipts name only the SMSC's ids, in a
// spelling other than the submit_sm_resp's, one before its submit_sm_resp, and the
// batch ends with every message delivered or undelivered as its receipt says, or
// failed with the SMPP code the SMSC refused it with. A message the SMSC accepted
// and never reported on is settled `undelivered`, reason `expired`, once its
// validity period has run out.
import { TestSmsc } from "@salvo/providers/test-smsc";
import { closeRedis, createRedis, type OpenQueue, openQueue, type RedisClient } from "@salvo/queue";
import { afterAll, beforeAll, expect, it } from "vitest";
import { type Stack, startStack, subscribe, waitFor } from "./stack";

let smsc: TestSmsc;
let stack: Stack;
let redis: RedisClient;
let deliveries: OpenQueue<"deliveries">;

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
        validityPeriodSeconds: 3_600,
      },
    },
  ]);
  stack = await startStack({
    api: { SALVO_CONNECTORS: connectors },
    worker: { SALVO_CONNECTORS: connectors, EXPIRY_GRACE_MS: "0" },
  });
  redis = createRedis(stack.env.REDIS_URL);
  deliveries = openQueue("deliveries", redis, stack.env.REDIS_PREFIX);
});
afterAll(async () => {
  await deliveries?.close();
  if (redis) await closeRedis(redis);
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

it("settles a message accepted but never reported on as undelivered, expired, once its validity has run out", async () => {
  const { client, accountId } = await stack.newAccount({ credits: 100, apiRateLimit: 1_000 });
  await subscribe(stack, accountId, "expiry", ["dlr"]);
  smsc.answer = () => ({});
  const [silent, reported] = ["+33612390001", "+33612390002"];
  const { body: created } = await client.batches.create({
    from: "Salvo",
    body: "Hi",
    recipients: [silent, reported],
  });
  const batchId = created.data.batch_id;
  const batch = async () => (await client.batches.get(batchId)).body.data.attributes;
  await waitFor("both messages sent", async () => (await batch()).pending === 0);
  const submits = smsc.submits.filter(
    (submit) => submit.to === silent.slice(1) || submit.to === reported.slice(1),
  );
  expect(submits.map((submit) => submit.validitySeconds)).toEqual([3_600, 3_600]);
  // Salvo stops waiting when the SMSC stops trying: the hand-off plus the validity period.
  const deadlines = await stack.query<{ idx: number; validity: string }>(
    `SELECT d.idx, (d.expires_at - m.sent_at)::text AS validity
       FROM receipt_deadlines d JOIN messages m USING (batch_id, idx) WHERE d.batch_id = $1 ORDER BY d.idx`,
    [batchId],
  );
  expect(deadlines).toEqual([
    { idx: 0, validity: "01:00:00" },
    { idx: 1, validity: "01:00:00" },
  ]);
  const idOf = (to: string) => submits.find((submit) => submit.to === to.slice(1))!.messageId!;
  expect(await smsc.receipt(idOf(reported), { stat: "DELIVRD" })).toBe(0);
  await waitFor("the receipt applied", async () => (await batch()).delivered === 1);

  // The hour passes (the deadlines are moved back by it) and the sweep, with no grace, settles the silent one.
  await stack.query(
    "UPDATE receipt_deadlines SET expires_at = expires_at - interval '1 hour 1 second' WHERE batch_id = $1",
    [batchId],
  );
  const expired = await waitFor("the silent message expired", async () => {
    const attributes = await batch();
    return attributes.undelivered === 1 ? attributes : undefined;
  });
  expect(expired).toMatchObject({ total: 2, sent: 2, delivered: 1, undelivered: 1, pending: 0 });
  const messages = () =>
    stack.query<{ to: string; status: string; reason: string | null }>(
      `SELECT "to", status, reason FROM messages WHERE batch_id = $1 ORDER BY idx`,
      [batchId],
    );
  const settled = [
    { to: silent, status: "undelivered", reason: "expired" },
    { to: reported, status: "delivered", reason: null },
  ];
  expect(await messages()).toEqual(settled);
  const events = () =>
    stack.query<{ payload: string }>(
      "SELECT payload FROM webhook_events WHERE account_id = $1 AND type = 'dlr' ORDER BY created_at, id",
      [accountId],
    );
  expect((await events()).map((event) => JSON.parse(event.payload).data.reason)).toEqual([null, "expired"]);
  expect(await stack.count("receipt_deadlines", { batch_id: batchId })).toBe(0);

  // The receipt the SMSC finally sends changes nothing: no count, no event.
  expect(await smsc.receipt(idOf(silent), { stat: "DELIVRD" })).toBe(0);
  await waitFor("the late receipt's job done", async () => {
    const counts = await deliveries.queue.getJobCounts("waiting", "active", "delayed", "prioritized");
    return Object.values(counts).every((n) => n === 0);
  });
  expect(await batch()).toMatchObject({ sent: 2, delivered: 1, undelivered: 1 });
  expect(await messages()).toEqual(settled);
  expect(await events()).toHaveLength(2);
});
