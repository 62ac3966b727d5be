import { BATCH_TOTAL_PARTS, messageId, newId } from "@salvo/core";
import type { Store } from "@salvo/db";
import { SalvoApiError } from "@salvo/sdk";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { messagesByStatus, type Stack, startStack } from "./stack";

let stack: Stack;
beforeAll(async () => {
  // Small chunks, so a few dozen recipients already cross chunk boundaries.
  stack = await startStack({ workers: 2, api: { BATCH_CHUNK_SIZE: "10" } });
});
afterAll(() => stack.stopAll());

/** The sum invariant, and the counters against the message rows. */
async function expectCountsMatchRows(batchId: string) {
  const { body } = await stack.client(await tokenOf(batchId)).batches.get(batchId);
  const a = body.data.attributes;
  expect(BATCH_TOTAL_PARTS.reduce((sum, key) => sum + a[key], 0)).toBe(a.total);
  expect(a.delivered + a.undelivered).toBeLessThanOrEqual(a.sent);
  const byStatus = await messagesByStatus(stack, batchId);
  expect((byStatus.sent ?? 0) + (byStatus.delivered ?? 0) + (byStatus.undelivered ?? 0)).toBe(a.sent);
  expect(byStatus.delivered ?? 0).toBe(a.delivered);
  expect(byStatus.undelivered ?? 0).toBe(a.undelivered);
  for (const key of ["failed", "blacklisted", "duplicated", "invalid", "npai", "flooded"] as const) {
    expect(byStatus[key] ?? 0, key).toBe(a[key]);
  }
  const [cost] = await stack.query<{ sum: number | null }>(
    "SELECT sum(cost)::int AS sum FROM messages WHERE batch_id = $1",
    [batchId],
  );
  expect(cost?.sum ?? 0).toBe(a.cost);
}

const tokens = new Map<string, string>();
async function tokenOf(batchId: string): Promise<string> {
  const [batch] = await stack.query<{ accountId: string }>(
    'SELECT account_id AS "accountId" FROM batches WHERE id = $1',
    [batchId],
  );
  if (!batch) throw new Error(`no batch ${batchId}`);
  return tokens.get(batch.accountId) as string;
}
async function account(options: { credits?: number } = {}) {
  const created = await stack.newAccount({ credits: options.credits ?? 10_000, apiRateLimit: 1_000 });
  tokens.set(created.accountId, created.token);
  return created;
}

/**
 * Stores a batch as the API does before it enqueues it (no job: the reconciler
 * finds it), then lets `also` write more.
 */
async function storeBatch(
  accountId: string,
  body: string,
  recipients: string[],
  also?: (store: Store, id: string) => Promise<unknown>,
): Promise<string> {
  const id = newId("bat");
  await stack.store.batches.accept({
    id,
    accountId,
    type: "transactional",
    sender: "ACME",
    body,
    country: "FR",
    segments: 1,
    recipients,
    chunkSize: 10,
  });
  await also?.(stack.store, id);
  return id;
}

