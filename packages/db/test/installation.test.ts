import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { findInstallation } from "../src/installation";
import { createTestDatabase } from "../src/testing";

let first: Awaited<ReturnType<typeof createTestDatabase>>;
let second: Awaited<ReturnType<typeof createTestDatabase>>;

beforeAll(async () => {
  [first, second] = await Promise.all([createTestDatabase(), createTestDatabase()]);
});

afterAll(async () => {
  await Promise.all([first?.drop(), second?.drop()]);
});

describe("findInstallation", () => {
  it("names the installation by its migrations' id and its database, the same every time", async () => {
    const name = await findInstallation(first.sql);
    const database = new URL(first.url).pathname.slice(1);
    expect(name).toMatch(new RegExp(`^database ${database}, installation [0-9a-f-]{36}$`));
    expect(await findInstallation(first.sql)).toBe(name);
  });

  it("tells two copies of one database apart", async () => {
    // Test databases are copies of one migrated template: same id, other names.
    expect(await findInstallation(second.sql)).not.toBe(await findInstallation(first.sql));
  });

  it("makes its row again when it was deleted, and keeps it", async () => {
    const before = await findInstallation(second.sql);
    await second.sql.query("DELETE FROM installation");
    const after = await findInstallation(second.sql);
    expect(after).not.toBe(before);
    expect(await findInstallation(second.sql)).toBe(after);
    expect((await second.sql.query("SELECT count(*)::int AS n FROM installation")).rows[0].n).toBe(1);
  });
});
