// Idempotency keys: a POST's first answer, kept per account and key for 24 hours
// and replayed to retries. A key is claimed (a row `in_progress`) before the
// request runs, so concurrent requests with one key run it once.
import type { Queryable } from "./sql";

/** How long a key's answer is replayed; older keys are free again, and purged. */
const KEY_LIFETIME = "interval '24 hours'";

/** An account's key. */
interface IdempotencyKeyRef {
  accountId: string;
  key: string;
}

/** What is known of a key another request claimed. */
export interface IdempotencyRecord {
  /** Method and path, e.g. `POST /v1/batches`. */
  request: string;
  /** SHA-256 of the body, hex. */
  fingerprint: string;
  state: "in_progress" | "done";
  statusCode: number | null;
  /** The answer's JSON body, as text. */
  body: string | null;
  location: string | null;
}

/**
 * `claimedAt` identifies this claim: storing or releasing the answer touches the
 * row only while it is still this claim (it may have been taken over).
 */
export type IdempotencyClaim =
  | {
      claimed: true;
      claimedAt: Date;
      /** What an abandoned attempt with the same request bound to the key (see bindIdempotencyResource). */
      resourceId: string | null;
    }
  | { claimed: false; record: IdempotencyRecord };

/**
 * Claims an account's key for a request, atomically: a new key, a key older than
 * 24 hours, or one whose claim was abandoned (still in progress past its
 * `lockMs`) by the same request and body becomes this request's; otherwise the
 * key's record says whose it is. Taking over an abandoned claim keeps the id of
 * what it was creating, so the retry creates that same thing, once.
 */
export async function claimIdempotencyKey(
  sql: Queryable,
  claim: IdempotencyKeyRef & { request: string; fingerprint: string; lockMs: number },
): Promise<IdempotencyClaim> {
  // The row can vanish between the two statements (its request failed and
  // released it): then the key is free, and claiming it again succeeds.
  for (let attempt = 0; attempt < 3; attempt++) {
    const { rows: claimed } = await sql.query<{ claimedAt: Date; resourceId: string | null }>({
      name: "salvo-claim-idempotency-key",
      text: `INSERT INTO idempotency_keys AS k (account_id, key, request, fingerprint, locked_until)
             VALUES ($1, $2, $3, $4, now() + $5 * interval '1 millisecond')
             ON CONFLICT (account_id, key) DO UPDATE
                SET request = excluded.request, fingerprint = excluded.fingerprint, state = 'in_progress',
                    locked_until = excluded.locked_until, status_code = NULL, body = NULL, location = NULL,
                    resource_id = CASE WHEN k.created_at < now() - ${KEY_LIFETIME} THEN NULL ELSE k.resource_id END,
                    created_at = now()
              WHERE k.created_at < now() - ${KEY_LIFETIME}
                 OR (k.state = 'in_progress' AND k.locked_until < now()
                     AND k.request = excluded.request AND k.fingerprint = excluded.fingerprint)
             RETURNING created_at AS "claimedAt", resource_id AS "resourceId"`,
      values: [claim.accountId, claim.key, claim.request, claim.fingerprint, claim.lockMs],
    });
    if (claimed[0]) return { claimed: true, ...claimed[0] };
    const { rows } = await sql.query<IdempotencyRecord>({
      name: "salvo-find-idempotency-key",
      text: `SELECT request, fingerprint, state, status_code AS "statusCode", body, location
               FROM idempotency_keys WHERE account_id = $1 AND key = $2`,
      values: [claim.accountId, claim.key],
    });
    if (rows[0]) return { claimed: false, record: rows[0] };
  }
  throw new Error("idempotency key claimed and released repeatedly; giving up");
}

/** Stores the answer of a claimed key, to be replayed. False when the claim was taken over meanwhile. */
export async function completeIdempotencyKey(
  sql: Queryable,
  ref: IdempotencyKeyRef & { claimedAt: Date },
  answer: { statusCode: number; body: string | null; location: string | null },
): Promise<boolean> {
  const { rowCount } = await sql.query(
    `UPDATE idempotency_keys SET state = 'done', status_code = $4, body = $5, location = $6
      WHERE account_id = $1 AND key = $2 AND created_at = $3 AND state = 'in_progress'`,
    [ref.accountId, ref.key, ref.claimedAt, answer.statusCode, answer.body, answer.location],
  );
  return rowCount === 1;
}

/**
 * Binds the id of what a claimed request is about to create to its key, before
 * creating it: if the process dies after the creation but before the answer is
 * stored, the retry that takes the claim over creates it under the same id,
 * which exists already, so nothing is created twice. False when the claim was
 * taken over meanwhile.
 */
export async function bindIdempotencyResource(
  sql: Queryable,
  ref: IdempotencyKeyRef & { claimedAt: Date },
  resourceId: string,
): Promise<boolean> {
  const { rowCount } = await sql.query(
    `UPDATE idempotency_keys SET resource_id = $4
      WHERE account_id = $1 AND key = $2 AND created_at = $3 AND state = 'in_progress'`,
    [ref.accountId, ref.key, ref.claimedAt, resourceId],
  );
  return rowCount === 1;
}

/** Frees a claimed key whose request failed, so that a retry runs it again. */
export async function releaseIdempotencyKey(
  sql: Queryable,
  ref: IdempotencyKeyRef & { claimedAt: Date },
): Promise<void> {
  await sql.query(
    `DELETE FROM idempotency_keys
      WHERE account_id = $1 AND key = $2 AND created_at = $3 AND state = 'in_progress'`,
    [ref.accountId, ref.key, ref.claimedAt],
  );
}

/**
 * Deletes up to `limit` keys older than 24 hours, oldest first, and returns how
 * many. A key taken over meanwhile is new again, and kept.
 */
export async function purgeExpiredIdempotencyKeys(sql: Queryable, limit = 10_000): Promise<number> {
  const { rowCount } = await sql.query(
    `DELETE FROM idempotency_keys k
      USING (SELECT account_id, key FROM idempotency_keys
              WHERE created_at < now() - ${KEY_LIFETIME} ORDER BY created_at LIMIT $1) expired
      WHERE k.account_id = expired.account_id AND k.key = expired.key
        AND k.created_at < now() - ${KEY_LIFETIME}`,
    [limit],
  );
  return rowCount ?? 0;
}
