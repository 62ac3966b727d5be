// The import processor called directly (no worker consuming the queue): a run
// interrupted between two slices, then run again, ends with exactly the counts
// and contacts of a run never interrupted; a file that is not CSV fails the
// import with its reason.
import { Readable } from "node:stream";
import { startTestApi, type TestApi } from "@salvo/api/testing";
import type { Store } from "@salvo/db";
import { createNumberNormalizer } from "@salvo/numbers";
import { createLogger } from "@salvo/runtime";
import type { Salvo } from "@salvo/sdk";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { importContacts } from "../src/processors/import-contacts";

let t: TestApi;
const numbers = createNumberNormalizer(1);
const logger = createLogger("salvo-worker", "warn");
beforeAll(async () => {
  t = await startTestApi();
});
afterAll(async () => {
  await numbers.close();
  await t?.stop();
});

const FAST = { apiRateLimit: 10_000 };

/** What the processor works with, on `store`. */
const deps = (store: Store) => ({ store, numbers, logger, stopping: new AbortController().signal });

/**
 * 35,000 rows over four slices of 10,000: every 700th row is not a number, every
 * 1,000th from row 15,000 on writes the number of row i - 15,000 (in an earlier
 * slice), every 3,000th the number of the row before.
 */
async function* bigFile() {
  yield "phone;first_name\n";
  for (let i = 0; i < 35_000; i++) {
    if (i % 700 === 350) yield `not-a-number-${i};x\n`;
    else if (i % 1_000 === 999 && i >= 15_000)
      yield `+3361${String(i - 15_000).padStart(7, "0")};again${i}\n`;
    else if (i % 3_000 === 1_500) yield `+3361${String(i - 1).padStart(7, "0")};twice${i}\n`;
    else yield `+3361${String(i).padStart(7, "0")};name${i}\n`;
  }
}

async function queuedImport(client: Salvo) {
  const listId = (await client.contactLists.create({ name: "Resumed" })).body.data.id;
  const created = await client.contactLists.imports.create(listId, Readable.from(bigFile()));
  return { listId, importId: created.body.data.id };
}

async function outcome(client: Salvo, listId: string, importId: string) {
  const { attributes } = (await client.contactLists.imports.get(listId, importId)).body.data;
  const contacts = await t.query<{ number: string; fields: Record<string, string> }>(
    "SELECT number, fields FROM contacts WHERE list_id = $1 ORDER BY number",
    [listId],
  );
  const list = (await client.contactLists.get(listId)).body.data.attributes;
  return {
    counts: {
      status: attributes.status,
      rows: attributes.rows,
      added: attributes.added,
      updated: attributes.updated,
      invalid: attributes.invalid,
      duplicates: attributes.duplicates,
    },
    invalidRows: attributes.invalid_rows,
    contacts,
    contactCount: list.contact_count,
  };
}

describe("the import processor", () => {
  it("resumes an interrupted import from its checkpoint: nothing lost, nothing counted twice", async () => {
    const { client } = await t.newAccount(FAST);

    const whole = await queuedImport(client);
    await importContacts(deps(t.store), whole.importId);
    const expected = await outcome(client, whole.listId, whole.importId);
    // 50 invalid; 27 repeats (of an earlier slice's number or of the row before's, when that one was a number).
    expect(expected.counts).toEqual({
      status: "completed",
      rows: 35_000,
      added: 35_000 - 50 - 27,
      updated: 0,
      invalid: 50,
      duplicates: 27,
    });
    expect(expected.contactCount).toBe(expected.contacts.length);

    const cut = await queuedImport(client);
    // The third slice's transaction never commits: the worker is killed there.
    let slices = 0;
    const killed: Store = {
      ...t.store,
      contactImports: {
        ...t.store.contactImports,
        importSlice: async (...args) => {
          if (++slices === 3) throw new Error("killed");
          return t.store.contactImports.importSlice(...args);
        },
      },
    };
    await expect(importContacts(deps(killed), cut.importId)).rejects.toThrow("killed");
    const halfway = (await client.contactLists.imports.get(cut.listId, cut.importId)).body.data.attributes;
    expect(halfway).toMatchObject({ status: "running", rows: 20_000 });
    expect(halfway.added + halfway.invalid + halfway.duplicates).toBe(20_000);

    await importContacts(deps(t.store), cut.importId);
    const resumed = await outcome(client, cut.listId, cut.importId);
    expect(resumed).toEqual(expected);
    expect(await t.count("contact_import_parts", { import_id: cut.importId })).toBe(0);

    // A job run again once the import is done changes nothing.
    await importContacts(deps(t.store), cut.importId);
    expect(await outcome(client, cut.listId, cut.importId)).toEqual(expected);
  });

  it("fails an import of more rows than the limit, keeping the rows within it", async () => {
    const { client } = await t.newAccount(FAST);
    const listId = (await client.contactLists.create({ name: "Long" })).body.data.id;
    const csv = "phone\n0612345678\n\n0612345679\n0612345680\n";
    const { id } = (await client.contactLists.imports.create(listId, csv)).body.data;
    await importContacts({ ...deps(t.store), maxRows: 2 }, id);
    const { attributes } = (await client.contactLists.imports.get(listId, id)).body.data;
    expect(attributes).toMatchObject({
      status: "failed",
      rows: 2,
      added: 2,
      failure_reason: "The file has more than 2 rows: the first 2 were imported.",
    });
  });

  it("fails an import whose file is not CSV, saying where, keeping the rows before", async () => {
    const { client } = await t.newAccount(FAST);
    const listId = (await client.contactLists.create({ name: "Broken" })).body.data.id;
    const csv = 'phone,name\n0612345678,Ana\n0612345679,"Bob\n';
    const { id } = (await client.contactLists.imports.create(listId, csv)).body.data;
    await importContacts(deps(t.store), id);
    const { attributes } = (await client.contactLists.imports.get(listId, id)).body.data;
    expect(attributes).toMatchObject({ status: "failed", rows: 1, added: 1 });
    expect(attributes.failure_reason).toMatch(/cannot be read as CSV from line 3 \(CSV_QUOTE_NOT_CLOSED\)/);
    expect(attributes.finished_at).not.toBeNull();
    expect(await t.count("contact_import_parts", { import_id: id })).toBe(0);
  });
});
