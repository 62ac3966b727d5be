import { UnauthorizedError } from "@salvo/core";
import type { Account, CountrySettings, Store } from "@salvo/db";

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

/** The countries the account may send to, its monthly limits per country and this month's usage of them. */
export async function countrySettings(store: Store, accountId: string): Promise<CountrySettings> {
  const settings = await store.countries.find(accountId);
  if (!settings) throw new UnauthorizedError("Invalid or revoked API credentials.");
  return settings;
}
