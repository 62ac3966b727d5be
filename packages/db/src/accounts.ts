import {
  InvalidParameterError,
  issueApiToken,
  LastTokenError,
  NotFoundError,
  newId,
  pageCount,
  pageWindow,
  tokenSecretMatches,
} from "@salvo/core";
import { type Db, writeInBackground } from "./client";
import type { Account, ApiToken } from "./generated/prisma/client";
import type { Sql, SqlClient } from "./sql";

export type { Account, ApiToken };

interface NewAccount {
  name: string;
  credits?: number;
  apiRateLimit?: number;
  defaultCountry?: string;
}

/** Creates an account and its first API token; the token is returned once, never stored. */
export async function createAccount(db: Db, input: NewAccount): Promise<{ account: Account; token: string }> {
  const issued = issueApiToken();
  const account = await db.account.create({
    data: {
      id: newId("acc"),
      name: input.name,
      credits: input.credits ?? 0,
      apiRateLimit: input.apiRateLimit,
      defaultCountry: input.defaultCountry,
      tokens: { create: { id: issued.id, label: "default", secretHash: issued.secretHash } },
    },
  });
  return { account, token: issued.token };
}

/**
 * Issues a new API token for an account, in one statement (so that the API can
 * store its idempotent answer in the same transaction). The secret is returned
 * once; only its hash is stored.
 */
export async function createApiToken(
  sql: Sql | SqlClient,
  accountId: string,
  label = "",
): Promise<{ apiToken: ApiToken; token: string }> {
  const issued = issueApiToken();
  const { rows } = await sql.query<ApiToken>(
    `INSERT INTO api_tokens (id, account_id, label, secret_hash)
     SELECT $2, id, $3, $4 FROM accounts WHERE id = $1
     RETURNING id, account_id AS "accountId", label, secret_hash AS "secretHash",
               created_at AS "createdAt", last_used_at AS "lastUsedAt", revoked_at AS "revokedAt"`,
    [accountId, issued.id, label, issued.secretHash],
  );
  const apiToken = rows[0];
  if (!apiToken) throw new NotFoundError(`No account ${accountId}.`);
  return { apiToken, token: issued.token };
}

/**
 * Revokes a token. With `accountId`, only that account's token can be revoked
 * (another account's id is not found). Revoking twice keeps the first time.
 */
export async function revokeApiToken(db: Db, tokenId: string, accountId?: string): Promise<ApiToken> {
  const token = await db.apiToken.findFirst({ where: { id: tokenId, ...(accountId ? { accountId } : {}) } });
  if (!token) throw new NotFoundError(`No token ${tokenId}.`);
  if (token.revokedAt) return token;
  return db.apiToken.update({ where: { id: token.id }, data: { revokedAt: new Date() } });
}

/**
 * Revokes one of an account's tokens on the account's own request (the API's
 * `DELETE /v1/tokens/:id`): refused with LastTokenError when it would leave the
 * account no live token, so an account cannot lock itself out. The account's live
 * tokens are locked first, so two requests revoking each other's (or their own)
 * tokens at once run one after the other, and the second sees the first's
 * revocation. Revoking an already revoked token returns it as it is.
 */
export async function revokeAccountApiToken(db: Db, tokenId: string, accountId: string): Promise<ApiToken> {
  return await db.$transaction(async (tx) => {
    const live = await tx.$queryRaw<{ id: string }[]>`
      SELECT id FROM api_tokens WHERE account_id = ${accountId} AND revoked_at IS NULL ORDER BY id FOR UPDATE`;
    const token = await tx.apiToken.findFirst({ where: { id: tokenId, accountId } });
    if (!token) throw new NotFoundError(`No token ${tokenId}.`);
    if (token.revokedAt) return token;
    if (!live.some((other) => other.id !== tokenId)) throw new LastTokenError();
    return await tx.apiToken.update({ where: { id: token.id }, data: { revokedAt: new Date() } });
  });
}

