// Marketing batches and the account's sending hours through the whole stack (API,
// workers, simulator): a batch accepted while they are closed is paused, nothing
// handed off, and goes out once they open; one still sending when they close is
// paused between two groups and resumes at the next opening; transactional
// batches are never held. The windows are set a few seconds ahead (they take
// seconds), so nothing fakes the clock; the requeue sweep runs every second
// (RECONCILE_INTERVAL_MS) and re-enqueues the paused batches meanwhile.
import { parseMessageId } from "@salvo/core";
import type { Salvo } from "@salvo/sdk";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type LedgerLine, messagesByStatus, type Stack, startStack, subscribe, waitFor } from "./stack";

const MENTION = "STOP au 36180";

let stack: Stack;
beforeAll(async () => {
  stack = await startStack({ workers: 2, api: { BATCH_CHUNK_SIZE: "10", OPT_OUT_MENTION: MENTION } });
});
afterAll(() => stack?.stopAll());

/** ISO weekday (1 = Monday) and HH:MM:SS of `at`, in UTC. */
function utc(at: Date) {
  return { day: ((at.getUTCDay() + 6) % 7) + 1, time: at.toISOString().slice(11, 19) };
}

/** `ms` from now, to the whole second. */
const secondsAhead = (ms: number) => new Date(Math.ceil((Date.now() + ms) / 1000) * 1000);

/** A window from `from` to the end of that day, and the whole next day (UTC). */
function openFrom(from: Date) {
  const { day, time } = utc(from);
  return [
    { days: [day], from: time, to: "24:00" },
    { days: [(day % 7) + 1], from: "00:00", to: "24:00" },
  ];
}

/** Too close to midnight UTC, "today" changes under a test: wait for tomorrow. */
async function awayFromMidnight() {
  const toMidnight = 86_400_000 - (Date.now() % 86_400_000);
  if (toMidnight < 30_000) await new Promise((resolve) => setTimeout(resolve, toMidnight + 100));
}

const recipients = (n: number, from: number) =>
  Array.from({ length: n }, (_, i) => `+3361${String(from + i).padStart(7, "0")}`);

const handedOff = (batchId: string): LedgerLine[] =>
  stack.ledger().filter((line) => parseMessageId(line.message_id)?.batchId === batchId);

async function status(client: Salvo, batchId: string) {
  return (await client.batches.get(batchId)).body.data.attributes;
}

describe("a marketing batch outside the sending hours", () => {
  it("is paused when accepted while they are closed, sends nothing, and completes once they open", async () => {
    await awayFromMidnight();
    const { accountId, client } = await stack.newAccount({ credits: 1_000, apiRateLimit: 1_000 });
    await subscribe(stack, accountId, "hours", ["batch.paused", "batch.resumed"]);
    const opens = secondsAhead(6_000);
    await client.account.setSendingHours({ time_zone: "UTC", windows: openFrom(opens), holidays: "none" });
    expect((await client.account.sendingHours()).body.data.attributes).toMatchObject({
      open_now: false,
      next_opening: opens.toISOString().replace(".000Z", "Z"),
    });

    const marketing = await client.batches.create({
      from: "ACME",
      body: "Soldes -50%",
      type: "marketing",
      recipients: recipients(25, 0),
    });
    const promo = marketing.body.data.batch_id;
    const alert = await client.batches.create({
      from: "ACME",
      body: "Code 1234",
      recipients: recipients(5, 100),
    });
    const code = alert.body.data.batch_id;

    // Paused at once; the transactional batch is sent meanwhile.
    await waitFor(
      "the marketing batch paused",
      async () => (await status(client, promo)).status === "paused",
    );
    await waitFor("the transactional batch completed", async () => {
      return (await status(client, code)).status === "completed";
    });
    expect(handedOff(code)).toHaveLength(5);
    // Credits stay reserved while paused: 25 + 5 taken, nothing refunded.
    expect((await client.account.get()).body.data.attributes.credits).toBe(1_000 - 30);
    // Idle while paused, it is one the requeue sweep re-enqueues (every second here): that sends nothing early.
    await waitFor("the sweep to take the paused batch", async () => {
      return (await stack.store.batches.stalled(stack.workerEnv.RECONCILE_INTERVAL_MS * 2)).includes(promo);
    });
    expect(handedOff(promo)).toEqual([]);

    await waitFor(
      "the marketing batch completed",
      async () => (await status(client, promo)).status === "completed",
    );
    const lines = handedOff(promo);
    expect(lines).toHaveLength(25);
    expect(new Set(lines.map((line) => line.message_id)).size).toBe(25);
    for (const line of lines) {
      expect(new Date(line.at).getTime()).toBeGreaterThanOrEqual(opens.getTime());
      expect(line.body).toBe(`Soldes -50%\n${MENTION}`);
    }
    const counts = await messagesByStatus(stack, promo);
    expect((counts.sent ?? 0) + (counts.delivered ?? 0)).toBe(25);
    expect(await status(client, promo)).toMatchObject({ pending: 0, cost: 25 });
    // One event each way, however many jobs found the hours closed.
    const events = await stack.query<{ payload: string }>(
      "SELECT payload FROM webhook_events WHERE account_id = $1 ORDER BY created_at",
      [accountId],
    );
    expect(events.map((event) => JSON.parse(event.payload).data)).toEqual([
      { batch_id: promo, status: "paused", resumes_at: opens.toISOString().replace(".000Z", "Z") },
      { batch_id: promo, status: "processing" },
    ]);
  });

  it("is paused between two groups when they close while it sends, and resumes when they open again", async () => {
    await awayFromMidnight();
    const { accountId, client } = await stack.newAccount({ credits: 1_000, apiRateLimit: 1_000 });
    // 5 messages a second: 30 messages take 6 seconds, groups of one (see offer in send-chunk.ts).
    await stack.store.accounts.update(accountId, { sendRateLimit: 5 });
    const closes = secondsAhead(2_000);
    const reopens = new Date(closes.getTime() + 4_000);
    const today = utc(closes);
    await client.account.setSendingHours({
      time_zone: "UTC",
      windows: [{ days: [today.day], from: "00:00", to: today.time }, ...openFrom(reopens)],
      holidays: "none",
    });

    const accepted = await client.batches.create({
      from: "ACME",
      body: "Soldes",
      type: "marketing",
      recipients: recipients(30, 200),
    });
    const batchId = accepted.body.data.batch_id;
    const paused = await waitFor("the batch paused with messages left", async () => {
      const batch = await status(client, batchId);
      return batch.status === "paused" && batch.pending > 0 && batch;
    });
    expect(paused.pending).toBeLessThan(30);
    await waitFor("the batch completed", async () => (await status(client, batchId)).status === "completed");

    const lines = handedOff(batchId);
    expect(lines).toHaveLength(30);
    expect(new Set(lines.map((line) => line.message_id)).size).toBe(30);
    const times = lines.map((line) => new Date(line.at).getTime());
    // A group already waiting for its rate-limit slot when they close still goes (about a second at most).
    expect(times.filter((at) => at >= closes.getTime() + 1_500 && at < reopens.getTime())).toEqual([]);
    expect(times.some((at) => at >= reopens.getTime())).toBe(true);
  });
});
