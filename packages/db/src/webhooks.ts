// An account's webhooks, the delivery of their events (the outbox written by
// events.ts) and the log of every attempt.
import { LimitReachedError, NotFoundError, pageCount, pageWindow, type WebhookFormat } from "@salvo/core";
import { accountPage } from "./page";
import { atomically, type Queryable } from "./sql";

/** The most webhooks one account may have. */
const MAX_WEBHOOKS_PER_ACCOUNT = 20;

/** A webhook as its owner sees it: never its secret, which is shown once, when created. */
export interface Webhook {
  id: string;
  accountId: string;
  url: string;
  events: string[];
  /** How its requests are written: `salvo`, `smsfactor` or `sofy` (WEBHOOK_FORMATS). */
  format: WebhookFormat;
  enabled: boolean;
  disabledReason: string | null;
  disabledAt: Date | null;
  failingSince: Date | null;
  createdAt: Date;
  /** Its number for SMSFactor clients (bigint, as node-postgres reads it: a decimal string). */
  numericId: string;
}

const WEBHOOK_COLUMNS = `id, account_id AS "accountId", url, events, format, enabled, disabled_reason AS "disabledReason",
  disabled_at AS "disabledAt", failing_since AS "failingSince", created_at AS "createdAt", numeric_id AS "numericId"`;

/**
 * Stores a new webhook, unless the account already has MAX_WEBHOOKS_PER_ACCOUNT
 * (counted under a lock on the account's row, so concurrent requests cannot pass it).
 * Returns it with its secret; one already stored under this id (an idempotent
 * request retried after its answer was lost) is returned as it was stored.
 */
export async function createWebhook(
  sql: Queryable,
  input: {
    id: string;
    accountId: string;
    url: string;
    events: string[];
    secret: string;
    format?: WebhookFormat;
  },
): Promise<{ webhook: Webhook; secret: string }> {
  return atomically(sql, async (client) => {
    await client.query("SELECT 1 FROM accounts WHERE id = $1 FOR UPDATE", [input.accountId]);
    // Created already under this id: an idempotent request retried after a crash
    // that lost its answer. It gets the webhook (and secret) the first attempt made.
    const { rows: existing } = await client.query<Webhook & { secret: string }>(
      `SELECT ${WEBHOOK_COLUMNS}, secret FROM webhooks WHERE id = $1 AND account_id = $2`,
      [input.id, input.accountId],
    );
    if (existing[0]) {
      const { secret, ...webhook } = existing[0];
      return { webhook, secret };
    }
    const { rows: counted } = await client.query<{ total: number }>(
      "SELECT count(*)::int AS total FROM webhooks WHERE account_id = $1",
      [input.accountId],
    );
    if ((counted[0]?.total ?? 0) >= MAX_WEBHOOKS_PER_ACCOUNT) {
      throw new LimitReachedError(
        `An account may have at most ${MAX_WEBHOOKS_PER_ACCOUNT} webhooks: delete one first.`,
      );
    }
    const { rows } = await client.query<Webhook>(
      `INSERT INTO webhooks (id, account_id, url, events, secret, format) VALUES ($1, $2, $3, $4, $5, $6)
       RETURNING ${WEBHOOK_COLUMNS}`,
      [input.id, input.accountId, input.url, input.events, input.secret, input.format ?? "salvo"],
    );
    return { webhook: rows[0] as Webhook, secret: input.secret };
  });
}

/**
 * Rewrites the stored secret of every webhook for which `reseal` returns a new
 * form (null: keep it), 500 webhooks at a time, and returns how many changed.
 * A row changed meanwhile (deleted, or created with the new key) is left as it is.
 */
export async function resealWebhookSecrets(
  sql: Queryable,
  reseal: (stored: string, webhookId: string) => string | null,
): Promise<number> {
  let changed = 0;
  for (let after = ""; ; ) {
    const { rows } = await sql.query<{ id: string; secret: string }>(
      "SELECT id, secret FROM webhooks WHERE id > $1 ORDER BY id LIMIT 500",
      [after],
    );
    if (rows.length === 0) return changed;
    const updates = rows.flatMap(({ id, secret }) => {
      const resealed = reseal(secret, id);
      return resealed === null ? [] : [{ id, secret, resealed }];
    });
    if (updates.length > 0) {
      const { rowCount } = await sql.query(
        `UPDATE webhooks w SET secret = u.resealed
           FROM unnest($1::text[], $2::text[], $3::text[]) AS u(id, secret, resealed)
          WHERE w.id = u.id AND w.secret = u.secret`,
        [updates.map((u) => u.id), updates.map((u) => u.secret), updates.map((u) => u.resealed)],
      );
      changed += rowCount ?? 0;
    }
    after = (rows.at(-1) as { id: string }).id;
  }
}

