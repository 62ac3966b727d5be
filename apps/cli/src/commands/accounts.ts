import {
  allowedCountries,
  balanceAlerts,
  countryLimits,
  type ModerationOverrides,
  moderationOverrides,
  NotFoundError,
  optOutMentionUpdate,
  retentionDuration,
  type SendingWeek,
  sendingHoursUpdate,
  sendingWeekSchema,
} from "@salvo/core";
import type { Account, CountrySettings, Store } from "@salvo/db";
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
  return parsed.data.thresholds ?? [];
}

/**
 * What a "default" option value stands for until the action reads it as null:
 * Commander stores an empty string in place of a parser's null.
 */
const DEFAULT = "default";
type OrDefault<T> = T | typeof DEFAULT;

/** An option's value as stored: null for `default`. */
function orNull<T>(value: OrDefault<T> | undefined): T | null | undefined {
  return value === DEFAULT ? null : value;
}

/** Commander parser for `--allowed-countries`: `FR,BE,ES`, or `default` (the parent's, else the default country). */
function countryList(value: string): OrDefault<string[]> {
  if (value === DEFAULT) return DEFAULT;
  const parsed = allowedCountries.safeParse(value.split(","));
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const code = issue?.path.length ? `${value.split(",")[Number(issue.path[0])]}: ` : "";
    throw new InvalidArgumentError(
      `expected "default" or country codes, comma-separated, e.g. FR,BE (${code}${issue?.message})`,
    );
  }
  return parsed.data;
}

/** `default` (null: the parent's, then Europe/Paris) or an IANA time zone. */
function timeZone(value: string): string {
  if (value === DEFAULT) return DEFAULT;
  const parsed = sendingHoursUpdate.safeParse({ time_zone: value });
  if (!parsed.success)
    throw new InvalidArgumentError('expected an IANA time zone (e.g. Europe/Paris) or "default"');
  return value;
}

/**
 * Weekly windows: `1-6 08:00-20:00` (ISO weekdays, 1 = Monday, as a range or a
 * list, `;` between windows), their JSON (`[{"days":[1],"from":"08:00","to":"20:00"}]`),
 * or `default` (null: the parent's, then France's).
 */
function sendingWindows(value: string): SendingWeek["windows"] | typeof DEFAULT {
  if (value === DEFAULT) return DEFAULT;
  let windows: unknown;
  try {
    windows = value.trim().startsWith("[")
      ? JSON.parse(value)
      : value.split(";").map((window) => {
          const [days = "", hours = ""] = window.trim().split(/\s+/);
          const [from, to] = hours.split("-");
          const range = /^(\d)-(\d)$/.exec(days);
          const list = range
            ? Array.from({ length: Number(range[2]) - Number(range[1]) + 1 }, (_, i) => Number(range[1]) + i)
            : days.split(",").map(Number);
          return { days: list, from, to };
        });
  } catch {
    windows = undefined;
  }
  const parsed = sendingWeekSchema.shape.windows.safeParse(windows);
  if (!parsed.success) {
    throw new InvalidArgumentError(
      `expected "default" or windows such as "1-6 08:00-20:00; 7 10:00-12:00" (${parsed.error.issues[0]?.message})`,
    );
  }
  return parsed.data;
}

/** Commander collector for `--country-limit BE=1000` (repeatable); `BE=none` removes BE's limit. */
function countryLimitEntry(
  value: string,
  previous: [string, number | null][] = [],
): [string, number | null][] {
  const match = /^([A-Za-z]{2})=(none|\d+)$/.exec(value.trim());
  const country = match?.[1]?.toUpperCase() ?? "";
  const limit = match?.[2] === "none" ? null : Number(match?.[2]);
  const parsed = countryLimits.safeParse({ [country]: limit ?? 0 });
  if (!match || !parsed.success) {
    throw new InvalidArgumentError(
      `expected COUNTRY=MESSAGES or COUNTRY=none, e.g. BE=1000 (${parsed.error?.issues[0]?.message ?? "not that form"})`,
    );
  }
  return [...previous, [country, limit]];
}

/** `default` (the parent's, else none) or `none` (no limits, whatever the parent's). */
function limitsReset(value: string): OrDefault<Record<string, number>> {
  if (value === DEFAULT) return DEFAULT;
  if (value === "none") return {};
  throw new InvalidArgumentError("expected default or none");
}

/** `BE=1000,ES=0`, or "none". */
function limitsText(limits: Record<string, number>): string {
  const entries = Object.entries(limits).sort(([a], [b]) => a.localeCompare(b));
  return entries.map(([country, limit]) => `${country}=${limit}`).join(",") || "none";
}