describe("a batch that mixes every case", () => {
  it("counts each recipient exactly once, in the right column", async () => {
    const { client, accountId } = await account({ credits: 1_000 });
    await client.blacklist.add(["+33611111111"]);
    await client.npai.add(["0622222222"]);
    await stack.store.accounts.update(accountId, { floodMaxPerHour: 2 });
    // Two earlier batches reach +33633333333: a third message in the hour is flooded.
    for (const body of ["first", "second"]) {
      const { body: accepted } = await client.batches.create({
        from: "ACME",
        body,
        recipients: ["+33633333333"],
      });
      await client.batches.wait(accepted.data.batch_id, { timeoutMs: 20_000 });
    }
    const before = (await client.account.get()).body.data.attributes.credits;

    const { body: accepted, status } = await client.batches.create({
      from: "ACME",
      body: "Hello from Salvo",
      country: "FR",
      recipients: [
        "+33612345601", // sent, delivered
        { to: "06 12 34 56 02", ref: "crm-2" }, // national format, sent
        "+33612345697", // refused at hand-off: failed
        "+33612345698", // sent, undelivered (rejected)
        "+33612345699", // sent, undelivered (unknown subscriber) → NPAI list
        "not a number", // invalid
        "+3361", // invalid
        "0612345601", // same number as the first: duplicated
        "+33612345601", // duplicated again
        "+33611111111", // blacklisted
        "+33622222222", // npai
        "+33633333333", // flooded
        ...Array.from({ length: 20 }, (_, i) => `+336400000${String(i).padStart(2, "0")}`), // sent, delivered
      ],
    });
    expect(status).toBe(202);
    const batchId = accepted.data.batch_id;
    expect(accepted).toEqual({
      data: { batch_id: batchId, type: "batches" },
      links: { self: `/v1/batches/${batchId}` },
    });

    await client.batches.wait(batchId, { timeoutMs: 30_000 });
    // Delivery reports come after completion; wait for all of them.
    const done = await client.batches.wait(batchId, {
      timeoutMs: 30_000,
      until: (b) => b.attributes.delivered + b.attributes.undelivered === b.attributes.sent,
    });
    expect(done.attributes).toMatchObject({
      status: "completed",
      total: 32,
      pending: 0,
      sent: 24,
      delivered: 22,
      undelivered: 2,
      failed: 1,
      blacklisted: 1,
      duplicated: 2,
      invalid: 2,
      npai: 1,
      flooded: 1,
      cost: 24,
      segments: 1,
    });
    expect(done.attributes.completed_at).not.toBeNull();
    await expectCountsMatchRows(batchId);

    // Only sent messages are paid for: everything else was refunded.
    const after = (await client.account.get()).body.data.attributes.credits;
    expect(before - after).toBe(24);

    // The unknown subscriber is now on the NPAI list.
    const npai = await client.npai.list();
    expect(npai.body.data.map((n) => n.number)).toContain("+33612345699");

    // The ledger saw each sendable message exactly once (sent and refused ones).
    const handedOff = stack.ledger().filter((line) => line.body === "Hello from Salvo");
    expect(handedOff).toHaveLength(25);
    expect(new Set(handedOff.map((line) => line.message_id)).size).toBe(25);

    const failed = await client.batches.messages(batchId, { status: "failed" });
    expect(failed.body.data).toHaveLength(1);
    expect(failed.body.data[0]?.attributes).toMatchObject({ to: "+33612345697", status: "failed", cost: 0 });
    const withRef = await client.batches.messages(batchId, { page: 1 });
    expect(withRef.body.page).toEqual({ count: 2, number: 1 });
    expect(withRef.body.data[1]?.attributes).toMatchObject({ to: "+33612345602", ref: "crm-2" });
    const invalid = await client.batches.messages(batchId, { status: "invalid" });
    expect(invalid.body.data.map((m) => m.attributes.to)).toEqual(["not a number", "+3361"]);

    // A search: digits of the number (spaces, `+` ignored), or a ref exactly; with a status too.
    const byNumber = await client.batches.messages(batchId, { q: "+33 6 1234 5697" });
    expect(byNumber.body.data.map((m) => m.attributes.to)).toEqual(["+33612345697"]);
    const byRef = await client.batches.messages(batchId, { q: "crm-2" });
    expect(byRef.body.data.map((m) => m.attributes.ref)).toEqual(["crm-2"]);
    expect(byRef.body.page).toEqual({ count: 1, number: 1 });
    const partial = await client.batches.messages(batchId, { q: "1234569" });
    expect(partial.body.data.length).toBeGreaterThan(1);
    expect(partial.body.data.every((m) => m.attributes.to.includes("1234569"))).toBe(true);
    const failedOnly = await client.batches.messages(batchId, { q: "1234569", status: "failed" });
    expect(failedOnly.body.data.map((m) => m.attributes.to)).toEqual(["+33612345697"]);
    expect((await client.batches.messages(batchId, { q: "crm-" })).body.data).toEqual([]);
  });
});