/** One page of an account's webhooks, newest first. */
export async function listWebhooks(sql: Queryable, accountId: string, page: number) {
  const { rows, pages } = await accountPage<Webhook>(sql, {
    table: "webhooks",
    columns: WEBHOOK_COLUMNS,
    orderBy: "created_at DESC, id DESC",
    accountId,
    page,
  });
  return { webhooks: rows, pages };
}

/** The account's webhook with this id; another account's is not found. */
export async function findWebhook(sql: Queryable, accountId: string, id: string): Promise<Webhook> {
  const { rows } = await sql.query<Webhook>(
    `SELECT ${WEBHOOK_COLUMNS} FROM webhooks WHERE id = $1 AND account_id = $2`,
    [id, accountId],
  );
  if (!rows[0]) throw new NotFoundError(`No webhook ${id}.`);
  return rows[0];
}

/**
 * Deletes a webhook with its events and their attempts. Events still queued find
 * nothing to deliver when their turn comes.
 */
export async function deleteWebhook(sql: Queryable, accountId: string, id: string): Promise<void> {
  const { rowCount } = await sql.query("DELETE FROM webhooks WHERE id = $1 AND account_id = $2", [
    id,
    accountId,
  ]);
  if (!rowCount) throw new NotFoundError(`No webhook ${id}.`);
}

/** Enables a webhook again (after it was disabled for failing): new events are delivered to it. */
export async function enableWebhook(sql: Queryable, accountId: string, id: string): Promise<Webhook> {
  const { rows } = await sql.query<Webhook>(
    `UPDATE webhooks SET enabled = true, disabled_reason = NULL, disabled_at = NULL, failing_since = NULL
      WHERE id = $1 AND account_id = $2 RETURNING ${WEBHOOK_COLUMNS}`,
    [id, accountId],
  );
  if (!rows[0]) throw new NotFoundError(`No webhook ${id}.`);
  return rows[0];
}

/**
 * The account's webhooks of one format, oldest first, each with its stored
 * (sealed) secret: what SMSFactor's `GET /webhook` lists, signatures included.
 */
export async function listWebhooksOfFormat(
  sql: Queryable,
  accountId: string,
  format: WebhookFormat,
): Promise<(Webhook & { secret: string })[]> {
  const { rows } = await sql.query<Webhook & { secret: string }>(
    `SELECT ${WEBHOOK_COLUMNS}, secret FROM webhooks WHERE account_id = $1 AND format = $2
      ORDER BY created_at, id`,
    [accountId, format],
  );
  return rows;
}

/**
 * Changes a webhook of this format: its URL, events and stored secret (each
 * when given). Another account's, or one of another format, is not found.
 * Returns it with its stored secret.
 */
export async function updateWebhook(
  sql: Queryable,
  accountId: string,
  id: string,
  format: WebhookFormat,
  change: { url?: string; events?: string[]; secret?: string },
): Promise<Webhook & { secret: string }> {
  const { rows } = await sql.query<Webhook & { secret: string }>(
    `UPDATE webhooks SET url = COALESCE($4, url), events = COALESCE($5, events), secret = COALESCE($6, secret)
      WHERE id = $1 AND account_id = $2 AND format = $3 RETURNING ${WEBHOOK_COLUMNS}, secret`,
    [id, accountId, format, change.url ?? null, change.events ?? null, change.secret ?? null],
  );
  if (!rows[0]) throw new NotFoundError(`No webhook ${id}.`);
  return rows[0];
}

/**
 * Pauses a webhook on its owner's demand (SMSFactor's `paused`): disabled, with
 * `reason`; events are no longer written for it. enableWebhook resumes it.
 */
export async function disableWebhook(
  sql: Queryable,
  accountId: string,
  id: string,
  reason: string,
): Promise<Webhook> {
  const { rows } = await sql.query<Webhook>(
    `UPDATE webhooks SET enabled = false, disabled_reason = $3, disabled_at = COALESCE(disabled_at, now())
      WHERE id = $1 AND account_id = $2 RETURNING ${WEBHOOK_COLUMNS}`,
    [id, accountId, reason],
  );
  if (!rows[0]) throw new NotFoundError(`No webhook ${id}.`);
  return rows[0];
}

/** The HTTP status of a webhook's latest delivery attempt, null when none answered or none was made. */
export async function lastWebhookStatusCodes(
  sql: Queryable,
  webhookIds: string[],
): Promise<Map<string, number | null>> {
  const { rows } = await sql.query<{ webhookId: string; statusCode: number | null }>(
    `SELECT w.id AS "webhookId",
            (SELECT a.status_code FROM webhook_attempts a WHERE a.webhook_id = w.id
              ORDER BY a.attempted_at DESC, a.id DESC LIMIT 1) AS "statusCode"
       FROM unnest($1::text[]) AS w(id)`,
    [webhookIds],
  );
  return new Map(rows.map((row) => [row.webhookId, row.statusCode]));
}

