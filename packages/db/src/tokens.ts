import {
  AddressNotAllowedError,
  ipAllowList,
  issueApiToken,
  LastTokenError,
  NotFoundError,
  pageCount,
  pageWindow,
  tokenSecretMatches,
} from "@salvo/core";
import { ACCOUNT_COLUMNS, type Account, API_TOKEN_COLUMNS, type ApiToken } from "./rows";
import { atomically, type Queryable, selectList } from "./sql";

const TOKEN = selectList(API_TOKEN_COLUMNS);

/** A token with its account: all that authenticating a request needs. */
export type TokenWithAccount = ApiToken & { account: Account };

/**
 * Issues a new API token for an account, in one statement (so that the API can
 * store its idempotent answer in the same transaction). The secret is returned
 * once; only its hash is stored. `ttlSeconds`: it expires that long after its
 * creation (by the database's clock, as `created_at`); null: never.
 * `allowedIps`: the addresses it may be used from (canonical, as `allowedIps`
 * of @salvo/core gives them); null: any.
 */
export async function createApiToken(
  sql: Queryable,
  accountId: string,
  label = "",
  ttlSeconds: number | null = null,
  allowedIps: string[] | null = null,
): Promise<{ apiToken: ApiToken; token: string }> {
  const issued = issueApiToken();
  const { rows } = await sql.query<ApiToken>(
    `INSERT INTO api_tokens (id, account_id, label, secret_hash, expires_at, allowed_ips)
     SELECT $2, id, $3, $4, CASE WHEN $5::int IS NOT NULL THEN now() + make_interval(secs => $5::int) END, $6::text[]
       FROM accounts WHERE id = $1
     RETURNING ${TOKEN}`,
    [accountId, issued.id, label, issued.secretHash, ttlSeconds, allowedIps],
  );
  const apiToken = rows[0];
  if (!apiToken) throw new NotFoundError(`No account ${accountId}.`);
  return { apiToken, token: issued.token };
}

/**
 * Who revokes a token: an operator (any token), or an account (its own, never its
 * last live one; `lastToo`: the last one too, when a parent revokes its sub-account's).
 */
export type Revoker = { operator: true } | { accountId: string; lastToo?: boolean };

/**
 * Revokes a token; revoking an already revoked one returns it as it is (the first
 * time is kept). An account revokes only its own tokens (another account's id is
 * not found), and never its last live one (LastTokenError: it would lock itself
 * out). Its live tokens are locked first, so two requests revoking each other's
 * (or their own) tokens at once run one after the other, and the second sees the
 * first's revocation. An operator may revoke any token, the last one too.
 */
export async function revokeApiToken(sql: Queryable, tokenId: string, by: Revoker): Promise<ApiToken> {
  const accountId = "accountId" in by ? by.accountId : null;
  const keepOne = "accountId" in by && !by.lastToo;
  return await atomically(sql, async (tx) => {
    const live = keepOne
      ? await tx.query<{ id: string }>(
          "SELECT id FROM api_tokens WHERE account_id = $1 AND revoked_at IS NULL ORDER BY id FOR UPDATE",
          [accountId],
        )
      : null;
    const { rows } = await tx.query<ApiToken>(
      `SELECT ${TOKEN} FROM api_tokens WHERE id = $1 AND ($2::text IS NULL OR account_id = $2)`,
      [tokenId, accountId],
    );
    const token = rows[0];
    if (!token) throw new NotFoundError(`No token ${tokenId}.`);
    if (token.revokedAt) return token;
    if (live && !live.rows.some((other) => other.id !== tokenId)) throw new LastTokenError();
    const revoked = await tx.query<ApiToken>(
      `UPDATE api_tokens SET revoked_at = now() WHERE id = $1 RETURNING ${TOKEN}`,
      [tokenId],
    );
    return revoked.rows[0] as ApiToken;
  });
}

/** One page of an account's tokens, newest first. */
export async function listApiTokens(sql: Queryable, accountId: string, page: number) {
  const { skip, take } = pageWindow(page);
  const { rows } = await sql.query<ApiToken & { total: number }>(
    `SELECT ${TOKEN}, count(*) OVER ()::int AS total FROM api_tokens WHERE account_id = $1
      ORDER BY created_at DESC, id DESC LIMIT $2 OFFSET $3`,
    [accountId, take, skip],
  );
  const total = rows[0]?.total ?? (skip > 0 ? await countTokens(sql, accountId) : 0);
  return { tokens: rows.map(({ total: _, ...token }) => token), pages: pageCount(total) };
}

