import { splitApiToken } from "@salvo/core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Store } from "../src/store";
import { createStore } from "../src/store";
import { createTestDatabase } from "../src/testing";

let testDb: Awaited<ReturnType<typeof createTestDatabase>>;
let store: Store;

beforeAll(async () => {
  testDb = await createTestDatabase();
  store = testDb.store;
});

afterAll(async () => {
  await testDb?.drop();
});

describe("transaction", () => {
  it("commits every repository's writes together when it returns", async () => {
    const { account } = await store.accounts.create({ name: "Committed" });
    await store.transaction(async (tx) => {
      await tx.accounts.update(account.id, { addCredits: 10 });
      await tx.numberLists.add("blacklist", account.id, ["+33612345678"]);
    });
    expect((await store.accounts.find(account.id))?.credits).toBe(10);
    expect((await store.numberLists.list("blacklist", account.id, 1)).entries).toHaveLength(1);
  });

  it("undoes them all when it throws, and throws what it threw", async () => {
    const { account } = await store.accounts.create({ name: "Rolled back" });
    const failure = new Error("after the writes");
    await expect(
      store.transaction(async (tx) => {
        await tx.accounts.update(account.id, { addCredits: 10 });
        await tx.tokens.create(account.id, "in the transaction");
        expect((await tx.accounts.find(account.id))?.credits).toBe(10);
        throw failure;
      }),
    ).rejects.toBe(failure);
    expect((await store.accounts.find(account.id))?.credits).toBe(0);
    expect((await store.tokens.list(account.id, 1)).tokens).toHaveLength(1);
  });
});

describe("close", () => {
  it("waits for the writes nobody awaits (a token's last use) before closing the pool", async () => {
    const own = createStore(testDb.url, { poolSize: 1 });
    const { token } = await own.accounts.create({ name: "Closing" });
    const { id, secret } = splitApiToken(token) ?? { id: "", secret: "" };
    expect(await own.tokens.authenticate(id, secret)).not.toBeNull();
    await own.close();
    const [row] = await testDb.query<{ last_used_at: Date | null }>(
      "SELECT last_used_at FROM api_tokens WHERE id = $1",
      [id],
    );
    expect(row?.last_used_at).toBeInstanceOf(Date);
    await expect(own.ping()).rejects.toThrow();
  });
});