/** One delivery attempt, with the event it was for. */
export interface WebhookAttempt {
  id: string;
  eventId: string;
  eventType: string;
  eventState: "pending" | "delivered" | "failed";
  attemptedAt: Date;
  statusCode: number | null;
  durationMs: number;
  error: string | null;
  /** The start of the answer's body; null when there was no answer. */
  responseBody: string | null;
  /** Whether the answer's body was longer than `responseBody`. */
  responseTruncated: boolean;
  responseContentType: string | null;
}

/** One page of a webhook's delivery attempts, newest first. */
export async function listWebhookAttempts(
  sql: Queryable,
  accountId: string,
  webhookId: string,
  page: number,
) {
  await findWebhook(sql, accountId, webhookId);
  const { skip, take } = pageWindow(page);
  const [counted, listed] = await Promise.all([
    sql.query<{ total: number }>(
      "SELECT count(*)::int AS total FROM webhook_attempts WHERE webhook_id = $1",
      [webhookId],
    ),
    sql.query<WebhookAttempt>(
      `SELECT a.id::text AS id, a.event_id AS "eventId", e.type AS "eventType", e.state AS "eventState",
              a.attempted_at AS "attemptedAt", a.status_code AS "statusCode", a.duration_ms AS "durationMs", a.error,
              a.response_body AS "responseBody", a.response_truncated AS "responseTruncated",
              a.response_content_type AS "responseContentType"
         FROM webhook_attempts a JOIN webhook_events e ON e.id = a.event_id
        WHERE a.webhook_id = $1
        ORDER BY a.attempted_at DESC, a.id DESC LIMIT $2 OFFSET $3`,
      [webhookId, take, skip],
    ),
  ]);
  return { attempts: listed.rows, pages: pageCount(counted.rows[0]?.total ?? 0) };
}

/** An event to deliver, with where to and how to sign it. */
export interface EventForDelivery {
  id: string;
  type: string;
  payload: string;
  state: "pending" | "delivered" | "failed";
  attempts: number;
  webhookId: string;
  accountId: string;
  url: string;
  secret: string;
  format: WebhookFormat;
  enabled: boolean;
}

/** The event and its webhook, or null when either is gone. */
export async function loadEventForDelivery(
  sql: Queryable,
  eventId: string,
): Promise<EventForDelivery | null> {
  const { rows } = await sql.query<EventForDelivery>(
    `SELECT e.id, e.type, e.payload, e.state, e.attempts, w.id AS "webhookId", w.account_id AS "accountId",
            w.url, w.secret, w.format, w.enabled
       FROM webhook_events e JOIN webhooks w ON w.id = e.webhook_id
      WHERE e.id = $1`,
    [eventId],
  );
  return rows[0] ?? null;
}

/** Gives up on a pending event without an attempt (its webhook was disabled). */
export async function failWebhookEvent(sql: Queryable, eventId: string): Promise<void> {
  await sql.query(
    "UPDATE webhook_events SET state = 'failed', updated_at = now() WHERE id = $1 AND state = 'pending'",
    [eventId],
  );
}

interface AttemptRecord {
  eventId: string;
  webhookId: string;
  attemptedAt: Date;
  statusCode: number | null;
  durationMs: number;
  error: string | null;
  /** The start of the answer (bounded by the sender); null when there was none. */
  response: { body: string; truncated: boolean; contentType: string | null } | null;
  delivered: boolean;
  /** Attempts an event gets in all: after the last one fails, it is failed. */
  maxAttempts: number;
  /** A webhook failing every delivery for longer than this is disabled. */
  disableAfterMs: number;
  /** The delay before the next attempt, if there is one. */
  retryInMs: number;
}

/**
 * What became of an event after an attempt: `delivered`; `retry` later;
 * `failed` (that was its last attempt); `disabled` (its webhook had failed for
 * too long and was disabled, failing all its pending events); or `gone` (deleted,
 * or settled meanwhile: nothing was recorded).
 */
export type AttemptVerdict =
  | { kind: "delivered" | "failed" | "gone"; attempts: number }
  | { kind: "retry"; attempts: number }
  | { kind: "disabled"; attempts: number; reason: string };

/**
 * Records one attempt and its consequences in one transaction: the attempt's
 * row, the event's count and state, and the webhook's run of failures (set at
 * the first failure, cleared by any success; too long a run disables it).
 */
