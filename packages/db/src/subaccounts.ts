// Sub-accounts: accounts owned by another (a reseller's customers), one level
// deep. Credits move between a parent and its sub-accounts, never below zero on
// either side; everything here is scoped by the parent, so another account's
// sub-account is not found.
import {
  InvalidParameterError,
  NotEnoughCreditsError,
  NotFoundError,
  newId,
  pageCount,
  pageWindow,
  SubAccountForbiddenError,
} from "@salvo/core";
import { findAccount, MAX_CREDITS } from "./accounts";
import { creditsChange } from "./balance";
import { ACCOUNT_COLUMNS, type Account } from "./rows";
import { atomically, type Queryable, selectList } from "./sql";

/** A sub-account with the credits it spent, by calendar month in UTC. */
export interface SubAccount extends Account {
  /** `cost` of its batches created since the first of this month, 00:00 UTC. */
  usageThisMonth: number;
  /** `cost` of its batches created in the previous calendar month (UTC). */
  usagePreviousMonth: number;
}

// A month's start as a timestamp without time zone in UTC, then read as UTC: month
// arithmetic on timestamptz would follow the session's time zone (and its DST).
const THIS_MONTH = "date_trunc('month', now() AT TIME ZONE 'UTC')";
const MONTH_START = `(${THIS_MONTH} AT TIME ZONE 'UTC')`;
const PREVIOUS_MONTH_START = `((${THIS_MONTH} - interval '1 month') AT TIME ZONE 'UTC')`;

// The sum runs on the batches index (account_id, created_at): two months of one account's batches.
const SUB_ACCOUNT = `${selectList(ACCOUNT_COLUMNS, { prefix: "a." })},
  u.this_month AS "usageThisMonth", u.previous_month AS "usagePreviousMonth"`;
const SUB_ACCOUNTS = `accounts a CROSS JOIN LATERAL (
    SELECT COALESCE(sum(b.cost) FILTER (WHERE b.created_at >= ${MONTH_START}), 0)::float8 AS this_month,
           COALESCE(sum(b.cost) FILTER (WHERE b.created_at < ${MONTH_START}), 0)::float8 AS previous_month
      FROM batches b WHERE b.account_id = a.id AND b.created_at >= ${PREVIOUS_MONTH_START}
  ) u`;

interface NewSubAccount {
  name: string;
  /** Credits moved from the parent to the new sub-account. */
  credits: number;
}

/**
 * Creates a sub-account of `parentId`, moving `credits` from the parent, in one
 * statement: the parent is debited only if it has them (NotEnoughCreditsError
 * otherwise, and nothing is written). Its settings (default country, rate limits,
 * anti-flood limits, require_registered_sender) are copied from the parent as they are now; balance alerts
 * are not (thresholds fit one balance, and go to the sub-account's own webhooks,
 * which it has none of yet). The debit raises the parent's alerts. A sub-account
 * cannot own one (SubAccountForbiddenError). No token is made: the parent
 * creates them (createApiToken).
 */
export async function createSubAccount(
  sql: Queryable,
  parentId: string,
  input: NewSubAccount,
): Promise<SubAccount> {
  // The debit goes through creditsChange, so that it raises the parent's balance alerts.
  const debit = creditsChange("debited", {
    account: "$1",
    credits: "a.credits - $3::int",
    where: "a.parent_id IS NULL AND a.credits >= $3::int",
    reason: "transfer",
  });
  const { rows } = await sql.query<{ id: string }>(
    `WITH ${debit}, created AS (
       INSERT INTO accounts (id, name, credits, api_rate_limit, send_rate_limit, default_country,
                             flood_max_per_hour, flood_max_same_body_per_hour, require_registered_sender,
                             parent_id, updated_at)
       SELECT $2, $4, $3, p.api_rate_limit, p.send_rate_limit, p.default_country,
              p.flood_max_per_hour, p.flood_max_same_body_per_hour, p.require_registered_sender, p.id, now()
         FROM debited d JOIN accounts p ON p.id = d.account_id
       RETURNING id, credits
     ), movement AS (
       INSERT INTO credit_movements (account_id, reason, change, balance)
       SELECT id, 'transfer', credits, credits FROM created WHERE credits > 0
     )
     SELECT id FROM created`,
    [parentId, newId("acc"), input.credits, input.name],
  );
  const created = rows[0];
  if (created) return (await findSubAccount(sql, parentId, created.id)) as SubAccount;
  const parent = await findAccount(sql, parentId);
  if (!parent) throw new NotFoundError(`No account ${parentId}.`);
  if (parent.parentId !== null) throw new SubAccountForbiddenError();
  throw new NotEnoughCreditsError(
    `Moving ${input.credits} credits to the new sub-account needs them; the account has ${parent.credits}.`,
  );
}