/** The countries in effect for an account and this month's usage of its limits (`show`, `update`). */
function countriesRow(settings: CountrySettings, json: boolean) {
  const usage = Object.entries(settings.usage).map(
    ([country, sent]) => `${country}=${sent}/${settings.monthlyLimits[country]}`,
  );
  return json
    ? {
        countries_in_effect: {
          allowed_countries: settings.allowedCountries,
          allowed_countries_from: settings.allowedCountriesFrom,
          monthly_limits: settings.monthlyLimits,
          monthly_limits_from: settings.monthlyLimitsFrom,
          month: settings.month.slice(0, 7),
          usage: settings.usage,
        },
      }
    : {
        allowed_countries_in_effect: `${settings.allowedCountries.join(",")} (${settings.allowedCountriesFrom})`,
        country_limits_in_effect: `${limitsText(settings.monthlyLimits)} (${settings.monthlyLimitsFrom})`,
        [`country_usage_${settings.month.slice(0, 7)}`]: usage.join(",") || null,
      };
}

async function countrySettingsOf(store: Store, id: string): Promise<CountrySettings> {
  const settings = await store.countries.find(id);
  if (!settings) throw new NotFoundError(`No account ${id}.`);
  return settings;
}
/** `FR` (France's public holidays are closed), `none`, or `default` (with --sending-hours: FR). */
function holidays(value: string): SendingWeek["holidays"] | typeof DEFAULT {
  if (value === DEFAULT) return DEFAULT;
  const parsed = sendingWeekSchema.shape.holidays.safeParse(value);
  if (!parsed.success) throw new InvalidArgumentError('expected FR, none or "default"');
  return parsed.data;
}

/** An opt-out mention (e.g. "STOP au 36180"), `none` (""), or `default` (null: the parent's, then the install's). */
function optOutMention(value: string): string {
  if (value === DEFAULT) return DEFAULT;
  const parsed = optOutMentionUpdate.safeParse({ mention: value === "none" ? "" : value });
  if (!parsed.success) {
    throw new InvalidArgumentError(
      `expected a mention, "none" or "default" (${parsed.error.issues[0]?.message})`,
    );
  }
  return parsed.data.mention ?? "";
}

/** The channels of an account's balance alerts besides webhooks: `email`, `sms`, or `none`. */
function balanceAlertChannels(account: Account): string {
  const channels = [account.balanceAlertByEmail && "email", account.balanceAlertBySms && "sms"];
  return channels.filter(Boolean).join(",") || "none";
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
    // Where they go besides webhooks (the account sets it: PUT /v1/account/balance-alerts).
    balance_alerts_also: balanceAlertChannels(account),
    // null: the API's REQUIRE_REGISTERED_SENDER decides.
    require_registered_sender: account.requireRegisteredSender ?? "default",
    // As set on the account; "default": its parent's, else its default country (allowed) or none (limits).
    allowed_countries: account.allowedCountries?.join(",") ?? "default",
    country_limits: account.countryLimits ? limitsText(account.countryLimits) : "default",
    // "default": the parent's, then the install's (see GET /v1/account/sending-hours).
    time_zone: account.timezone ?? "default",
    sending_hours: account.sendingHours ? JSON.stringify(account.sendingHours) : "default",
    opt_out_mention: account.optOutMention ?? "default",
    // Its own moderation rules; those not named inherit its parent's, then the API's MODERATION_*.
    moderation: account.moderation ? JSON.stringify(account.moderation) : "default",
    link_retention_days: account.linkRetentionDays,
    // As set on the account ("0": kept until deleted); "default": its parent's, else kept.
    message_retention: account.messageRetention ?? "default",
    campaign_retention: account.campaignRetention ?? "default",
    list_retention: account.listRetention ?? "default",
    survey_retention: account.surveyRetention ?? "default",
    created_at: account.createdAt.toISOString(),
  };
}

