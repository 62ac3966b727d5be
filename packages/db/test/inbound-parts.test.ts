// Parts of long inbound messages: held until every part is in, then one reply with
// the joined text, whatever the order, the resends and the concurrency. One-part
// messages with a resend window: recorded once per window, however often resent.
import { createHash } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase } from "../src/testing";

let testDb: Awaited<ReturnType<typeof createTestDatabase>>;

beforeAll(async () => {
  testDb = await createTestDatabase();
});
afterAll(async () => {
  await testDb?.drop();
});

let sender = 0;
/** A new sender's number, so each test's groups are its own. */
const newSender = () => `+336123${String(++sender).padStart(5, "0")}`;

function part(from: string, number: number, body: string, reference = 1, total = 3) {
  return testDb.store.inbound.receivePart({
    connector: "smsc-a",
    from,
    to: "Salvo",
    body,
    part: { reference, total, number },
  });
}

async function repliesFrom(from: string) {
  return testDb.query<{ body: string; stop: boolean }>('SELECT body, stop FROM replies WHERE "from" = $1', [
    from,
  ]);
}

describe("inbound parts", () => {
  it("records one reply with the parts joined in order, out of order and resent, and nothing more after", async () => {
    const from = newSender();
    expect(await part(from, 3, "three.")).toBeNull();
    expect(await part(from, 1, "One, ")).toBeNull();
    expect(await part(from, 1, "One, ")).toBeNull();
    const completed = await part(from, 2, "two, ");
    expect(completed?.reply).toMatchObject({ from, to: "Salvo", body: "One, two, three.", stop: false });
    expect(await part(from, 2, "two, ")).toBeNull();
    expect(await part(from, 3, "three.")).toBeNull();
    expect(await repliesFrom(from)).toEqual([{ body: "One, two, three.", stop: false }]);
  });

  it("keeps messages apart by reference and part count", async () => {
    const from = newSender();
    await part(from, 1, "a", 1, 2);
    await part(from, 1, "b", 2, 2);
    await part(from, 1, "c", 1, 3);
    await part(from, 2, "B", 2, 2);
    expect(await repliesFrom(from)).toEqual([{ body: "bB", stop: false }]);
  });

  it("makes a STOP of a long message whose joined text is one", async () => {
    const from = newSender();
    await part(from, 2, "SMS", 9, 2);
    expect((await part(from, 1, "STOP ", 9, 2))?.reply.stop).toBe(true);
  });

  it("completes each message exactly once when its last two parts arrive together", async () => {
    const senders = Array.from({ length: 20 }, newSender);
    await Promise.all(senders.map((from) => part(from, 1, "1")));
    const outcomes = await Promise.all(
      senders.map((from) => Promise.all([part(from, 2, "2"), part(from, 3, "3"), part(from, 3, "3")])),
    );
    for (const outcome of outcomes) expect(outcome.filter((completed) => completed !== null)).toHaveLength(1);
    const rows = await testDb.query<{ from: string; body: string }>(
      'SELECT "from", body FROM replies WHERE "from" = ANY($1)',
      [senders],
    );
    expect(rows.map((row) => row.body)).toEqual(senders.map(() => "123"));
  });

  it("refuses a part from a number that is not international before holding it", async () => {
    await expect(part("not-a-number", 1, "x")).rejects.toThrow(/from/);
  });

  it("purges completed messages' parts after an hour and incomplete ones after 24 hours", async () => {
    const [done, recent, waiting, stale] = [newSender(), newSender(), newSender(), newSender()];
    await part(done, 1, "a", 1, 2);
    await part(done, 2, "b", 1, 2);
    await part(recent, 1, "a", 1, 2);
    await part(recent, 2, "b", 1, 2);
    await part(waiting, 1, "a", 1, 2);
    await part(stale, 1, "a", 1, 2);
    await testDb.query(
      `UPDATE inbound_parts SET completed_at = completed_at - interval '61 minutes' WHERE "from" = $1`,
      [done],
    );
    await testDb.query(
      `UPDATE inbound_parts SET received_at = received_at - interval '25 hours' WHERE "from" = $1`,
      [stale],
    );
    await testDb.store.inbound.purgeParts();
    const left = await testDb.query<{ from: string }>(
      'SELECT DISTINCT "from" FROM inbound_parts WHERE "from" = ANY($1) ORDER BY "from"',
      [[done, recent, waiting, stale]],
    );
    expect(left.map((row) => row.from)).toEqual([recent, waiting].sort());
    // The completed marker is gone: the same part again starts a new message.
    expect(await part(done, 1, "a", 1, 2)).toBeNull();
  });
});

