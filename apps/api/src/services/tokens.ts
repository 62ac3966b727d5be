import type { ApiToken, Store } from "@salvo/db";
import type { IdempotentWrites } from "./idempotency";

/** A token just made: `token` (id and secret) exists only here, only its hash is stored. */
export interface CreatedToken {
  apiToken: ApiToken;
  token: string;
}

/** What a new token is: its label, lifetime (null: forever) and the addresses it may be used from (null: any). */
export interface TokenOptions {
  label: string;
  ttlSeconds?: number | null;
  allowedIps?: string[] | null;
}

/**
 * Issues an API token for the account. The token and the request's answer are
 * stored together, so a retry never makes a second token.
 */
export function createToken(
  accountId: string,
  options: TokenOptions,
  idempotency: IdempotentWrites<CreatedToken>,
): Promise<CreatedToken> {
  return idempotency.write((tx) =>
    tx.tokens.create(accountId, options.label, options.ttlSeconds ?? null, options.allowedIps ?? null),
  );
}

/** Revokes one of the account's tokens; never its last live one (LastTokenError: it would lock the account out). */
export function revokeToken(store: Store, accountId: string, tokenId: string): Promise<ApiToken> {
  return store.tokens.revoke(tokenId, { accountId });
}
