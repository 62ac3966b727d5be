import { balanceAlerts, type ModerationOverrides, moderationOverrides, NotFoundError } from "@salvo/core";
import type { Account } from "@salvo/db";
import { Command, InvalidArgumentError } from "commander";
import { countryCode, print, wholeNumber, withStore } from "../options";

/** Commander parser for balance alert thresholds: `500,100`, or `none`; the API's rules. */
function thresholds(value: string): number[] {
  const list =
    value === "none" ? [] : value.split(",").map((n) => (/^\d+$/.test(n.trim()) ? Number(n) : Number.NaN));
  const parsed = balanceAlerts.safeParse({ thresholds: list });
  if (!parsed.success) {
    throw new InvalidArgumentError(
      `expected "none" or up to 10 distinct whole numbers of credits, comma-separated (${parsed.error.issues[0]?.message})`,
    );
  }
  return parsed.data.thresholds;
}

function accountRow(account: Account) {
  return {
    id: account.id,
    name: account.name,
    credits: account.credits,
    /** The account that owns it (a sub-account), or "-" for a top-level account. */
    parent_id: account.parentId,
    api_rate_limit: account.apiRateLimit,
    send_rate_limit: account.sendRateLimit,
    default_country: account.defaultCountry,
    flood_max_per_hour: account.floodMaxPerHour,
    flood_max_same_body_per_hour: account.floodMaxSameBodyPerHour,
    balance_alerts: account.balanceAlerts,
    // null: the API's REQUIRE_REGISTERED_SENDER decides.
    require_registered_sender: account.requireRegisteredSender ?? "default",
    // Its own moderation rules; those not named inherit its parent's, then the API's MODERATION_*.
    moderation: account.moderation ? JSON.stringify(account.moderation) : "default",
    created_at: account.createdAt.toISOString(),
  };
}

// Commander replaces an option parser's null with a value of its own: "default"
// (inherit the parent's, then the install's rule) stays a word until moderationChanges.
type OrDefault<T> = T | "default";

/** A whole number, or `default`. */
function numberOrDefault(min: number, max: number) {
  const whole = wholeNumber(min, max);
  return (value: string): OrDefault<number> => (value === "default" ? "default" : whole(value));
}

/** A comma-separated list, `none` (an empty list) or `default`. */
function listOrDefault(value: string): OrDefault<string[]> {
  if (value === "default" || value === "none") return value === "none" ? [] : "default";
  return value
    .split(",")
    .map((item) => item.trim())
    .filter(Boolean);
}

/** `on`, `off` or `default`. */
function switchOrDefault(value: string): OrDefault<boolean> {
  if (value === "default") return "default";
  if (value === "on" || value === "off") return value === "on";
  throw new InvalidArgumentError("expected on, off or default");
}

interface ModerationOptions {
  moderationNewAccountDays?: OrDefault<number>;
  moderationNewAccountMaxRecipients?: OrDefault<number>;
  moderationBlockedWords?: OrDefault<string[]>;
  moderationBlockedDomains?: OrDefault<string[]>;
  moderationUnregisteredSenders?: OrDefault<boolean>;
}

/** The moderation rules given as options, checked with the API's schema; undefined when none is given. */
function moderationChanges(options: ModerationOptions): ModerationOverrides | undefined {
  const orNull = <T>(value: OrDefault<T> | undefined) => (value === "default" ? null : value);
  const given = {
    newAccountDays: orNull(options.moderationNewAccountDays),
    newAccountMaxRecipients: orNull(options.moderationNewAccountMaxRecipients),
    blockedWords: orNull(options.moderationBlockedWords),
    blockedDomains: orNull(options.moderationBlockedDomains),
    unregisteredSenders: orNull(options.moderationUnregisteredSenders),
  };
  if (Object.values(given).every((value) => value === undefined)) return undefined;
  const parsed = moderationOverrides.safeParse(given);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new Error(`moderation ${issue?.path.join(".")}: ${issue?.message}`);
  }
  // Undefined keys are left out of the JSON merged into the account's rules: unchanged; null: inherit.
  return parsed.data;
}