async function countTokens(sql: Queryable, accountId: string): Promise<number> {
  const { rows } = await sql.query<{ total: number }>(
    "SELECT count(*)::int AS total FROM api_tokens WHERE account_id = $1",
    [accountId],
  );
  return rows[0]?.total ?? 0;
}

/** The account's token with this number (SMSFactor's `api_token_id`), or null when it has none. */
export async function findApiTokenByNumber(
  sql: Queryable,
  accountId: string,
  numericId: string,
): Promise<ApiToken | null> {
  const { rows } = await sql.query<ApiToken>(
    `SELECT ${TOKEN} FROM api_tokens WHERE numeric_id = $1::bigint AND account_id = $2`,
    [numericId, accountId],
  );
  return rows[0] ?? null;
}

/** The token with this id and its account, or null when there is none. */
export async function findApiToken(sql: Queryable, tokenId: string): Promise<TokenWithAccount | null> {
  const { rows } = await sql.query<Record<string, unknown>>({
    name: "salvo-find-api-token",
    text: `SELECT ${selectList(API_TOKEN_COLUMNS, { prefix: "t." })},
                  ${selectList(ACCOUNT_COLUMNS, { prefix: "a.", as: "account." })}
             FROM api_tokens t JOIN accounts a ON a.id = t.account_id WHERE t.id = $1`,
    values: [tokenId],
  });
  const row = rows[0];
  if (!row) return null;
  const token: Record<string, unknown> = {};
  const account: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(row)) {
    if (name.startsWith("account.")) account[name.slice("account.".length)] = value;
    else token[name] = value;
  }
  return { ...(token as unknown as ApiToken), account: account as unknown as Account };
}

/** Writing last-used on every request would be a write per call; once a minute is enough. */
const LAST_USED_RESOLUTION_MS = 60_000;

/**
 * A token's allow-list, parsed once per token read from the database (the API's
 * cache hands the same object to every request for a few seconds).
 */
const allowLists = new WeakMap<TokenWithAccount, (address: string | undefined) => boolean>();

function allowedFrom(token: TokenWithAccount, address: string | undefined): boolean {
  if (!token.allowedIps) return true;
  let allows = allowLists.get(token);
  if (!allows) {
    allows = ipAllowList(token.allowedIps);
    allowLists.set(token, allows);
  }
  return allows(address);
}

/**
 * The account a found token grants for this secret, or null when the token is
 * unknown, revoked, expired or the secret is wrong. The comparison takes the same time in
 * each case. A valid token with `allowed_ips` not holding `address` (the
 * request's; undefined: none known) throws AddressNotAllowedError, only once the
 * secret matched, so a request without it learns nothing of the list.
 * Records the token's last use, at most once a minute, with `later`
 * (a write nobody waits for; and on `token`, so a token kept in memory is not
 * written again); a refused request is no use.
 */
export function acceptApiToken(
  sql: Queryable,
  token: TokenWithAccount | null,
  secret: string,
  address: string | undefined,
  later: (write: Promise<unknown>) => void,
): Account | null {
  const matches = tokenSecretMatches(secret, token?.secretHash);
  const now = Date.now();
  if (!token || !matches || token.revokedAt) return null;
  if (token.expiresAt && token.expiresAt.getTime() <= now) return null;
  if (!allowedFrom(token, address)) throw new AddressNotAllowedError(address);
  if (!token.lastUsedAt || now - token.lastUsedAt.getTime() > LAST_USED_RESOLUTION_MS) {
    token.lastUsedAt = new Date(now);
    // Not awaited: a slow write must not slow the request, and a lost one is harmless.
    later(
      sql.query(
        `UPDATE api_tokens SET last_used_at = $2
          WHERE id = $1 AND (last_used_at IS NULL OR last_used_at < $2::timestamptz - make_interval(secs => $3))`,
        [token.id, new Date(now), LAST_USED_RESOLUTION_MS / 1000],
      ),
    );
  }
  return token.account;
}
