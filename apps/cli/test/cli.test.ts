import { randomBytes } from "node:crypto";
import { splitApiToken } from "@salvo/core";
import { createTestDatabase } from "@salvo/db/testing";
import { createSecretBox, generateWebhookSecret } from "@salvo/webhooks";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Run, runSalvo } from "./run-salvo";

let testDb: Awaited<ReturnType<typeof createTestDatabase>>;

beforeAll(async () => {
  testDb = await createTestDatabase();
});

afterAll(async () => {
  await testDb?.drop();
});

/** Runs the real `salvo` command against the test database. */
function salvo(...args: string[]): Promise<Run> {
  return salvoWith({}, ...args);
}

/** `salvo` with more environment variables. */
function salvoWith(env: Record<string, string>, ...args: string[]): Promise<Run> {
  return runSalvo({ DATABASE_URL: testDb.url, ...env }, ...args);
}

/** Runs a command that must succeed and returns what it printed as JSON. */
async function salvoJson(...args: string[]): Promise<Record<string, unknown>> {
  const run = await salvo(...args);
  expect(run.stderr).toBe("");
  expect(run.code).toBe(0);
  return JSON.parse(run.stdout);
}

/** `salvo accounts create --json`: the new account's id and its first token. */
async function createAccount(name: string, ...options: string[]) {
  const { account_id: id, token } = await salvoJson(
    "accounts",
    "create",
    "--name",
    name,
    ...options,
    "--json",
  );
  return { id: String(id), token: String(token) };
}

async function authenticate(token: string) {
  const parts = splitApiToken(token);
  if (!parts) throw new Error(`not a token: ${token}`);
  return testDb.store.tokens.authenticate(parts.id, parts.secret);
}

/** Every row the admin commands can touch, to prove a failed command changed nothing. */
async function everything() {
  const accounts = await testDb.query("SELECT * FROM accounts ORDER BY id");
  // last_used_at is written in the background by authentication, not by the CLI.
  const tokens = await testDb.query(
    "SELECT id, account_id, label, secret_hash, created_at, revoked_at FROM api_tokens ORDER BY id",
  );
  return { accounts, tokens };
}

describe("salvo accounts create", () => {
  it("prints exactly one JSON object with the account id and a working token", async () => {
    const run = await salvo("accounts", "create", "--name", "X", "--credits", "5", "--json");
    expect(run.code).toBe(0);
    expect(run.stderr).toBe("");
    const printed = JSON.parse(run.stdout);
    expect(Object.keys(printed).sort()).toEqual(["account_id", "token"]);
    expect(printed.account_id).toMatch(/^acc_/);

    const account = await testDb.store.accounts.find(printed.account_id);
    expect(account).toMatchObject({ name: "X", credits: 5, apiRateLimit: 15, defaultCountry: "FR" });
    expect((await authenticate(printed.token))?.id).toBe(printed.account_id);
  });
});

describe("salvo tokens", () => {
  it("creates a token that works and revokes it so it no longer does", async () => {
    const { id: accountId, token: firstToken } = await createAccount("Tokens");
    const created = await salvoJson("tokens", "create", "--account", accountId, "--json");
    expect(created).toMatchObject({ account_id: accountId });
    expect(String(created.token).startsWith(`${created.token_id}.`)).toBe(true);
    expect((await authenticate(String(created.token)))?.id).toBe(accountId);

    const revoked = await salvoJson("tokens", "revoke", String(created.token_id), "--json");
    expect(revoked).toMatchObject({ id: created.token_id, account_id: accountId });
    expect(revoked.revoked_at).toEqual(expect.any(String));
    expect(await authenticate(String(created.token))).toBeNull();
    // The account's other token is untouched.
    expect((await authenticate(firstToken))?.id).toBe(accountId);
  });

  it("limits a token to addresses with --allow-ip (repeatable), stored canonical and listed", async () => {
    const { id: accountId } = await createAccount("Limited");
    const created = await salvoJson(
      "tokens",
      "create",
      "--account",
      accountId,
      "--allow-ip",
      "203.0.113.0/24",
      "--allow-ip",
      "2001:DB8::7",
      "--json",
    );
    expect(created.allowed_ips).toEqual(["203.0.113.0/24", "2001:db8::7"]);
    const listed = (await salvoJson("tokens", "list", "--account", accountId, "--json")) as unknown as {
      id: string;
      allowed_ips: string[] | null;
    }[];
    expect(listed.find((token) => token.id === created.token_id)?.allowed_ips).toEqual([
      "203.0.113.0/24",
      "2001:db8::7",
    ]);
  });
});

