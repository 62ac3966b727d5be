import {
  effectiveRetention,
  InvalidParameterError,
  normalizePhoneNumber,
  type RetentionUpdate,
  UnauthorizedError,
} from "@salvo/core";
import type { Account, BalanceAlertChannels, CountrySettings, Store } from "@salvo/db";
import { z } from "zod";

/**
 * The account as stored now: the authenticated one may be a few seconds old (see
 * TokenCache), and clients read their credits right after spending them.
 */
export async function currentAccount(store: Store, accountId: string): Promise<Account> {
  const account = await store.accounts.find(accountId);
  if (!account) throw new UnauthorizedError("Invalid or revoked API credentials.");
  return account;
}

/** A change of the account's balance alerts: each field absent is kept as it is. */
interface BalanceAlertChange {
  /** Thresholds in credits; an empty list: none. */
  thresholds?: number[];
  byEmail?: boolean;
  /** Null or "": none. */
  email?: string | null;
  bySms?: boolean;
  /** Any common format (read with the account's country); null or "": none. */
  phone?: string | null;
}

/** How the caller's request names each field, for its errors (/v1's names by default). */
interface BalanceAlertFieldNames {
  byEmail: string;
  email: string;
  bySms: string;
  phone: string;
}

const V1_FIELDS: BalanceAlertFieldNames = {
  byEmail: "email_enabled",
  email: "email",
  bySms: "sms_enabled",
  phone: "phone",
};

const emailAddress = z.email().max(254);

/**
 * Changes the account's balance alerts and where they go besides its webhooks
 * (e-mail, SMS), and returns the account. Refused (InvalidParameterError, naming
 * the field): an address or number that is not one; a channel turned on with no
 * destination; e-mail turned on when the install has no SMTP server (`emailConfigured`).
 */
export async function setBalanceAlerts(
  store: Store,
  accountId: string,
  change: BalanceAlertChange,
  options: { emailConfigured: boolean; fields?: BalanceAlertFieldNames },
): Promise<Account> {
  const fields = options.fields ?? V1_FIELDS;
  const account = await currentAccount(store, accountId);
  const channels: BalanceAlertChannels = {};
  if (change.email !== undefined) {
    const email = change.email?.trim() || null;
    if (email !== null && !emailAddress.safeParse(email).success)
      throw new InvalidParameterError(`${fields.email}: not an e-mail address`, fields.email);
    channels.email = email;
  }
  if (change.phone !== undefined) {
    const raw = change.phone?.trim() || null;
    const phone = raw === null ? null : normalizePhoneNumber(raw, account.defaultCountry);
    if (raw !== null && phone === null) {
      throw new InvalidParameterError(
        `${fields.phone}: not a valid phone number (a national number is read with country ${account.defaultCountry})`,
        fields.phone,
      );
    }
    channels.phone = phone;
  }
  if (change.byEmail !== undefined) channels.byEmail = change.byEmail;
  if (change.bySms !== undefined) channels.bySms = change.bySms;
  if (change.byEmail === true && !options.emailConfigured) {
    throw new InvalidParameterError(
      `${fields.byEmail}: this Salvo sends no e-mail (its operator has not set SMTP_URL); balance alerts can go to webhooks or by SMS`,
      fields.byEmail,
    );
  }
  // What the account will have: the change, else what it has now (null is a change).
  const email = channels.email === undefined ? account.balanceAlertEmail : channels.email;
  const phone = channels.phone === undefined ? account.balanceAlertPhone : channels.phone;
  if ((channels.byEmail ?? account.balanceAlertByEmail) && email === null) {
    throw new InvalidParameterError(`${fields.email}: e-mail alerts need an address`, fields.email);
  }
  if ((channels.bySms ?? account.balanceAlertBySms) && phone === null) {
    throw new InvalidParameterError(`${fields.phone}: SMS alerts need a phone number`, fields.phone);
  }
  const changed = await store.accounts.setBalanceAlerts(accountId, change.thresholds, channels);
  if (!changed) throw new UnauthorizedError("Invalid or revoked API credentials.");
  return changed;
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
