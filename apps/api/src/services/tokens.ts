import type { ApiToken, Store } from "@salvo/db";
import type { IdempotentWrites } from "./idempotency";

/** A token just made: `token` (id and secret) exists only here, only its hash is stored. */
export interface CreatedToken {
  apiToken: ApiToken;
  token: string;
}

/**
 * Issues an API token for the account, expiring `ttlSeconds` after its creation
 * (null: never). The token and the request's answer are stored together, so a
 * retry never makes a second token.
 */
export function createToken(
  accountId: string,
  label: string,
  idempotency: IdempotentWrites<CreatedToken>,
  ttlSeconds: number | null = null,
): Promise<CreatedToken> {
  return idempotency.write((tx) => tx.tokens.create(accountId, label, ttlSeconds));
}

/** Revokes one of the account's tokens; never its last live one (LastTokenError: it would lock the account out). */
export function revokeToken(store: Store, accountId: string, tokenId: string): Promise<ApiToken> {
  return store.tokens.revoke(tokenId, { accountId });
}
