import { spawn } from "node:child_process";
import path from "node:path";
import { splitApiToken } from "@salvo/core";
import { authenticateToken } from "@salvo/db";
import { createTestDatabase } from "@salvo/db/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const bin = path.join(import.meta.dirname, "../bin/salvo.mjs");

let testDb: Awaited<ReturnType<typeof createTestDatabase>>;

beforeAll(async () => {
  testDb = await createTestDatabase();
});

afterAll(async () => {
  await testDb?.drop();
});

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs the real `salvo` command against the test database. */
function salvo(...args: string[]): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [bin, ...args], {
      env: { ...process.env, DATABASE_URL: testDb.url },
      stdio: ["ignore", "pipe", "pipe"],
      timeout: 20_000,
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk: Buffer) => {
      stdout += chunk.toString();
    });
    child.stderr.on("data", (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, stdout, stderr }));
  });
}

/** Runs a command that must succeed and returns what it printed as JSON. */
async function salvoJson(...args: string[]): Promise<Record<string, unknown>> {
  const run = await salvo(...args);
  expect(run.stderr).toBe("");
  expect(run.code).toBe(0);
  return JSON.parse(run.stdout);
}

async function authenticate(token: string) {
  const parts = splitApiToken(token);
  if (!parts) throw new Error(`not a token: ${token}`);
  return authenticateToken(testDb.db, parts.id, parts.secret);
}

/** Every row the admin commands can touch, to prove a failed command changed nothing. */
async function everything() {
  const accounts = await testDb.db.account.findMany({ orderBy: { id: "asc" } });
  const tokens = await testDb.db.apiToken.findMany({ orderBy: { id: "asc" } });
  // last_used_at is written in the background by authentication, not by the CLI.
  return { accounts, tokens: tokens.map(({ lastUsedAt: _, ...token }) => token) };
}

describe("salvo accounts create", () => {
  it("prints exactly one JSON object with the account id and a working token", async () => {
    const run = await salvo("accounts", "create", "--name", "X", "--credits", "5", "--json");
    expect(run.code).toBe(0);
    expect(run.stderr).toBe("");
    const printed = JSON.parse(run.stdout);
    expect(Object.keys(printed).sort()).toEqual(["account_id", "token"]);
    expect(printed.account_id).toMatch(/^acc_/);

    const account = await testDb.db.account.findUniqueOrThrow({ where: { id: printed.account_id } });
    expect(account).toMatchObject({ name: "X", credits: 5, apiRateLimit: 15, defaultCountry: "FR" });
    expect((await authenticate(printed.token))?.id).toBe(account.id);
  });
});

describe("salvo tokens", () => {
  it("creates a token that works and revokes it so it no longer does", async () => {
    const { account_id: accountId, token: firstToken } = await salvoJson(
      "accounts",
      "create",
      "--name",
      "Tokens",
      "--json",
    );
    const created = await salvoJson("tokens", "create", "--account", String(accountId), "--json");
    expect(created).toMatchObject({ account_id: accountId });
    expect(String(created.token).startsWith(`${created.token_id}.`)).toBe(true);
    expect((await authenticate(String(created.token)))?.id).toBe(accountId);

    const revoked = await salvoJson("tokens", "revoke", String(created.token_id), "--json");
    expect(revoked).toMatchObject({ id: created.token_id, account_id: accountId });
    expect(revoked.revoked_at).toEqual(expect.any(String));
    expect(await authenticate(String(created.token))).toBeNull();
    // The account's other token is untouched.
    expect((await authenticate(String(firstToken)))?.id).toBe(accountId);
  });
});

describe("salvo accounts update", () => {
  it("changes the limits and adds credits", async () => {
    const { account_id: id } = await salvoJson(
      "accounts",
      "create",
      "--name",
      "Up",
      "--credits",
      "5",
      "--json",
    );
    const run = await salvo("accounts", "update", String(id), "--api-rate-limit", "3", "--add-credits", "10");
    expect(run.stderr).toBe("");
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^api_rate_limit\s+3$/m);
    const account = await testDb.db.account.findUniqueOrThrow({ where: { id: String(id) } });
    expect(account).toMatchObject({ credits: 15, apiRateLimit: 3, name: "Up" });
  });
});

describe("bad input", () => {
  let accountId = "";

  beforeAll(async () => {
    accountId = String((await salvoJson("accounts", "create", "--name", "Bad input", "--json")).account_id);
  });

  it.each([
    [
      "a negative credit",
      ["accounts", "create", "--name", "Y", "--credits", "-1"],
      /--credits <n>' argument '-1' is invalid/,
    ],
    [
      "credits that are not a number",
      ["accounts", "create", "--name", "Y", "--credits", "abc"],
      /--credits <n>' argument 'abc' is invalid/,
    ],
    [
      "credits too large for the database",
      ["accounts", "create", "--name", "Y", "--credits", "3000000000"],
      /expected a whole number from 0 to 2147483647/,
    ],
    [
      "an account without a name",
      ["accounts", "create", "--credits", "5"],
      /required option '--name <name>'/,
    ],
    [
      "a token for an unknown account",
      ["tokens", "create", "--account", "acc_01JD3K5ZQ8XH7M2N4P6R9T0VWY"],
      /NOT_FOUND: No account acc_01JD3K5ZQ8XH7M2N4P6R9T0VWY/,
    ],
    [
      "revoking an unknown token",
      ["tokens", "revoke", "tok_01JD3K5ZQ8XH7M2N4P6R9T0VWY"],
      /NOT_FOUND: No token/,
    ],
    [
      "updating an unknown account",
      ["accounts", "update", "acc_01JD3K5ZQ8XH7M2N4P6R9T0VWY", "--add-credits", "10"],
      /NOT_FOUND: No account/,
    ],
    ["an unknown command", ["frobnicate"], /unknown command 'frobnicate'/],
  ])("rejects %s with a message on stderr and changes nothing", async (_, args, message) => {
    const before = await everything();
    const run = await salvo(...args);
    expect(run.code).not.toBe(0);
    expect(run.stderr).toMatch(message);
    expect(run.stdout).toBe("");
    expect(await everything()).toEqual(before);
  });

  it("rejects setting and adding credits at once, changing nothing", async () => {
    const before = await everything();
    const run = await salvo("accounts", "update", accountId, "--credits", "1", "--add-credits", "1");
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/use --credits or --add-credits, not both/);
    expect(await everything()).toEqual(before);
  });
});
