import { effectiveRetention, type RetentionUpdate, UnauthorizedError } from "@salvo/core";
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

/** The account's data retention in effect (its own, else its parent's, else kept) and where each comes from. */
export async function retentionOf(store: Store, accountId: string) {
  const stored = await store.accounts.retention(accountId);
  if (!stored) throw new UnauthorizedError("Invalid or revoked API credentials.");
  return effectiveRetention(stored.own, stored.parent);
}

/** Sets the account's own data retention (a kind left out stays; null follows its parent's) and returns it in effect. */
export async function setRetention(store: Store, accountId: string, update: RetentionUpdate) {
  await store.accounts.update(accountId, {
    messageRetention: update.message,
    listRetention: update.list,
    surveyRetention: update.survey,
    campaignRetention: update.campaign,
  });
  return retentionOf(store, accountId);
}