describe("one-part messages with a resend window", () => {
  const window = 600_000;

  function once(from: string, body: string, connector = "smsc-a") {
    return testDb.store.inbound.receiveOnce({ connector, from, to: "Salvo", body, windowMs: window });
  }

  /** Moves `from`'s fingerprints' window end into the past, as the window's time passing would. */
  async function endWindow(from: string) {
    await testDb.query(
      `UPDATE inbound_fingerprints SET expires_at = now() - interval '1 second' WHERE "from" = $1`,
      [from],
    );
  }

  it("records a message once, taking the same again within the window for a resend", async () => {
    const from = newSender();
    const first = await once(from, "Oui, lundi");
    expect(first?.reply).toMatchObject({ from, to: "Salvo", body: "Oui, lundi", stop: false });
    expect(await once(from, "Oui, lundi")).toBeNull();
    expect(await repliesFrom(from)).toEqual([{ body: "Oui, lundi", stop: false }]);
  });

  it("records it again once the window has ended, and keeps the window from then", async () => {
    const from = newSender();
    await once(from, "STOP");
    await endWindow(from);
    expect((await once(from, "STOP"))?.reply.stop).toBe(true);
    expect(await once(from, "STOP")).toBeNull();
    expect(await repliesFrom(from)).toEqual([
      { body: "STOP", stop: true },
      { body: "STOP", stop: true },
    ]);
  });

  it("records different texts, connectors and recipients apart", async () => {
    const from = newSender();
    await once(from, "Oui");
    await once(from, "Non");
    await once(from, "Oui", "smsc-b");
    await testDb.store.inbound.receiveOnce({
      connector: "smsc-a",
      from,
      to: "ACME",
      body: "Oui",
      windowMs: window,
    });
    expect((await repliesFrom(from)).map((reply) => reply.body).sort()).toEqual(["Non", "Oui", "Oui", "Oui"]);
  });

  it("records exactly one of copies that arrive at once", async () => {
    const senders = Array.from({ length: 20 }, newSender);
    const outcomes = await Promise.all(
      senders.map((from) =>
        Promise.all([once(from, "Bonjour"), once(from, "Bonjour"), once(from, "Bonjour")]),
      ),
    );
    for (const outcome of outcomes) expect(outcome.filter((recorded) => recorded !== null)).toHaveLength(1);
    const rows = await testDb.query<{ from: string }>('SELECT "from" FROM replies WHERE "from" = ANY($1)', [
      senders,
    ]);
    expect(rows).toHaveLength(senders.length);
  });

  it("keeps a hash of the text, not the text", async () => {
    const from = newSender();
    await once(from, "Mon code est 1234");
    const [fingerprint] = await testDb.query<{ hash: string }>(
      `SELECT encode(body_hash, 'hex') AS hash FROM inbound_fingerprints WHERE "from" = $1`,
      [from],
    );
    expect(fingerprint?.hash).toBe(createHash("sha256").update("Mon code est 1234").digest("hex"));
  });

  it("refuses a number that is not international before recording anything", async () => {
    await expect(once("not-a-number", "x")).rejects.toThrow(/from/);
    expect(await testDb.query(`SELECT 1 FROM inbound_fingerprints WHERE "from" = 'not-a-number'`)).toEqual(
      [],
    );
  });

  it("purges fingerprints whose window has ended, after which the same text is recorded again", async () => {
    const [ended, open] = [newSender(), newSender()];
    await once(ended, "Merci");
    await once(open, "Merci");
    await endWindow(ended);
    expect(await testDb.store.inbound.purgeFingerprints()).toBeGreaterThanOrEqual(1);
    const left = await testDb.query<{ from: string }>(
      'SELECT "from" FROM inbound_fingerprints WHERE "from" = ANY($1)',
      [[ended, open]],
    );
    expect(left.map((row) => row.from)).toEqual([open]);
    expect(await once(ended, "Merci")).not.toBeNull();
    expect(await once(open, "Merci")).toBeNull();
  });
});
