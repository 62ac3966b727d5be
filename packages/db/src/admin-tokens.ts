// Operators' tokens for the admin routes (/v1/admin/…): shaped like accounts'
// tokens (`adm_<id>.<secret>`, only the secret's SHA-256 stored), in a table of
// their own so that neither kind can pass for the other.
import { issueApiToken, NotFoundError, tokenSecretMatches } from "@salvo/core";
import { ADMIN_TOKEN_COLUMNS, type AdminToken } from "./rows";
import { type Queryable, selectList } from "./sql";

const TOKEN = selectList(ADMIN_TOKEN_COLUMNS);

/** Issues an admin token; the full token is returned once, only its hash is stored. */
export async function createAdminToken(
  sql: Queryable,
  label = "",
): Promise<{ adminToken: AdminToken; token: string }> {
  const issued = issueApiToken("admin");
  const { rows } = await sql.query<AdminToken>(
    `INSERT INTO admin_tokens (id, label, secret_hash) VALUES ($1, $2, $3) RETURNING ${TOKEN}`,
    [issued.id, label, issued.secretHash],
  );
  return { adminToken: rows[0] as AdminToken, token: issued.token };
}

/** Every admin token, newest first (revoked ones too). */
export async function listAdminTokens(sql: Queryable): Promise<AdminToken[]> {
  const { rows } = await sql.query<AdminToken>(
    `SELECT ${TOKEN} FROM admin_tokens ORDER BY created_at DESC, id DESC`,
  );
  return rows;
}

/** Revokes an admin token (at once: they are not cached); revoking it again keeps the first time. */
export async function revokeAdminToken(sql: Queryable, tokenId: string): Promise<AdminToken> {
  const { rows } = await sql.query<AdminToken>(
    `UPDATE admin_tokens SET revoked_at = COALESCE(revoked_at, now()) WHERE id = $1 RETURNING ${TOKEN}`,
    [tokenId],
  );
  const token = rows[0];
  if (!token) throw new NotFoundError(`No admin token ${tokenId}.`);
  return token;
}

/**
 * The live admin token with this id and secret, or null (unknown, revoked, wrong
 * secret: the comparison takes the same time). Read on every request: operators'
 * calls are few, and a revoked token stops at once. Its last use is recorded.
 */
export async function authenticateAdminToken(
  sql: Queryable,
  tokenId: string,
  secret: string,
): Promise<AdminToken | null> {
  const { rows } = await sql.query<AdminToken>(`SELECT ${TOKEN} FROM admin_tokens WHERE id = $1`, [tokenId]);
  const token = rows[0];
  if (!tokenSecretMatches(secret, token?.secretHash) || !token || token.revokedAt) return null;
  await sql.query("UPDATE admin_tokens SET last_used_at = now() WHERE id = $1", [tokenId]);
  return token;
}
