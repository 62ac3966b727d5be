// Data retention enforced: with a whole stack (API, two workers running the
// `purge-expired-data` job every second, the simulator), an account's messages,
// batches and contact lists kept past its retention are deleted, with what hangs
// on them; newer ones, other accounts', and batches still in flight stay; and
// slices run at once by several callers share the work without harm. Ages are
// made by moving rows' timestamps back, never by waiting.
import type { Salvo } from "@salvo/sdk";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { countMessages, type Stack, startStack, waitFor } from "./stack";

let stack: Stack;
beforeAll(async () => {
  stack = await startStack({ workers: 2 });
});
afterAll(() => stack?.stopAll());

const numbers = (n: number, from = 0) =>
  Array.from({ length: n }, (_, i) => `+3361200${String(from + i).padStart(4, "0")}`);

async function newAccount() {
  return stack.newAccount({ credits: 10_000, apiRateLimit: 10_000 });
}

/** A batch to `n` numbers, once it is completed. */
async function sent(client: Salvo, n: number, from = 0): Promise<string> {
  const { body } = await client.batches.create({ from: "ACME", body: "Hello", recipients: numbers(n, from) });
  const id = body.data.batch_id;
  await client.batches.wait(id, { timeoutMs: 30_000 });
  return id;
}

/** Moves a batch's acceptance and completion `days` back. */
async function age(batchId: string, days: number) {
  await stack.query(
    `UPDATE batches SET created_at = created_at - make_interval(days => $2),
                        completed_at = completed_at - make_interval(days => $2) WHERE id = $1`,
    [batchId, days],
  );
}

async function rows(table: string, batchId: string): Promise<number> {
  const [row] = await stack.query<{ n: number }>(
    `SELECT count(*)::int AS n FROM ${table} WHERE batch_id = $1`,
    [batchId],
  );
  return row?.n ?? 0;
}

async function batchExists(batchId: string): Promise<boolean> {
  return (await stack.query("SELECT 1 FROM batches WHERE id = $1", [batchId])).length === 1;
}

describe("message retention", () => {
  it("deletes the messages of batches finished before it, and what names them; the batches' counters stay", async () => {
    const { client, accountId } = await newAccount();
    const other = await newAccount();
    const old = await sent(client, 5);
    const recent = await sent(client, 3, 10);
    const othersOld = await sent(other.client, 2, 20);
    await age(old, 3);
    await age(othersOld, 3);
    // What hangs on the old batch's messages: a reply, a provider id, a click.
    await stack.query(
      `INSERT INTO replies (id, account_id, batch_id, idx, "from", "to", body)
       VALUES ('rpl_retention', $1, $2, 0, '+33612000000', 'ACME', 'Merci')`,
      [accountId, old],
    );
    await stack.query(
      "INSERT INTO provider_message_ids (connector, provider_message_id, batch_id, idx) VALUES ('smpp', $1, $1, 1)",
      [old],
    );
    await stack.query("INSERT INTO message_clicks (batch_id, idx) VALUES ($1, 2)", [old]);
    await client.account.setRetention({ message: "2d" });

    await waitFor("the old batch's messages purged", async () => {
      const [row] = await stack.query<{ purged: Date | null }>(
        "SELECT messages_purged_at AS purged FROM batches WHERE id = $1",
        [old],
      );
      return row?.purged;
    });
    expect(await countMessages(stack, old)).toBe(0);
    for (const table of ["replies", "provider_message_ids", "message_clicks", "batch_chunks"])
      expect(await rows(table, old), table).toBe(0);
    // The batch still answers, with its counters.
    const { body } = await client.batches.get(old);
    expect(body.data.attributes).toMatchObject({ status: "completed", total: 5, pending: 0 });
    expect(body.data.attributes.sent + body.data.attributes.delivered).toBeGreaterThan(0);
    // Newer messages, and another account's as old, stay.
    expect(await countMessages(stack, recent)).toBe(3);
    expect(await countMessages(stack, othersOld)).toBe(2);
  });
});

