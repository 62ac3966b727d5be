import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createAccount } from "../src/accounts";
import { recordEvents } from "../src/outbox";
import { createSql, type Sql } from "../src/sql";
import { createTestDatabase } from "../src/testing";
import { purgeSettledWebhookEvents } from "../src/webhooks";

let testDb: Awaited<ReturnType<typeof createTestDatabase>>;
let sql: Sql;

beforeAll(async () => {
  testDb = await createTestDatabase();
  sql = createSql(testDb.url, { poolSize: 3, name: "salvo-test-db" });
});

afterAll(async () => {
  await sql?.end();
  await testDb?.drop();
});

describe("purgeSettledWebhookEvents", () => {
  it("deletes delivered and failed events past the retention, with their attempts, and keeps the rest", async () => {
    const { account } = await createAccount(sql, { name: "retention", credits: 0 });
    await sql.query(
      "INSERT INTO webhooks (id, account_id, url, events, secret) VALUES ('whk_retention', $1, 'https://example.com/', '{mo}', 'whsec_x')",
      [account.id],
    );
    const ids = await recordEvents(
      sql,
      account.id,
      "mo",
      Array.from({ length: 5 }, (_, i) => ({ n: i })),
    );
    // [state, days since its last attempt was due]
    const cases: [string, number][] = [
      ["delivered", 31], // purged
      ["failed", 40], // purged
      ["delivered", 29], // within the retention
      ["pending", 45], // never purged while it may still be delivered
      ["failed", 1],
    ];
    for (const [i, [state, days]] of cases.entries()) {
      await sql.query(
        `UPDATE webhook_events SET state = $2, next_attempt_at = now() - make_interval(days => $3) WHERE id = $1`,
        [ids[i], state, days],
      );
      await sql.query(
        "INSERT INTO webhook_attempts (event_id, webhook_id, status_code, duration_ms, response_body) VALUES ($1, 'whk_retention', 200, 5, 'ok')",
        [ids[i]],
      );
    }

    expect(await purgeSettledWebhookEvents(sql, 30)).toBe(2);
    expect(await purgeSettledWebhookEvents(sql, 30)).toBe(0);
    const { rows: events } = await sql.query("SELECT id FROM webhook_events ORDER BY id");
    expect(events.map((e) => e.id).sort()).toEqual([ids[2], ids[3], ids[4]].sort());
    const { rows: attempts } = await sql.query("SELECT event_id FROM webhook_attempts");
    expect(attempts.map((a) => a.event_id).sort()).toEqual([ids[2], ids[3], ids[4]].sort());
  });
});