/** One page of an account's tokens, newest first. */
export async function listApiTokens(db: Db, accountId: string, page: number) {
  const [total, tokens] = await db.$transaction([
    db.apiToken.count({ where: { accountId } }),
    db.apiToken.findMany({
      where: { accountId },
      orderBy: [{ createdAt: "desc" }, { id: "desc" }],
      ...pageWindow(page),
    }),
  ]);
  return { tokens, pages: pageCount(total) };
}

/** Writing last-used on every request would be a write per call; once a minute is enough. */
const LAST_USED_RESOLUTION_MS = 60_000;

/** A token with its account: all that authenticating a request needs. */
export type TokenWithAccount = ApiToken & { account: Account };

/** The token with this id and its account, or null when there is none. */
export async function findApiToken(db: Db, tokenId: string): Promise<TokenWithAccount | null> {
  return await db.apiToken.findUnique({ where: { id: tokenId }, include: { account: true } });
}

/**
 * The account a found token grants for this secret, or null when the token is
 * unknown, revoked or the secret is wrong. The comparison takes the same time in
 * each case. Records the token's last use, at most once a minute, in the
 * background (and on `token`, so a token kept in memory is not written again).
 */
export function acceptApiToken(db: Db, token: TokenWithAccount | null, secret: string): Account | null {
  const matches = tokenSecretMatches(secret, token?.secretHash);
  if (!token || !matches || token.revokedAt) return null;
  const now = Date.now();
  if (!token.lastUsedAt || now - token.lastUsedAt.getTime() > LAST_USED_RESOLUTION_MS) {
    token.lastUsedAt = new Date(now);
    // Not awaited: a slow write must not slow the request, and a lost one is harmless.
    writeInBackground(
      db,
      db.apiToken.updateMany({
        where: {
          id: token.id,
          OR: [{ lastUsedAt: null }, { lastUsedAt: { lt: new Date(now - LAST_USED_RESOLUTION_MS) } }],
        },
        data: { lastUsedAt: new Date(now) },
      }),
    );
  }
  return token.account;
}

/** The account behind a token id and secret, or null (see acceptApiToken). */
export async function authenticateToken(db: Db, tokenId: string, secret: string): Promise<Account | null> {
  return acceptApiToken(db, await findApiToken(db, tokenId), secret);
}

/** An account as stored now, or null when there is none. */
export async function findAccount(db: Db, accountId: string): Promise<Account | null> {
  return await db.account.findUnique({ where: { id: accountId } });
}

/** Every account, newest first (for operators: the CLI). */
export async function listAccounts(db: Db): Promise<Account[]> {
  return await db.account.findMany({ orderBy: [{ createdAt: "desc" }, { id: "desc" }] });
}

/** The most credits an account may hold: PostgreSQL's integer. */
const MAX_CREDITS = 2_147_483_647;

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
}

/**
 * Changes an account and returns it as stored. Credits added or removed keep the
 * balance within 0..2^31-1, checked and changed in one statement, so concurrent
 * changes (and sends) cannot take it out of range; a change that would is refused
 * with InvalidParameterError and changes nothing.
 */
export async function updateAccount(db: Db, accountId: string, changes: AccountChanges): Promise<Account> {
  const { addCredits, credits, ...settings } = changes;
  if (credits !== undefined && addCredits !== undefined) {
    throw new InvalidParameterError("set credits or add credits, not both", "credits");
  }
  const add = addCredits ?? 0;
  const within =
    add < 0 ? { credits: { gte: -add } } : add > 0 ? { credits: { lte: MAX_CREDITS - add } } : {};
  const changed = await db.account.updateMany({
    where: { id: accountId, ...within },
    data: { ...settings, credits: addCredits !== undefined ? { increment: addCredits } : credits },
  });
  const account = await findAccount(db, accountId);
  if (!account) throw new NotFoundError(`No account ${accountId}.`);
  if (changed.count === 0) {
    throw new InvalidParameterError(
      `adding ${add} credits would take the balance (${account.credits}) out of range`,
      "credits",
    );
  }
  return account;
}