describe("salvo accounts list and show: sub-accounts", () => {
  it("show each account's parent, a parent's sub-accounts, and list one parent's only", async () => {
    const { id: parentId } = await createAccount("Reseller", "--credits", "100");
    const first = await testDb.store.subAccounts.create(parentId, { name: "Shop A", credits: 10 });
    const second = await testDb.store.subAccounts.create(parentId, { name: "Shop B", credits: 20 });

    const listed = await salvoJson("accounts", "list", "--parent", parentId, "--json");
    expect(listed).toMatchObject([
      { id: second.id, parent_id: parentId, credits: 20 },
      { id: first.id, parent_id: parentId, credits: 10 },
    ]);
    const all = (await salvoJson("accounts", "list", "--json")) as unknown as {
      id: string;
      parent_id: string | null;
    }[];
    expect(all.find((row) => row.id === parentId)?.parent_id).toBeNull();
    expect(all.find((row) => row.id === first.id)?.parent_id).toBe(parentId);

    expect(await salvoJson("accounts", "show", parentId, "--json")).toMatchObject({
      parent_id: null,
      credits: 70,
      sub_accounts: [second.id, first.id],
    });
    const shown = await salvo("accounts", "show", first.id);
    expect(shown.stdout).toMatch(new RegExp(`^parent_id\\s+${parentId}$`, "m"));
    expect(shown.stdout).toMatch(/^sub_accounts\s+-$/m);
  });
});

describe("salvo accounts update", () => {
  it("changes the limits and adds credits", async () => {
    const { id } = await createAccount("Up", "--credits", "5");
    const run = await salvo("accounts", "update", id, "--api-rate-limit", "3", "--add-credits", "10");
    expect(run.stderr).toBe("");
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^api_rate_limit\s+3$/m);
    const account = await testDb.store.accounts.find(id);
    expect(account).toMatchObject({ credits: 15, apiRateLimit: 3, name: "Up" });
  });

  it("sets and clears balance alerts, and refuses thresholds the API would", async () => {
    const { id } = await createAccount("Alerts", "--credits", "5");
    // Alerts by SMS too, as the account sets them (PUT /v1/account/balance-alerts).
    await testDb.store.accounts.setBalanceAlerts(id, [], { bySms: true, phone: "+33612345678" });
    const run = await salvo("accounts", "update", id, "--balance-alerts", "100,500");
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^balance_alerts\s+500,100$/m);
    // The channels besides webhooks, never their address or number.
    expect(run.stdout).toMatch(/^balance_alerts_also\s+sms$/m);
    expect(run.stdout).not.toContain("33612345678");
    expect((await testDb.store.accounts.find(id))?.balanceAlerts).toEqual([500, 100]);
    for (const bad of ["-1", "1.5", "5,5", "a", Array.from({ length: 11 }, (_, i) => i).join(",")]) {
      const refused = await salvo("accounts", "update", id, `--balance-alerts=${bad}`);
      expect(refused.code).toBe(1);
      expect(refused.stderr).toMatch(/balance-alerts/);
    }
    await salvo("accounts", "update", id, "--balance-alerts", "none");
    expect((await testDb.store.accounts.find(id))?.balanceAlerts).toEqual([]);
  });

  it("sets the marketing rules (time zone, sending hours, opt-out mention) and puts them back to default", async () => {
    const { id } = await createAccount("Hours");
    const run = await salvo(
      "accounts",
      "update",
      id,
      "--timezone",
      "America/New_York",
      "--sending-hours",
      "1-5 09:00-12:00; 6 10:00-11:30",
      "--holidays",
      "none",
      "--opt-out-mention",
      "STOP au 36180",
    );
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^time_zone\s+America\/New_York$/m);
    expect(run.stdout).toMatch(/^opt_out_mention\s+STOP au 36180$/m);
    expect(await testDb.store.accounts.find(id)).toMatchObject({
      timezone: "America/New_York",
      sendingHours: {
        windows: [
          { days: [1, 2, 3, 4, 5], from: "09:00", to: "12:00" },
          { days: [6], from: "10:00", to: "11:30" },
        ],
        holidays: "none",
      },
      optOutMention: "STOP au 36180",
    });
    // --holidays alone keeps France's windows; "none" is no mention.
    await salvo("accounts", "update", id, "--holidays", "FR", "--opt-out-mention", "none");
    expect(await testDb.store.accounts.find(id)).toMatchObject({
      sendingHours: { windows: [{ days: [1, 2, 3, 4, 5, 6], from: "08:00", to: "20:00" }], holidays: "FR" },
      optOutMention: "",
    });
    for (const [option, bad] of [
      ["--timezone", "Mars/Olympus"],
      ["--sending-hours", "1-5 20:00-08:00"],
      ["--sending-hours", "8 09:00-10:00"],
      ["--holidays", "US"],
      ["--opt-out-mention", "x".repeat(61)],
    ]) {
      const refused = await salvo("accounts", "update", id, `${option}=${bad}`);
      expect(refused.code).toBe(1);
      expect(refused.stderr).toContain(option as string);
    }
    const reset = await salvo(
      "accounts",
      "update",
      id,
      "--timezone=default",
      "--sending-hours=default",
      "--opt-out-mention=default",
    );
    expect(reset.stderr).toBe("");
    expect(await testDb.store.accounts.find(id)).toMatchObject({
      timezone: null,
      sendingHours: null,
      optOutMention: null,
    });
  });

  it("refuses to take the balance below 0, naming it, and changes nothing", async () => {
    const { id } = await createAccount("Low", "--credits", "5");
    const run = await salvo("accounts", "update", id, "--add-credits", "-6", "--api-rate-limit", "3");
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(
      /INVALID_PARAMETER: adding -6 credits would take the balance \(5\) out of range/,
    );
    const account = await testDb.store.accounts.find(id);
    expect(account).toMatchObject({ credits: 5, apiRateLimit: 15 });
  });
});

