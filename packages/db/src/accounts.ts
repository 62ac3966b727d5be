import {
  InvalidParameterError,
  issueApiToken,
  type ModerationOverrides,
  NotFoundError,
  newId,
  type SendingWeek,
  type StoredRetention,
} from "@salvo/core";
import { creditsChange } from "./balance";
import { ACCOUNT_COLUMNS, type Account } from "./rows";
import { type Queryable, selectList } from "./sql";

const ACCOUNT = selectList(ACCOUNT_COLUMNS);

interface NewAccount {
  name: string;
  credits?: number;
  apiRateLimit?: number;
  defaultCountry?: string;
}

/** Creates an account and its first API token; the token is returned once, never stored. */
export async function createAccount(
  sql: Queryable,
  input: NewAccount,
): Promise<{ account: Account; token: string }> {
  const issued = issueApiToken();
  const { rows } = await sql.query<Account>(
    `WITH account AS (
       INSERT INTO accounts (id, name, credits, api_rate_limit, default_country, updated_at)
       VALUES ($1, $2, $3, COALESCE($4, 15), COALESCE($5, 'FR'), now())
       RETURNING *
     ), token AS (
       INSERT INTO api_tokens (id, account_id, label, secret_hash) SELECT $6, id, 'default', $7 FROM account
     ), movement AS (
       INSERT INTO credit_movements (account_id, reason, change, balance)
       SELECT id, 'top_up', credits, credits FROM account WHERE credits > 0
     )
     SELECT ${ACCOUNT} FROM account`,
    [
      newId("acc"),
      input.name,
      checkedCredits(input.credits ?? 0),
      input.apiRateLimit ?? null,
      input.defaultCountry ?? null,
      issued.id,
      issued.secretHash,
    ],
  );
  return { account: rows[0] as Account, token: issued.token };
}

/** An account as stored now, or null when there is none. */
export async function findAccount(sql: Queryable, accountId: string): Promise<Account | null> {
  const { rows } = await sql.query<Account>({
    name: "salvo-find-account",
    text: `SELECT ${ACCOUNT} FROM accounts WHERE id = $1`,
    values: [accountId],
  });
  return rows[0] ?? null;
}

/** Every account, newest first (for operators: the CLI); with `parentId`, that account's sub-accounts only. */
export async function listAccounts(sql: Queryable, filter: { parentId?: string } = {}): Promise<Account[]> {
  const { rows } = await sql.query<Account>(
    `SELECT ${ACCOUNT} FROM accounts WHERE ($1::text IS NULL OR parent_id = $1) ORDER BY created_at DESC, id DESC`,
    [filter.parentId ?? null],
  );
  return rows;
}

/** The most credits an account may hold: PostgreSQL's integer. */
export const MAX_CREDITS = 2_147_483_647;

function checkedCredits(credits: number): number {
  if (!Number.isSafeInteger(credits) || credits < 0 || credits > MAX_CREDITS) {
    throw new InvalidParameterError(`credits: expected a whole number from 0 to ${MAX_CREDITS}`, "credits");
  }
  return credits;
}

/** What an operator may change on an account; unset fields stay as they are. */
export interface AccountChanges {
  name?: string;
  /** The new balance. */
  credits?: number;
  /** Credits to add (negative: to remove); not with `credits`. */
  addCredits?: number;
  apiRateLimit?: number;
  /** Messages per second to providers; null: unlimited. */
  sendRateLimit?: number | null;
  defaultCountry?: string;
  floodMaxPerHour?: number;
  floodMaxSameBodyPerHour?: number;
  /** Only approved senders may send; null: the install's default. */
  requireRegisteredSender?: boolean | null;
  /** Countries it may send to (ISO 3166 alpha-2, checked by the caller); null: its parent's, else its default country. */
  allowedCountries?: string[] | null;
  /** Most messages a UTC month per country (checked by the caller); null: its parent's, else none. */
  countryLimits?: Record<string, number> | null;
  /** IANA time zone of its sending hours; null: its parent's, then Europe/Paris. */
  timezone?: string | null;
  /** Its own weekly windows and holidays for marketing sends; null: its parent's, then France's. */
  sendingHours?: SendingWeek | null;
  /** Appended to marketing bodies; "": none; null: its parent's, then the install's. */
  optOutMention?: string | null;
  /** Moderation rules merged into the account's own: a rule set to null inherits again (parent, install). */
  moderation?: ModerationOverrides;
  /** Days its batches' tracked links keep redirecting. */
  linkRetentionDays?: number;
  /** Data retention ("<n>d", "<n>m", "<n>y", or "0": kept; checked by the caller); null: its parent's, then kept. */
  messageRetention?: string | null;
  campaignRetention?: string | null;
  listRetention?: string | null;
  surveyRetention?: string | null;
}

