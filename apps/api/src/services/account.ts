import { UnauthorizedError } from "@salvo/core";
import type { Account, Store } from "@salvo/db";

/**
 * The account as stored now: the authenticated one may be a few seconds old (see
 * TokenCache), and clients read their credits right after spending them.
 */
export async function currentAccount(store: Store, accountId: string): Promise<Account> {
  const account = await store.accounts.find(accountId);
  if (!account) throw new UnauthorizedError("Invalid or revoked API credentials.");
  return account;
}

/** Replaces the account's balance alerts (see balance.ts in @salvo/db) and returns the account. */
export async function setBalanceAlerts(
  store: Store,
  accountId: string,
  thresholds: number[],
): Promise<Account> {
  const account = await store.accounts.setBalanceAlerts(accountId, thresholds);
  if (!account) throw new UnauthorizedError("Invalid or revoked API credentials.");
  return account;
}