describe("salvo accounts update: countries", () => {
  it("sets the allowed countries and monthly limits, shows them with this month's usage, and gives back the defaults", async () => {
    const { id } = await createAccount("Countries");
    let shown = await salvoJson(
      "accounts",
      "update",
      id,
      "--allowed-countries",
      "fr,BE,ES",
      "--country-limit",
      "BE=1000",
      "--country-limit",
      "es=5",
      "--json",
    );
    expect(shown).toMatchObject({
      allowed_countries: "BE,ES,FR",
      country_limits: "BE=1000,ES=5",
      countries_in_effect: {
        allowed_countries: ["BE", "ES", "FR"],
        allowed_countries_from: "account",
        monthly_limits: { BE: 1000, ES: 5 },
        usage: { BE: 0, ES: 0 },
      },
    });
    expect(await testDb.store.accounts.find(id)).toMatchObject({
      allowedCountries: ["BE", "ES", "FR"],
      countryLimits: { BE: 1000, ES: 5 },
    });
    // One limit removed, the others kept.
    shown = await salvoJson("accounts", "update", id, "--country-limit", "ES=none", "--json");
    expect(shown).toMatchObject({ country_limits: "BE=1000" });
    const text = await salvo("accounts", "show", id);
    expect(text.stdout).toMatch(/^allowed_countries_in_effect\s+BE,ES,FR \(account\)$/m);
    expect(text.stdout).toMatch(/^country_limits_in_effect\s+BE=1000 \(account\)$/m);
    expect(text.stdout).toMatch(/^country_usage_\d{4}-\d{2}\s+BE=0\/1000$/m);

    shown = await salvoJson(
      "accounts",
      "update",
      id,
      "--allowed-countries",
      "default",
      "--country-limits",
      "default",
      // Commander keeps "" for an option parsed to null: "default" must still store null.
      "--require-registered-sender",
      "default",
      "--json",
    );
    expect(shown).toMatchObject({
      require_registered_sender: "default",
      allowed_countries: "default",
      country_limits: "default",
      countries_in_effect: {
        allowed_countries: ["BL", "FR", "GF", "GP", "MF", "MQ", "RE", "YT"],
        allowed_countries_from: "default",
        monthly_limits: {},
      },
    });
  });

  it("gives a sub-account its parent's settings until it has its own", async () => {
    const { id: parent } = await createAccount("Parent", "--credits", "10");
    const sub = await testDb.store.subAccounts.create(parent, { name: "Sub", credits: 5 });
    await salvo("accounts", "update", parent, "--allowed-countries", "BE,FR", "--country-limit", "BE=10");
    expect(await salvoJson("accounts", "show", sub.id, "--json")).toMatchObject({
      allowed_countries: "default",
      countries_in_effect: {
        allowed_countries: ["BE", "FR"],
        allowed_countries_from: "parent",
        monthly_limits: { BE: 10 },
        monthly_limits_from: "parent",
      },
    });
    // A limit added to a sub-account starts from its parent's.
    expect(await salvoJson("accounts", "update", sub.id, "--country-limit", "ES=3", "--json")).toMatchObject({
      country_limits: "BE=10,ES=3",
    });
  });

  it.each([
    [["--allowed-countries", "FR,XX"], /XX: expected an ISO 3166 alpha-2 country code/],
    [["--allowed-countries", ""], /--allowed-countries <list>' argument '' is invalid/],
    [["--country-limit", "XX=5"], /expected COUNTRY=MESSAGES or COUNTRY=none/],
    [["--country-limit", "BE=-1"], /expected COUNTRY=MESSAGES or COUNTRY=none/],
    [["--country-limit", "BE=3000000000"], /expected COUNTRY=MESSAGES or COUNTRY=none/],
    [["--country-limits", "all"], /expected default or none/],
  ])("refuses %j and changes nothing", async (options, message) => {
    const { id } = (await testDb.store.accounts.create({ name: "Bad countries" })).account;
    const run = await salvo("accounts", "update", id, ...options);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(message);
    expect(await testDb.store.accounts.find(id)).toMatchObject({
      allowedCountries: null,
      countryLimits: null,
    });
  });
});

describe("bad input", () => {
  let accountId = "";

  beforeAll(async () => {
    accountId = (await createAccount("Bad input")).id;
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
      "a token limited to something that is not an address",
      ["tokens", "create", "--account", "acc_01JD3K5ZQ8XH7M2N4P6R9T0VWY", "--allow-ip", "10.0.0.0/33"],
      /"10.0.0.0\/33" is not an IPv4 or IPv6 address or CIDR range/,
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

describe("salvo webhooks seal-secrets", () => {
  it("seals secrets stored before keys were set, re-seals them after a rotation, and changes nothing twice", async () => {
    const { account } = await testDb.store.accounts.create({ name: "Sealing" });
    const secret = generateWebhookSecret();
    await testDb.query(
      "INSERT INTO webhooks (id, account_id, url, events, secret) VALUES ('whk_seal', $1, 'https://example.com/', '{mo}', $2)",
      [account.id, secret],
    );
    const stored = async () =>
      (await testDb.query<{ secret: string }>("SELECT secret FROM webhooks WHERE id = 'whk_seal'"))[0]
        ?.secret as string;
    const [older, newer] = [randomBytes(32), randomBytes(32)];
    const keys = (...list: Buffer[]) => ({
      WEBHOOK_SECRET_KEYS: list.map((k) => k.toString("base64")).join(","),
    });
    const seal = async (env: Record<string, string>) => {
      const run = await salvoWith(env, "webhooks", "seal-secrets", "--json");
      expect([run.code, run.stderr]).toEqual([0, ""]);
      return JSON.parse(run.stdout).resealed as number;
    };

    expect(await seal(keys(older))).toBeGreaterThanOrEqual(1);
    const sealed = await stored();
    expect(sealed).toMatch(/^sealed:v1:/);
    expect(createSecretBox([older]).open(sealed, "whk_seal")).toBe(secret);
    expect(await seal(keys(older))).toBe(0);

    // A rotation: the new key first, the old one still listed to open.
    expect(await seal(keys(newer, older))).toBeGreaterThanOrEqual(1);
    expect(createSecretBox([newer]).open(await stored(), "whk_seal")).toBe(secret);
    expect(await seal(keys(newer))).toBe(0);
  });

  it("refuses to run without WEBHOOK_SECRET_KEYS, changing nothing", async () => {
    const before = await testDb.query("SELECT id, secret FROM webhooks ORDER BY id");
    const run = await salvoWith({ WEBHOOK_SECRET_KEYS: "" }, "webhooks", "seal-secrets");
    expect(run.code).toBe(1);
    expect(run.stderr).toContain("WEBHOOK_SECRET_KEYS is not set");
    expect(await testDb.query("SELECT id, secret FROM webhooks ORDER BY id")).toEqual(before);
  });
});
