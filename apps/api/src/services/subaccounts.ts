import { InvalidParameterError, NotFoundError, SubAccountForbiddenError } from "@salvo/core";
import type { Account, ApiToken, CountrySettings, Repositories, Store, SubAccount } from "@salvo/db";
import { countrySettings } from "./account";
import type { IdempotentWrites } from "./idempotency";
import type { CreatedToken, TokenOptions } from "./tokens";

/** Credits moved, and both balances after. */
export interface Transfer {
  parent: Account;
  subAccount: SubAccount;
}

/** The account, as the owner of sub-accounts: a sub-account owns none (one level). */
function parentId(account: Account): string {
  if (account.parentId !== null) throw new SubAccountForbiddenError();
  return account.id;
}

/** Creates a sub-account, moving `credits` from the parent (NotEnoughCreditsError without them). */
export function createSubAccount(
  parent: Account,
  input: { name: string; credits: number },
  idempotency: IdempotentWrites<SubAccount>,
): Promise<SubAccount> {
  const owner = parentId(parent);
  return idempotency.write((tx) => tx.subAccounts.create(owner, input));
}

/** One page of the account's sub-accounts, newest first. */
export function listSubAccounts(store: Store, parent: Account, page: number) {
  return store.subAccounts.list(parentId(parent), page);
}

/** One of the account's sub-accounts; any other id (a sibling's, its parent's, unknown) is not found. */
export async function findSubAccount(
  store: Store | Repositories,
  parent: Account,
  subAccountId: string,
): Promise<SubAccount> {
  const sub = await store.subAccounts.find(parentId(parent), subAccountId);
  if (!sub) throw new NotFoundError(`No sub-account ${subAccountId}.`);
  return sub;
}

/** Moves credits to a sub-account (positive `amount`) or back from it (negative), atomically. */
export function transferCredits(
  parent: Account,
  subAccountId: string,
  amount: number,
  idempotency: IdempotentWrites<Transfer>,
): Promise<Transfer> {
  const owner = parentId(parent);
  return idempotency.write((tx) => tx.subAccounts.transferCredits(owner, subAccountId, amount));
}

/** Issues a token for a sub-account (shown once, stored hashed), with the request's answer. */
export function createSubAccountToken(
  parent: Account,
  subAccountId: string,
  options: TokenOptions,
  idempotency: IdempotentWrites<CreatedToken>,
): Promise<CreatedToken> {
  return idempotency.write(async (tx) => {
    await findSubAccount(tx, parent, subAccountId);
    return tx.tokens.create(
      subAccountId,
      options.label,
      options.ttlSeconds ?? null,
      options.allowedIps ?? null,
    );
  });
}

/** One page of a sub-account's tokens. */
export async function listSubAccountTokens(
  store: Store,
  parent: Account,
  subAccountId: string,
  page: number,
) {
  await findSubAccount(store, parent, subAccountId);
  return store.tokens.list(subAccountId, page);
}

/** Revokes a sub-account's token; the parent may revoke its last one (and make another). */
export async function revokeSubAccountToken(
  store: Store,
  parent: Account,
  subAccountId: string,
  tokenId: string,
): Promise<ApiToken> {
  await findSubAccount(store, parent, subAccountId);
  return store.tokens.revoke(tokenId, { accountId: subAccountId, lastToo: true });
}

/** A sub-account's country settings as they apply, with this month's usage. */
export async function subAccountCountries(
  store: Store,
  parent: Account,
  subAccountId: string,
): Promise<CountrySettings> {
  await findSubAccount(store, parent, subAccountId);
  return countrySettings(store, subAccountId);
}

/**
 * Sets the countries a sub-account may send to, within those its parent may
 * send to now (InvalidParameterError naming the others); null: the parent's.
 */
export async function setSubAccountCountries(
  store: Store,
  parent: Account,
  subAccountId: string,
  allowed: string[] | null,
): Promise<CountrySettings> {
  await findSubAccount(store, parent, subAccountId);
  if (allowed !== null) {
    const own = new Set((await countrySettings(store, parent.id)).allowedCountries);
    const outside = allowed.filter((country) => !own.has(country));
    if (outside.length > 0) {
      throw new InvalidParameterError(
        `allowed_countries: ${outside.join(", ")} not among this account's own allowed countries (${[...own].join(", ")})`,
        "allowed_countries",
      );
    }
  }
  await store.accounts.update(subAccountId, { allowedCountries: allowed });
  return countrySettings(store, subAccountId);
}