export function accountsCommand(): Command {
  const accounts = new Command("accounts").description("create, list, show and change accounts");

  accounts
    .command("create")
    .description("create an account and its first API token (printed once)")
    .requiredOption("--name <name>", "account name")
    .option("--credits <n>", "initial credits", wholeNumber(0), 0)
    .option("--api-rate-limit <n>", "API requests per second", wholeNumber(1, 100_000))
    .option("--country <cc>", "default country for national numbers", countryCode)
    .option("--json", "print JSON")
    .action(
      async (options: {
        name: string;
        credits: number;
        apiRateLimit?: number;
        country?: string;
        json?: boolean;
      }) => {
        const { account, token } = await withStore((store) =>
          store.accounts.create({
            name: options.name,
            credits: options.credits,
            apiRateLimit: options.apiRateLimit,
            defaultCountry: options.country,
          }),
        );
        if (options.json) print({ account_id: account.id, token }, true);
        else print({ account_id: account.id, name: account.name, credits: account.credits, token }, false);
      },
    );

  accounts
    .command("list")
    .description("list accounts, newest first, each with its parent (parent_id) when it is a sub-account")
    .option("--parent <id>", "only the sub-accounts of this account")
    .option("--json", "print JSON")
    .action(async (options: { parent?: string; json?: boolean }) => {
      const rows = await withStore((store) => store.accounts.list({ parentId: options.parent }));
      print(rows.map(accountRow), Boolean(options.json));
    });

  accounts
    .command("show <id>")
    .description("show one account, with its parent (parent_id) and the ids of its sub-accounts")
    .option("--json", "print JSON")
    .action(async (id: string, options: { json?: boolean }) => {
      const { account, subAccounts } = await withStore(async (store) => ({
        account: await store.accounts.find(id),
        subAccounts: await store.accounts.list({ parentId: id }),
      }));
      if (!account) throw new NotFoundError(`No account ${id}.`);
      const ids = subAccounts.map((sub) => sub.id);
      print(
        { ...accountRow(account), sub_accounts: options.json ? ids : ids.join(", ") || null },
        Boolean(options.json),
      );
    });

  accounts
    .command("update <id>")
    .description("change an account's credits, limits or settings")
    .option("--name <name>", "account name")
    .option("--credits <n>", "set the credit balance", wholeNumber(0))
    .option(
      "--add-credits <n>",
      "add to the credit balance (negative to remove)",
      wholeNumber(-2_000_000_000, 2_000_000_000),
    )
    .option("--api-rate-limit <n>", "API requests per second", wholeNumber(1, 100_000))
    .option(
      "--send-rate-limit <n>",
      "messages per second to providers (0 = unlimited)",
      wholeNumber(0, 1_000_000),
    )
    .option("--country <cc>", "default country for national numbers", countryCode)
    .option(
      "--flood-max-per-hour <n>",
      "anti-flood: messages per recipient per hour",
      wholeNumber(1, 100_000),
    )
    .option(
      "--flood-max-same-body-per-hour <n>",
      "anti-flood: same-body messages per recipient per hour",
      wholeNumber(1, 100_000),
    )
    .option(
      "--balance-alerts <list>",
      'balance alert thresholds, e.g. 500,100 ("none": no alerts); see docs/api.md',
      thresholds,
    )
    .option(
      "--require-registered-sender <on|off|default>",
      "send from approved senders only (default: the API's REQUIRE_REGISTERED_SENDER)",
      switchOrDefault,
    )
    .option(
      "--moderation-new-account-days <n|default>",
      "moderation: an account younger than this is new (0: never; default: the parent's, then MODERATION_NEW_ACCOUNT_DAYS)",
      numberOrDefault(0, 3_650),
    )
    .option(
      "--moderation-new-account-max-recipients <n|default>",
      "moderation: a new account's batches over this many recipients are held",
      numberOrDefault(0, 1_000_000),
    )
    .option(
      "--moderation-blocked-words <list|none|default>",
      "moderation: comma-separated words or phrases that hold a batch",
      listOrDefault,
    )
    .option(
      "--moderation-blocked-domains <list|none|default>",
      "moderation: comma-separated domains (and their subdomains) that hold a batch",
      listOrDefault,
    )
    .option(
      "--moderation-unregistered-senders <on|off|default>",
      "moderation: hold batches from a sender the account has not had approved",
      switchOrDefault,
    )
    .option("--json", "print JSON")
    .action(
      async (
        id: string,
        options: {
          name?: string;
          credits?: number;
          addCredits?: number;
          apiRateLimit?: number;
          sendRateLimit?: number;
          country?: string;
          floodMaxPerHour?: number;
          floodMaxSameBodyPerHour?: number;
          balanceAlerts?: number[];
          requireRegisteredSender?: OrDefault<boolean>;
          json?: boolean;
        } & ModerationOptions,
      ) => {
        const moderation = moderationChanges(options);
        if (options.credits !== undefined && options.addCredits !== undefined) {
          throw new Error("use --credits or --add-credits, not both");
        }
        // Credits removed may cross balance alerts: their events are written with the
        // change, and the workers' sweep posts them.
        const account = await withStore(async (store) => {
          const updated = await store.accounts.update(id, {
            name: options.name,
            credits: options.credits,
            addCredits: options.addCredits,
            apiRateLimit: options.apiRateLimit,
            sendRateLimit: options.sendRateLimit === 0 ? null : options.sendRateLimit,
            defaultCountry: options.country,
            floodMaxPerHour: options.floodMaxPerHour,
            floodMaxSameBodyPerHour: options.floodMaxSameBodyPerHour,
            // "default": null, the install's REQUIRE_REGISTERED_SENDER.
            requireRegisteredSender:
              options.requireRegisteredSender === "default" ? null : options.requireRegisteredSender,
            moderation,
          });
          if (options.balanceAlerts === undefined) return updated;
          return (await store.accounts.setBalanceAlerts(id, options.balanceAlerts)) ?? updated;
        });
        print(accountRow(account), Boolean(options.json));
      },
    );

  return accounts;
}
