import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { arrayLiteral, createSql, type Sql } from "../src/sql";
import { createTestDatabase } from "../src/testing";

let testDb: Awaited<ReturnType<typeof createTestDatabase>>;
let pool: Sql;

beforeAll(async () => {
  testDb = await createTestDatabase();
  pool = createSql(testDb.url, { poolSize: 1, name: "salvo-test-idle" });
});

afterAll(async () => {
  await pool?.end();
  await testDb?.drop();
});

describe("createSql", () => {
  it("survives PostgreSQL closing an idle connection (a restart), and connects anew", async () => {
    const { rows } = await pool.query<{ pid: number }>("SELECT pg_backend_pid() AS pid");
    expect(pool.idleCount).toBe(1);
    // What a PostgreSQL restart does to every idle connection. Unheard, the pool's
    // "error" event would be an uncaught exception, ending this process.
    await testDb.query("SELECT pg_terminate_backend($1)", [rows[0]?.pid]);
    const deadline = Date.now() + 5_000;
    while (pool.idleCount > 0) {
      if (Date.now() > deadline) throw new Error("the pool kept its dead connection");
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    const again = await pool.query<{ pid: number }>("SELECT pg_backend_pid() AS pid");
    expect(again.rows[0]?.pid).not.toBe(rows[0]?.pid);
  });
});

describe("arrayLiteral", () => {
  it("reads back in PostgreSQL as the array it was made from, quotes, backslashes and nulls included", async () => {
    const texts = [
      "+33612345678",
      'a "quoted" word',
      "back\\slash\\",
      "NULL",
      "",
      " spaced ",
      "{,}",
      "é€😀",
      null,
    ];
    const ints = [0, -7, 2_147_483_647, null];
    const { rows } = await pool.query<{ texts: (string | null)[]; ints: (number | null)[]; empty: string[] }>(
      "SELECT $1::text[] AS texts, $2::int[] AS ints, $3::text[] AS empty",
      [arrayLiteral(texts), arrayLiteral(ints), arrayLiteral([])],
    );
    expect(rows[0]).toEqual({ texts, ints, empty: [] });
  });
});