/** A sub-account of `parentId`, or null (another account's sub-account, or none). */
export async function findSubAccount(
  sql: Queryable,
  parentId: string,
  subAccountId: string,
): Promise<SubAccount | null> {
  const { rows } = await sql.query<SubAccount>(
    `SELECT ${SUB_ACCOUNT} FROM ${SUB_ACCOUNTS} WHERE a.id = $2 AND a.parent_id = $1`,
    [parentId, subAccountId],
  );
  return rows[0] ?? null;
}

/** One page of a parent's sub-accounts, newest first. */
export async function listSubAccounts(sql: Queryable, parentId: string, page: number) {
  const { skip, take } = pageWindow(page);
  const { rows } = await sql.query<SubAccount & { total: number }>(
    `SELECT ${SUB_ACCOUNT}, count(*) OVER ()::int AS total FROM ${SUB_ACCOUNTS}
      WHERE a.parent_id = $1 ORDER BY a.created_at DESC, a.id DESC LIMIT $2 OFFSET $3`,
    [parentId, take, skip],
  );
  const total = rows[0]?.total ?? (skip > 0 ? await countSubAccounts(sql, parentId) : 0);
  return { subAccounts: rows.map(({ total: _, ...sub }) => sub), pages: pageCount(total) };
}

async function countSubAccounts(sql: Queryable, parentId: string): Promise<number> {
  const { rows } = await sql.query<{ total: number }>(
    "SELECT count(*)::int AS total FROM accounts WHERE parent_id = $1",
    [parentId],
  );
  return rows[0]?.total ?? 0;
}

/**
 * Moves `amount` credits from the parent to its sub-account (negative: back to
 * the parent). Both rows are locked in id order, the same for every transfer,
 * so concurrent ones never deadlock (and FOR UPDATE, as creditsChange locks
 * them: no lock is upgraded), then checked and changed: neither balance goes
 * below zero (NotEnoughCreditsError) nor above 2^31-1 (InvalidParameterError),
 * and their sum is kept. The side giving the credits raises its balance alerts
 * (see balance.ts). Sends debit one account row in one statement, so they wait
 * for the lock and see the balance it leaves.
 */
export async function transferCredits(
  sql: Queryable,
  parentId: string,
  subAccountId: string,
  amount: number,
): Promise<{ parent: Account; subAccount: SubAccount }> {
  return await atomically(sql, async (tx) => {
    const { rows } = await tx.query<{ id: string; credits: number }>(
      `SELECT id, credits FROM accounts WHERE id = $1 OR (id = $2 AND parent_id = $1) ORDER BY id FOR UPDATE`,
      [parentId, subAccountId],
    );
    const parent = rows.find((row) => row.id === parentId);
    const sub = rows.find((row) => row.id === subAccountId);
    if (!parent || !sub || sub === parent) throw new NotFoundError(`No sub-account ${subAccountId}.`);
    const [from, to] = amount > 0 ? [parent, sub] : [sub, parent];
    const moved = Math.abs(amount);
    if (from.credits < moved) {
      const whose = from === parent ? "the account" : "the sub-account";
      throw new NotEnoughCreditsError(`Moving ${moved} credits needs them; ${whose} has ${from.credits}.`);
    }
    if (to.credits + moved > MAX_CREDITS) {
      throw new InvalidParameterError(
        `amount: the balance receiving it would pass ${MAX_CREDITS} credits`,
        "amount",
      );
    }
    // Both changes through creditsChange: the side giving the credits may cross its balance alerts.
    await tx.query(
      `WITH ${creditsChange("giver", { account: "$1", credits: "a.credits - $3::int", reason: "transfer" })},
            ${creditsChange("taker", { account: "$2", credits: "a.credits + $3::int", reason: "transfer" })}
       SELECT (SELECT count(*) FROM giver) + (SELECT count(*) FROM taker) AS changed`,
      [from.id, to.id, moved],
    );
    return {
      parent: (await findAccount(tx, parentId)) as Account,
      subAccount: (await findSubAccount(tx, parentId, subAccountId)) as SubAccount,
    };
  });
}
