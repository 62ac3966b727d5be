import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  ACCOUNT_COLUMNS,
  ADMIN_TOKEN_COLUMNS,
  API_TOKEN_COLUMNS,
  BATCH_COLUMNS,
  CONTACT_COLUMNS,
  CONTACT_IMPORT_COLUMNS,
  CONTACT_LIST_COLUMNS,
  MESSAGE_COLUMNS,
  SENDER_COLUMNS,
} from "../src/rows";
import { createTestDatabase } from "../src/testing";

let testDb: Awaited<ReturnType<typeof createTestDatabase>>;

beforeAll(async () => {
  testDb = await createTestDatabase();
});

afterAll(async () => {
  await testDb?.drop();
});

// The row types are written by hand beside the schema: a column added to (or
// dropped from) prisma/schema.prisma and its migration fails here until the type
// that reads the table follows.
describe.each([
  ["accounts", ACCOUNT_COLUMNS],
  ["api_tokens", API_TOKEN_COLUMNS],
  ["admin_tokens", ADMIN_TOKEN_COLUMNS],
  ["batches", BATCH_COLUMNS],
  ["messages", MESSAGE_COLUMNS],
  ["senders", SENDER_COLUMNS],
  ["contact_lists", CONTACT_LIST_COLUMNS],
  ["contacts", CONTACT_COLUMNS],
  ["contact_imports", CONTACT_IMPORT_COLUMNS],
])("the row type of %s", (table, columns) => {
  it("names every column of the migrated table, and no other", async () => {
    const rows = await testDb.query<{ column_name: string }>(
      "SELECT column_name FROM information_schema.columns WHERE table_schema = 'public' AND table_name = $1",
      [table],
    );
    const named = Object.values(columns).map((column) => column.replaceAll('"', ""));
    expect(named.sort()).toEqual(rows.map((row) => row.column_name).sort());
  });
});