describe("message reasons", () => {
  it("gives every message that is not sent the reason why", async () => {
    const { client, accountId } = await account();
    await client.blacklist.add(["+33611111111"]);
    await client.npai.add(["+33622222222"]);
    await stack.store.accounts.update(accountId, { floodMaxPerHour: 2, floodMaxSameBodyPerHour: 1 });
    // +33633333333 gets two messages and +33644444444 one with the same body as the batch below.
    for (const [body, to] of [
      ["first", "+33633333333"],
      ["second", "+33633333333"],
      ["Reasons", "+33644444444"],
    ] as const) {
      const { body: accepted } = await client.batches.create({ from: "ACME", body, recipients: [to] });
      await client.batches.wait(accepted.data.batch_id, { timeoutMs: 20_000 });
    }

    const expected: [recipient: string, status: string, reason: string | null, to?: string][] = [
      ["+33612345611", "sent", null],
      ["06 12 34 56 7", "invalid", "too_short"],
      ["06 12 34 56 78 90", "invalid", "too_long"],
      ["hello", "invalid", "not_a_number"],
      ["+999 123 456 789", "invalid", "invalid_country_code"],
      ["0712345605", "invalid", "unallocated_range"], // well formed, not allocated in France today
      ["0690112233", "sent", null, "+590690112233"], // Guadeloupe, dialled nationally from France
      ["+33611111111", "blacklisted", "blacklisted"],
      ["+33622222222", "npai", "npai"],
      ["+33633333333", "flooded", "flooded_count"],
      ["+33644444444", "flooded", "flooded_same_body"], // position 10: the next chunk
      ["06 12 34 56 11", "duplicated", "duplicate_of"],
      ["+590 690 11 22 33", "duplicated", "duplicate_of"],
      ["+33612345697", "failed", "rejected_by_provider"],
    ];
    const { body: accepted } = await client.batches.create({
      from: "ACME",
      body: "Reasons",
      country: "FR",
      recipients: expected.map(([recipient]) => recipient),
    });
    const batchId = accepted.data.batch_id;
    await client.batches.wait(batchId, { timeoutMs: 30_000 });

    const { body: page } = await client.batches.messages(batchId);
    const got = page.data.map((m) => [m.attributes.status, m.attributes.reason, m.attributes.duplicate_of]);
    expect(got).toEqual(
      expected.map(([recipient, status, reason]) => [
        // Delivery reports may have come for the sent ones already.
        status === "sent" ? expect.stringMatching(/^(sent|delivered)$/) : status,
        status === "sent" ? null : reason,
        // The duplicates point to the first occurrence of their number.
        recipient === "06 12 34 56 11" ? 0 : recipient === "+590 690 11 22 33" ? 6 : null,
      ]),
    );
    expect(page.data[6]?.attributes.to).toBe("+590690112233");
    expect(page.data[1]?.attributes.to).toBe("06 12 34 56 7");
    // What reached the provider: the Guadeloupe number in E.164.
    const handedOff = stack
      .ledger()
      .filter((line) => line.message_id.startsWith(messageId(batchId, 0).slice(0, -1)));
    expect(handedOff.map((line) => line.to).sort()).toEqual([
      "+33612345611",
      "+33612345697",
      "+590690112233",
    ]);
  });

  it("reads the verdicts of chunks judged by an older worker", async () => {
    const { accountId, client } = await account();
    // Stored, and judged as workers without reasons did ("!" invalid, "=<E.164>" a repeat). The
    // reconciler only takes batches left unchanged for seconds: it enqueues this one after both writes.
    const id = await storeBatch(
      accountId,
      "old verdicts",
      ["+33612400021", "06 12 34 56 7", "06 12 40 00 21", "hello"],
      (store, id) =>
        store.pipeline.saveJudgments(id, [{ idx: 0, judged: ["+33612400021", "!", "=+33612400021", "!"] }]),
    );
    await client.batches.wait(id, { timeoutMs: 20_000 });
    const { body: page } = await client.batches.messages(id);
    expect(
      page.data.map((m) => [m.attributes.status, m.attributes.reason, m.attributes.duplicate_of]),
    ).toEqual([
      [expect.stringMatching(/^(sent|delivered)$/), null, null],
      ["invalid", "too_short", null], // worked out again from the number
      ["duplicated", "duplicate_of", null], // the position was not kept
      ["invalid", "not_a_number", null],
    ]);
  });
});