type Setting = Exclude<keyof AccountChanges, "credits" | "addCredits">;

// The account's own moderation rules with `$n`'s merged in; nulls dropped (they
// inherit), and no rule left is no rules (null).
const mergeModeration = (param: string) =>
  `moderation = NULLIF(jsonb_strip_nulls(COALESCE(moderation, '{}'::jsonb) || ${param}::jsonb), '{}'::jsonb)`;

/**
 * Changes an account and returns it as stored. Credits added or removed keep the
 * balance within 0..2^31-1, checked and changed in one statement, so concurrent
 * changes (and sends) cannot take it out of range; a change that would is refused
 * with InvalidParameterError and changes nothing. Credits removed may cross the
 * account's balance alerts: their events are written with the change (see
 * creditsChange) and delivered once the workers' sweep finds them.
 */
export async function updateAccount(
  sql: Queryable,
  accountId: string,
  changes: AccountChanges,
): Promise<Account> {
  const { addCredits, credits, ...settings } = changes;
  if (credits !== undefined && addCredits !== undefined) {
    throw new InvalidParameterError("set credits or add credits, not both", "credits");
  }
  const values: unknown[] = [accountId];
  const also: string[] = [];
  for (const [field, value] of Object.entries(settings) as [Setting, unknown][]) {
    if (value === undefined) continue;
    values.push(field === "moderation" ? JSON.stringify(value) : value);
    also.push(
      field === "moderation"
        ? mergeModeration(`$${values.length}`)
        : `${ACCOUNT_COLUMNS[field]} = $${values.length}`,
    );
  }
  let balance = "a.credits";
  let where: string | undefined;
  if (credits !== undefined) {
    values.push(checkedCredits(credits));
    balance = `$${values.length}::int`;
  }
  const add = addCredits ?? 0;
  if (add !== 0) {
    values.push(add);
    balance = `a.credits + $${values.length}::int`;
    where = `a.credits BETWEEN ${-Math.min(add, 0)} AND ${MAX_CREDITS - Math.max(add, 0)}`;
  }
  // Removing credits is a debit like a batch's: it may cross a balance alert.
  const { rows } = await sql.query<{ changed: number }>(
    `WITH ${creditsChange("changed", { account: "$1", credits: balance, also, where, reason: "top_up" })}
     SELECT count(*)::int AS changed FROM changed`,
    values,
  );
  const account = await findAccount(sql, accountId);
  if (!account) throw new NotFoundError(`No account ${accountId}.`);
  if (rows[0]?.changed !== 1) {
    throw new InvalidParameterError(
      `adding ${add} credits would take the balance (${account.credits}) out of range`,
      "credits",
    );
  }
  return account;
}

/** The settings of marketing sends an account has itself (null: not set). */
export type SendingSettings = Pick<Account, "timezone" | "sendingHours" | "optOutMention">;

/**
 * An account's sending settings and its parent's (null for a top-level account),
 * as stored, in one read: a sub-account's unset ones are its parent's. Null when
 * there is no such account.
 */
export async function findSendingSettings(
  sql: Queryable,
  accountId: string,
): Promise<{ own: SendingSettings; parent: SendingSettings | null } | null> {
  const { rows } = await sql.query<{ own: SendingSettings; parent: SendingSettings | null }>({
    name: "salvo-find-sending-settings",
    text: `SELECT json_build_object('timezone', a.timezone, 'sendingHours', a.sending_hours,
                                    'optOutMention', a.opt_out_mention) AS own,
                  CASE WHEN p.id IS NOT NULL THEN json_build_object('timezone', p.timezone,
                    'sendingHours', p.sending_hours, 'optOutMention', p.opt_out_mention) END AS parent
             FROM accounts a LEFT JOIN accounts p ON p.id = a.parent_id WHERE a.id = $1`,
    values: [accountId],
  });
  return rows[0] ?? null;
}

/**
 * An account's data retention and its parent's (null for a top-level account),
 * as stored, in one read: a sub-account's unset ones are its parent's. Null when
 * there is no such account.
 */
export async function findRetention(
  sql: Queryable,
  accountId: string,
): Promise<{ own: StoredRetention; parent: StoredRetention | null } | null> {
  const retention = (a: string) =>
    `json_build_object('message', ${a}.message_retention, 'list', ${a}.list_retention,
                       'survey', ${a}.survey_retention, 'campaign', ${a}.campaign_retention)`;
  const { rows } = await sql.query<{ own: StoredRetention; parent: StoredRetention | null }>({
    name: "salvo-find-retention",
    text: `SELECT ${retention("a")} AS own, CASE WHEN p.id IS NOT NULL THEN ${retention("p")} END AS parent
             FROM accounts a LEFT JOIN accounts p ON p.id = a.parent_id WHERE a.id = $1`,
    values: [accountId],
  });
  return rows[0] ?? null;
}