describe("campaign retention", () => {
  it("deletes batches finished before it with their messages; never one in flight, nor another account's", async () => {
    const { client } = await newAccount();
    const other = await newAccount();
    const old = await sent(client, 4);
    const recent = await sent(client, 2, 10);
    const othersOld = await sent(other.client, 2, 20);
    const { body: scheduled } = await client.batches.create({
      from: "ACME",
      body: "Later",
      recipients: numbers(2, 30),
      send_at: new Date(Date.now() + 86_400_000).toISOString(),
    });
    const waiting = scheduled.data.batch_id;
    await age(old, 3);
    await age(othersOld, 3);
    await age(waiting, 3);
    await client.account.setRetention({ campaign: "1d" });

    await waitFor("the old batch deleted", async () => !(await batchExists(old)));
    expect(await countMessages(stack, old)).toBe(0);
    expect(await rows("batch_chunks", old)).toBe(0);
    await expect(client.batches.get(old)).rejects.toMatchObject({ status: 404 });
    expect(await batchExists(recent)).toBe(true);
    expect(await countMessages(stack, recent)).toBe(2);
    expect(await batchExists(othersOld)).toBe(true);
    expect(await countMessages(stack, othersOld)).toBe(2);
    // Accepted three days ago but not sent yet: in flight, kept whole.
    expect((await client.batches.get(waiting)).body.data.attributes.status).not.toBe("completed");
    expect(await rows("batch_chunks", waiting)).toBeGreaterThan(0);
  });
});

describe("list retention", () => {
  it("deletes contact lists unchanged for longer, with their contacts; newer and other accounts' stay", async () => {
    const { client } = await newAccount();
    const other = await newAccount();
    const make = async (owner: Salvo, name: string, n: number, monthsOld: number) => {
      const { body } = await owner.contactLists.create({ name });
      await owner.contactLists.addContacts(
        body.data.id,
        numbers(n, 40).map((number) => ({ number })),
      );
      await stack.query(
        "UPDATE contact_lists SET updated_at = now() - make_interval(months => $2) WHERE id = $1",
        [body.data.id, monthsOld],
      );
      return body.data.id;
    };
    const old = await make(client, "Old", 3, 2);
    const recent = await make(client, "Recent", 2, 0);
    const othersOld = await make(other.client, "Other", 1, 2);
    await client.account.setRetention({ list: "1m" });

    const contactsOf = async (listId: string) =>
      (
        await stack.query<{ n: number }>("SELECT count(*)::int AS n FROM contacts WHERE list_id = $1", [
          listId,
        ])
      )[0]?.n;
    await waitFor("the old list deleted", async () => {
      const found = await stack.query("SELECT 1 FROM contact_lists WHERE id = $1", [old]);
      return found.length === 0;
    });
    expect(await contactsOf(old)).toBe(0);
    expect((await client.contactLists.get(recent)).body.data.attributes.contact_count).toBe(2);
    expect(await contactsOf(othersOld)).toBe(1);
  });
});

describe("slices", () => {
  it("run by several callers at once (and by the workers) delete each row once, and again change nothing", async () => {
    const { client, accountId } = await newAccount();
    const big = await sent(client, 40);
    await age(big, 3);
    await stack.store.accounts.update(accountId, { campaignRetention: "1d" });
    const drain = async () => {
      let deleted = 0;
      for (let slice = 0; slice < 100; slice++) {
        const result = await stack.store.retention.purgeCampaigns(accountId, "1 day", 7);
        deleted += result.deleted;
        if (!result.more) break;
      }
      return deleted;
    };
    const deleted = await Promise.all([drain(), drain(), drain(), drain()]);
    await waitFor("the batch deleted", async () => !(await batchExists(big)));
    // The workers' job may have taken some slices; these callers never deleted more than there was.
    expect(deleted.reduce((a, b) => a + b, 0)).toBeLessThanOrEqual(41);
    expect(await countMessages(stack, big)).toBe(0);
    expect(await stack.store.retention.purgeCampaigns(accountId, "1 day", 7)).toEqual({
      deleted: 0,
      more: false,
    });
    expect(await stack.store.retention.purgeMessages(accountId, "1 day", 7)).toEqual({
      deleted: 0,
      more: false,
    });
  });
});