describe("numbers PostgreSQL cannot store as sent", () => {
  it("counts a number with a NUL character invalid and keeps the rest of it", async () => {
    const { client } = await account();
    const { body } = await client.batches.create({
      from: "ACME",
      body: "nul",
      recipients: ["06\u000012", "+33612000009"],
    });
    const done = await client.batches.wait(body.data.batch_id, { timeoutMs: 20_000 });
    expect(done.attributes).toMatchObject({ invalid: 1, sent: 1 });
    const invalid = await client.batches.messages(body.data.batch_id, { status: "invalid" });
    expect(invalid.body.data[0]?.attributes.to).toBe("0612");
  });
});

describe("duplicates across chunk boundaries", () => {
  it("marks the later copy duplicated wherever the chunks are cut", async () => {
    const { client } = await account();
    const recipients = Array.from({ length: 35 }, (_, i) => `+3364100${String(i).padStart(4, "0")}`);
    // Positions 9|10 and 19|20 straddle chunk boundaries (10 per chunk); 34 repeats position 0.
    recipients[10] = recipients[9] as string;
    recipients[20] = (recipients[19] as string).replace("+33", "0");
    recipients[34] = recipients[0] as string;
    const { body } = await client.batches.create({ from: "ACME", body: "dups", recipients });
    const done = await client.batches.wait(body.data.batch_id, { timeoutMs: 30_000 });
    expect(done.attributes).toMatchObject({ total: 35, duplicated: 3, sent: 32 });
    const dups = await client.batches.messages(body.data.batch_id, { status: "duplicated" });
    expect(dups.body.data.map((m) => Number(m.id.split("_").at(-1)))).toEqual([10, 20, 34]);
    // Delivery reports still arriving would move rows between the two reads.
    await client.batches.wait(body.data.batch_id, {
      timeoutMs: 30_000,
      until: (b) => b.attributes.delivered + b.attributes.undelivered === b.attributes.sent,
    });
    await expectCountsMatchRows(body.data.batch_id);
  });
});

describe("credits", () => {
  it("never go below zero when many batches race for them", async () => {
    const { client, accountId } = await account({ credits: 10 });
    const answers = await Promise.allSettled(
      Array.from({ length: 25 }, (_, i) =>
        client.batches.create({
          from: "ACME",
          body: "race",
          recipients: [`+3365000${String(i).padStart(4, "0")}`],
        }),
      ),
    );
    const accepted = answers.filter((a) => a.status === "fulfilled");
    const refused = answers
      .filter((a) => a.status === "rejected")
      .map((a) => (a as PromiseRejectedResult).reason);
    expect(accepted).toHaveLength(10);
    expect(refused).toHaveLength(15);
    for (const error of refused) {
      expect(error).toBeInstanceOf(SalvoApiError);
      expect(error).toMatchObject({ status: 402, code: "NOT_ENOUGH_CREDITS" });
    }
    const row = await stack.store.accounts.find(accountId);
    expect(row?.credits).toBe(0);
    const [batches] = await stack.query<{ n: number }>(
      "SELECT count(*)::int AS n FROM batches WHERE account_id = $1",
      [accountId],
    );
    expect(batches?.n).toBe(10);
  });

  it("reserve segments × recipients and refund what is not sent", async () => {
    // 161 GSM characters: two segments per message, so three recipients reserve
    // 6 credits, the invalid one included: 5 are not enough.
    const body = "x".repeat(161);
    const recipients = ["+33612000001", "+33612000002", "invalid"];
    const { client: short } = await account({ credits: 5 });
    const refused = await short.batches.create({ from: "ACME", body, recipients }).catch((error) => error);
    expect(refused).toBeInstanceOf(SalvoApiError);
    expect(refused).toMatchObject({ status: 402, code: "NOT_ENOUGH_CREDITS" });
    expect((await short.account.get()).body.data.attributes.credits).toBe(5);

    const { client } = await account({ credits: 100 });
    const { body: accepted } = await client.batches.create({ from: "ACME", body, recipients });
    // 6 reserved; a worker may already have judged the invalid number and refunded its 2.
    expect([94, 96]).toContain((await client.account.get()).body.data.attributes.credits);
    const done = await client.batches.wait(accepted.data.batch_id, { timeoutMs: 20_000 });
    expect(done.attributes).toMatchObject({ segments: 2, cost: 4, sent: 2, invalid: 1 });
    expect((await client.account.get()).body.data.attributes.credits).toBe(96);
  });
});

