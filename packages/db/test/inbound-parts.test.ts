// Parts of long inbound messages: held until every part is in, then one reply with
// the joined text, whatever the order, the resends and the concurrency.
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
