import { afterAll, beforeAll, describe, expect, it } from "vitest";
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
    const name = await first.store.installation.find();
    const database = new URL(first.url).pathname.slice(1);
    expect(name).toMatch(new RegExp(`^database ${database}, installation [0-9a-f-]{36}$`));
    expect(await first.store.installation.find()).toBe(name);
  });

  it("tells two copies of one database apart", async () => {
    // Test databases are copies of one migrated template: same id, other names.
    expect(await second.store.installation.find()).not.toBe(await first.store.installation.find());
  });

  it("makes its row again when it was deleted, and keeps it", async () => {
    const before = await second.store.installation.find();
    await second.query("DELETE FROM installation");
    const after = await second.store.installation.find();
    expect(after).not.toBe(before);
    expect(await second.store.installation.find()).toBe(after);
    expect(await second.query("SELECT count(*)::int AS n FROM installation")).toEqual([{ n: 1 }]);
  });
});