/** Commander parser for `--message-retention` and the like: `2d`, `5m`, `1y`, `0` (kept), or `default`. */
function retention(value: string): OrDefault<string> {
  if (value === DEFAULT) return DEFAULT;
  const parsed = retentionDuration.safeParse(value);
  if (!parsed.success) throw new InvalidArgumentError(`${parsed.error.issues[0]?.message} or "default"`);
  return parsed.data;
}

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
      const json = Boolean(options.json);
      const { account, subAccounts, countries } = await withStore(async (store) => ({
        account: await store.accounts.find(id),
        subAccounts: await store.accounts.list({ parentId: id }),
        countries: await store.countries.find(id),
      }));
      if (!account || !countries) throw new NotFoundError(`No account ${id}.`);
      const ids = subAccounts.map((sub) => sub.id);
      print(
        {
          ...accountRow(account),
          ...countriesRow(countries, json),
          sub_accounts: json ? ids : ids.join(", ") || null,
        },
        json,
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
    .option(
      "--allowed-countries <list>",
      'countries it may send to, e.g. FR,BE,ES ("default": its parent\'s, else its default country)',
      countryList,
    )
    .option(
      "--country-limit <country=n>",
      "most messages a UTC month to a country, e.g. BE=1000 (BE=none: no limit); repeatable",
      countryLimitEntry,
    )
    .option(
      "--country-limits <default|none>",
      'all monthly limits at once: "default" (its parent\'s, else none) or "none"; before any --country-limit',
      limitsReset,
    )
    .option(
      "--timezone <zone>",
      'time zone of the sending hours, e.g. Europe/Paris ("default": the parent\'s, then Europe/Paris)',
      timeZone,
    )
    .option(
      "--sending-hours <windows>",
      'marketing sending windows, e.g. "1-6 08:00-20:00" ("default": the parent\'s, then France\'s)',
      sendingWindows,
    )
    .option(
      "--holidays <FR|none>",
      "public holidays without marketing sends (with --sending-hours)",
      holidays,
    )
    .option(
      "--opt-out-mention <text>",
      'appended to marketing messages, e.g. "STOP au 36180" ("none"; "default": the parent\'s, then the API\'s OPT_OUT_MENTION)',
      optOutMention,
    )
    .option(
      "--link-retention-days <n>",
      "days its batches' tracked short links keep redirecting (then 410)",
      wholeNumber(0, 3_650),
    )
    .option(
      "--message-retention <duration>",
      'messages kept so long after their batch finished, e.g. 2d, 5m, 1y ("0": until deleted; "default": the parent\'s, else until deleted)',
      retention,
    )
    .option(
      "--campaign-retention <duration>",
      "batches kept so long after they finished, with their messages (same values)",
      retention,
    )
    .option(
      "--list-retention <duration>",
      "contact lists kept so long after their last change, with their contacts (same values)",
      retention,
    )
    .option(
      "--survey-retention <duration>",
      "stored and shown only: Salvo has no surveys (same values)",
      retention,
    )
    .option("--json", "print JSON")
    .action(
      async (
        id: string,
        options: {
          linkRetentionDays?: number;
          messageRetention?: OrDefault<string>;
          campaignRetention?: OrDefault<string>;
          listRetention?: OrDefault<string>;
          surveyRetention?: OrDefault<string>;
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
          allowedCountries?: OrDefault<string[]>;
          countryLimit?: [string, number | null][];
          countryLimits?: OrDefault<Record<string, number>>;
          timezone?: string;
          sendingHours?: SendingWeek["windows"] | typeof DEFAULT;
          holidays?: SendingWeek["holidays"] | typeof DEFAULT;
          optOutMention?: string;
          json?: boolean;
        } & ModerationOptions,
      ) => {
        const moderation = moderationChanges(options);
        if (options.credits !== undefined && options.addCredits !== undefined) {
          throw new Error("use --credits or --add-credits, not both");
        }
        // Windows and holidays are stored together: one alone keeps France's other.
        const week =
          options.sendingHours === undefined && options.holidays === undefined
            ? undefined
            : sendingHoursUpdate.parse({
                windows: orNull(options.sendingHours),
                holidays: orNull(options.holidays),
              }).week;
        // Credits removed may cross balance alerts: their events are written with the
        // change, and the workers' sweep posts them.
        const json = Boolean(options.json);
        const { account, countries } = await withStore(async (store) => {
          const limits = await newCountryLimits(
            store,
            id,
            orNull(options.countryLimits),
            options.countryLimit,
          );
          const updated = await store.accounts.update(id, {
            name: options.name,
            credits: options.credits,
            addCredits: options.addCredits,
            apiRateLimit: options.apiRateLimit,
            sendRateLimit: options.sendRateLimit === 0 ? null : options.sendRateLimit,
            defaultCountry: options.country,
            floodMaxPerHour: options.floodMaxPerHour,
            floodMaxSameBodyPerHour: options.floodMaxSameBodyPerHour,
            requireRegisteredSender: orNull(options.requireRegisteredSender),
            allowedCountries: orNull(options.allowedCountries),
            countryLimits: limits,
            timezone: orNull(options.timezone),
            sendingHours: week,
            optOutMention: orNull(options.optOutMention),
            moderation,
            linkRetentionDays: options.linkRetentionDays,
            messageRetention: orNull(options.messageRetention),
            campaignRetention: orNull(options.campaignRetention),
            listRetention: orNull(options.listRetention),
            surveyRetention: orNull(options.surveyRetention),
          });
          const account =
            options.balanceAlerts === undefined
              ? updated
              : ((await store.accounts.setBalanceAlerts(id, options.balanceAlerts)) ?? updated);
          return { account, countries: await countrySettingsOf(store, id) };
        });
        print({ ...accountRow(account), ...countriesRow(countries, json) }, json);
      },
    );

  return accounts;
}

/**
 * The monthly limits `update` stores: `reset` (default: null, none: {}) if given,
 * then each `--country-limit` applied to it, or to the limits in effect (the
 * account's own, else its parent's, which it then keeps as its own).
 * Undefined: no change.
 */
async function newCountryLimits(
  store: Store,
  id: string,
  reset: Record<string, number> | null | undefined,
  entries: [string, number | null][] | undefined,
): Promise<Record<string, number> | null | undefined> {
  if (!entries) return reset;
  const base = reset === undefined ? (await countrySettingsOf(store, id)).monthlyLimits : (reset ?? {});
  const limits = { ...base };
  for (const [country, limit] of entries) {
    if (limit === null) delete limits[country];
    else limits[country] = limit;
  }
  return limits;
}
