// Event bodies get their message ids from SQL: the expression must build what
// `messageId` builds, and what `parseMessageId` reads back.
import { messageId, messageIdSql, newId, parseMessageId } from "@salvo/core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createSql, type Sql } from "../src/sql";
import { testServerUrl } from "../src/testing";

let sql: Sql;
beforeAll(() => {
  sql = createSql(testServerUrl, { poolSize: 1, name: "salvo-test-message-id" });
});
afterAll(() => sql?.end());

describe("messageIdSql", () => {
  it.each([0, 7, 999, 1_234_567])("builds messageId's id for position %i", async (index) => {
    const batchId = newId("bat");
    const { rows } = await sql.query<{ id: string }>(`SELECT ${messageIdSql("$1::text", "$2::int")} AS id`, [
      batchId,
      index,
    ]);
    expect(rows[0]?.id).toBe(messageId(batchId, index));
    expect(parseMessageId(rows[0]?.id as string)).toEqual({ batchId, index });
  });
});