export async function recordWebhookAttempt(sql: Queryable, attempt: AttemptRecord): Promise<AttemptVerdict> {
  return atomically(sql, async (client) => {
    const { rows: events } = await client.query<{ attempts: number }>(
      `UPDATE webhook_events SET attempts = attempts + 1, updated_at = now()
        WHERE id = $1 AND state = 'pending' RETURNING attempts`,
      [attempt.eventId],
    );
    const attempts = events[0]?.attempts;
    if (attempts === undefined) return { kind: "gone", attempts: 0 };
    await client.query(
      `INSERT INTO webhook_attempts (event_id, webhook_id, attempted_at, status_code, duration_ms, error,
                                     response_body, response_truncated, response_content_type)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
      [
        attempt.eventId,
        attempt.webhookId,
        attempt.attemptedAt,
        attempt.statusCode,
        attempt.durationMs,
        attempt.error,
        attempt.response?.body ?? null,
        attempt.response?.truncated ?? false,
        attempt.response?.contentType ?? null,
      ],
    );

    if (attempt.delivered) {
      await client.query("UPDATE webhook_events SET state = 'delivered' WHERE id = $1", [attempt.eventId]);
      await client.query(
        "UPDATE webhooks SET failing_since = NULL WHERE id = $1 AND failing_since IS NOT NULL",
        [attempt.webhookId],
      );
      return { kind: "delivered", attempts };
    }

    const { rows: failing } = await client.query<{ enabled: boolean; tooLong: boolean }>(
      `UPDATE webhooks SET failing_since = coalesce(failing_since, now()) WHERE id = $1
       RETURNING enabled, failing_since < now() - make_interval(secs => $2) AS "tooLong"`,
      [attempt.webhookId, attempt.disableAfterMs / 1000],
    );
    if (failing[0]?.enabled && failing[0].tooLong) {
      const reason = `failed every delivery for ${duration(attempt.disableAfterMs)}; last error: ${attempt.error}`;
      await client.query(
        "UPDATE webhooks SET enabled = false, disabled_reason = $2, disabled_at = now() WHERE id = $1",
        [attempt.webhookId, reason],
      );
      await client.query(
        "UPDATE webhook_events SET state = 'failed', updated_at = now() WHERE webhook_id = $1 AND state = 'pending'",
        [attempt.webhookId],
      );
      return { kind: "disabled", attempts, reason };
    }
    if (attempts >= attempt.maxAttempts) {
      await client.query("UPDATE webhook_events SET state = 'failed' WHERE id = $1", [attempt.eventId]);
      return { kind: "failed", attempts };
    }
    await client.query(
      "UPDATE webhook_events SET next_attempt_at = now() + make_interval(secs => $2) WHERE id = $1",
      [attempt.eventId, attempt.retryInMs / 1000],
    );
    return { kind: "retry", attempts };
  });
}

/** "24 hours", "90 minutes", "300 ms": a delay as a disabled webhook's reason says it. */
function duration(ms: number): string {
  const units: [number, string][] = [
    [3_600_000, "hour"],
    [60_000, "minute"],
    [1_000, "second"],
  ];
  for (const [size, name] of units) {
    if (ms >= size && ms % size === 0) return `${ms / size} ${name}${ms === size ? "" : "s"}`;
  }
  return `${ms} ms`;
}

/**
 * Pending events whose attempt is overdue by more than `graceMs`: their job was
 * probably lost (a Redis restart), or never enqueued (Redis was down when the
 * event was written). Oldest first.
 */
export async function overdueWebhookEvents(
  sql: Queryable,
  graceMs: number,
  limit = 1_000,
): Promise<string[]> {
  const { rows } = await sql.query<{ id: string }>(
    `SELECT id FROM webhook_events
      WHERE state = 'pending' AND next_attempt_at < now() - make_interval(secs => $1)
      ORDER BY next_attempt_at LIMIT $2`,
    [graceMs / 1000, limit],
  );
  return rows.map((row) => row.id);
}

/**
 * Deletes up to `limit` settled events (delivered, or failed for good) whose last
 * attempt was due more than `days` ago, with their attempts; returns how many.
 * Without it, every delivery report of every campaign would stay in
 * `webhook_events` for ever. Runs on the (state, next_attempt_at) index.
 */
export async function purgeSettledWebhookEvents(
  sql: Queryable,
  days: number,
  limit = 10_000,
): Promise<number> {
  const { rowCount } = await sql.query(
    `DELETE FROM webhook_events e
      USING (SELECT id FROM webhook_events
              WHERE state IN ('delivered', 'failed') AND next_attempt_at < now() - make_interval(days => $1)
              LIMIT $2) settled
      WHERE e.id = settled.id`,
    [days, limit],
  );
  return rowCount ?? 0;
}