describe("nothing accepted is lost", () => {
  it("sends a stored batch whose job never reached the queue (the reconciler enqueues it)", async () => {
    const { accountId, client } = await account();
    // What the API stores before it enqueues, as when Redis is down at that moment.
    const id = await storeBatch(accountId, "found again", ["+33612400001", "+33612400002", "06 12 40 00 03"]);
    // Completed, then every delivery report applied, so the rows no longer move.
    const done = await client.batches.wait(id, {
      timeoutMs: 20_000,
      until: (b) => b.attributes.status === "completed" && b.attributes.delivered === 3,
    });
    expect(done.attributes).toMatchObject({ status: "completed", total: 3, sent: 3 });
    await expectCountsMatchRows(id);
  });
});

describe("tenancy", () => {
  it("answers 404 for another account's batch", async () => {
    const owner = await account();
    const other = await account();
    const { body } = await owner.client.batches.create({
      from: "ACME",
      body: "mine",
      recipients: ["+33612000003"],
    });
    const id = body.data.batch_id;
    for (const call of [() => other.client.batches.get(id), () => other.client.batches.messages(id)]) {
      await expect(call()).rejects.toMatchObject({ status: 404, code: "NOT_FOUND" });
    }
    const listed = await other.client.batches.list();
    expect(listed.body.data.map((b) => b.id)).not.toContain(id);
  });
});

describe("the salvo CLI as a client", () => {
  it("sends a batch from a file and follows it to completion", async () => {
    const { token } = await account();
    const { execFile } = await import("node:child_process");
    const { writeFileSync } = await import("node:fs");
    const { tmpdir } = await import("node:os");
    const path = await import("node:path");
    const file = path.join(tmpdir(), `recipients-${Date.now()}.txt`);
    writeFileSync(file, "+33612300001\n06 12 30 00 02,crm-2\nbogus\n");
    const cli = path.join(import.meta.dirname, "../../cli/bin/salvo.mjs");
    const output = await new Promise<string>((resolve, reject) =>
      execFile(
        process.execPath,
        [
          cli,
          "send",
          "--from",
          "ACME",
          "--body",
          "from the cli",
          "--file",
          file,
          "--to",
          "+33612300003",
          "--watch",
        ],
        { env: { ...process.env, SALVO_URL: stack.api.url, SALVO_TOKEN: token }, timeout: 30_000 },
        (error, stdout, stderr) =>
          error ? reject(new Error(`${error.message}\n${stderr}`)) : resolve(stdout),
      ),
    );
    const lines = output.trim().split("\n");
    const batchId = lines[0] as string;
    expect(batchId).toMatch(/^bat_/);
    expect(lines.at(-1)).toContain("completed 4/4 (100%)");
    const { body } = await stack.client(token).batches.get(batchId);
    expect(body.data.attributes).toMatchObject({ total: 4, sent: 3, invalid: 1 });
    const refs = await stack.client(token).batches.messages(batchId);
    // --to numbers come first, then the file's lines.
    expect(refs.body.data.map((m) => m.attributes.ref)).toEqual([null, null, "crm-2", null]);
  });
});
