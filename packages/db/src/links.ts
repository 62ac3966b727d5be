// Tracked short links: the ranges of link ids batches take, the clicks on them,
// and what a batch's links were clicked. See @salvo/core links.ts for the codes.
import { LINK_ID_LIMIT, messageIdSql, NotFoundError } from "@salvo/core";
import { eventFanOut, isoTimestamp } from "./outbox";
import type { Queryable } from "./sql";

/**
 * Takes `count` consecutive link ids for a batch, in one short statement of its
 * own, before the batch's acceptance: a batch that is then refused (credits)
 * leaves a gap, which is harmless. Also returns the secret that keys the codes.
 */
export async function allocateLinkIds(
  sql: Queryable,
  count: number,
): Promise<{ base: number; secret: string }> {
  const { rows } = await sql.query<{ base: number; secret: string }>({
    name: "salvo-allocate-link-ids",
    text: `UPDATE link_counter SET next_id = next_id + $1
            RETURNING (next_id - $1)::float8 AS base, secret::text AS secret`,
    values: [count],
  });
  const row = rows[0];
  if (!row) throw new Error("the link_counter table has no row: run the migrations");
  if (row.base + count > LINK_ID_LIMIT) throw new Error("this installation has used every link id");
  return row;
}

/** The secret that keys link codes (see allocateLinkIds). */
export async function findLinkSecret(sql: Queryable): Promise<string> {
  const { rows } = await sql.query<{ secret: string }>("SELECT secret::text AS secret FROM link_counter");
  const row = rows[0];
  if (!row) throw new Error("the link_counter table has no row: run the migrations");
  return row.secret;
}

/** A batch's range of link ids and what a redirect needs of it. */
interface LinkRange {
  batchId: string;
  accountId: string;
  /** The first link id of the batch. */
  base: number;
  /** Link ids in the range: messages × URLs. */
  size: number;
  urls: string[];
  expiresAt: Date;
}

/**
 * The batch whose range holds link id `id` (the greatest link_base not above it,
 * by its index), or null when none does. Only the redirect's fallback when Redis
 * does not know the range.
 */
export async function findLinkRange(sql: Queryable, id: number): Promise<LinkRange | null> {
  const { rows } = await sql.query<LinkRange>({
    name: "salvo-find-link-range",
    text: `SELECT id AS "batchId", account_id AS "accountId", link_base::float8 AS base,
                  total * cardinality(link_urls) AS size, link_urls AS urls, links_expire_at AS "expiresAt"
             FROM batches WHERE link_base <= $1 ORDER BY link_base DESC LIMIT 1`,
    values: [id],
  });
  const range = rows[0];
  return range && id < range.base + range.size ? range : null;
}

/** A click as the redirect saw it, once its user agent is read. */
interface Click {
  /** Made by the API for the click's job: a retried job records it once. */
  id: string;
  batchId: string;
  idx: number;
  urlIndex: number;
  accountId: string;
  at: Date;
  /** The short link clicked, for the event. */
  shortUrl: string;
  bot: boolean;
  device: string | null;
  os: string | null;
  browser: string | null;
  /** The device's maker and model as the user agent names them (`Apple`, `iPhone`), when it does. */
  brand?: string | null;
  model?: string | null;
  /** The client's address truncated (/24, IPv6 /48); null when unknown. */
  ipPrefix: string | null;
}

// A message.clicked event for a human click the `click` CTE recorded.
const CLICKED_EVENTS = eventFanOut(
  "message.clicked",
  `(SELECT c.account_id, json_build_object(
      'message_id', ${messageIdSql("c.batch_id", "c.idx")},
      'batch_id', CASE WHEN b.single THEN NULL ELSE b.id END,
      'to', m."to", 'url', b.link_urls[c.url_index + 1], 'short_url', $12::text,
      'first_click', EXISTS (SELECT 1 FROM first_click),
      'device', c.device, 'os', c.os, 'browser', c.browser, 'brand', $13::text, 'model', $14::text,
      -- Humans' clicks on this link of this message, this one included (SMSFactor's clicks_on_link).
      'clicks', 1 + (SELECT count(*) FROM link_clicks k
                      WHERE k.batch_id = c.batch_id AND k.idx = c.idx AND k.url_index = c.url_index AND NOT k.bot),
      'at', ${isoTimestamp("c.clicked_at")}) AS data
     FROM click c JOIN batches b ON b.id = c.batch_id
     LEFT JOIN messages m ON m.batch_id = c.batch_id AND m.idx = c.idx
    WHERE NOT c.bot)`,
);

/**
 * Records a click, in one statement: its row (once: a click already recorded
 * changes nothing); for a human's, its message's first click (message_clicks)
 * and then the batch's `clicked` counter, and a `message.clicked` event. Returns
 * whether it was new and the ids of the events written.
 */
export async function recordClick(
  sql: Queryable,
  click: Click,
): Promise<{ recorded: boolean; events: string[] }> {
  const { rows } = await sql.query<{ recorded: boolean; events: string[] }>({
    name: "salvo-record-click",
    text: `WITH click AS (
             INSERT INTO link_clicks (id, batch_id, idx, url_index, account_id, clicked_at, bot, device, os, browser, ip_prefix)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
             ON CONFLICT (id) DO NOTHING RETURNING *
           ), first_click AS (
             INSERT INTO message_clicks (batch_id, idx, first_clicked_at)
             SELECT batch_id, idx, clicked_at FROM click WHERE NOT bot
             ON CONFLICT DO NOTHING RETURNING batch_id
           ), counted AS (
             UPDATE batches SET clicked = clicked + 1 WHERE id = (SELECT batch_id FROM first_click) RETURNING id
           ), events AS (${CLICKED_EVENTS})
           SELECT EXISTS (SELECT 1 FROM click) AS recorded, ARRAY(SELECT id FROM events) AS events,
                  (SELECT count(*) FROM counted) AS counted`,
    values: [
      click.id,
      click.batchId,
      click.idx,
      click.urlIndex,
      click.accountId,
      click.at,
      click.bot,
      click.device,
      click.os,
      click.browser,
      click.ipPrefix,
      click.shortUrl,
      click.brand ?? null,
      click.model ?? null,
    ],
  });
  const row = rows[0];
  return { recorded: row?.recorded ?? false, events: row?.events ?? [] };
}

/** One URL of a batch's links and how it was clicked. */
interface LinkStats {
  /** Its slot in the body, from 0. */
  index: number;
  url: string;
  /** Clicks by humans. */
  clicks: number;
  /** Messages whose link to it a human clicked. */
  uniqueClicks: number;
  /** Clicks by link previewers and crawlers. */
  botClicks: number;
}

/**
 * The account's batch's links, URL by URL, with their clicks; another account's
 * batch, or a single message's, is not found. A batch without links has none.
 */
export async function batchLinkStats(
  sql: Queryable,
  accountId: string,
  batchId: string,
): Promise<{ expiresAt: Date | null; links: LinkStats[] }> {
  const batch = await sql.query<{ expiresAt: Date | null }>(
    `SELECT links_expire_at AS "expiresAt" FROM batches WHERE id = $1 AND account_id = $2 AND NOT single`,
    [batchId, accountId],
  );
  const found = batch.rows[0];
  if (!found) throw new NotFoundError(`No batch ${batchId}.`);
  const { rows } = await sql.query<LinkStats>(
    `SELECT (u.n - 1)::int AS index, u.url,
            count(c.id) FILTER (WHERE NOT c.bot)::int AS clicks,
            count(DISTINCT c.idx) FILTER (WHERE NOT c.bot)::int AS "uniqueClicks",
            count(c.id) FILTER (WHERE c.bot)::int AS "botClicks"
       FROM batches b CROSS JOIN unnest(b.link_urls) WITH ORDINALITY AS u(url, n)
       LEFT JOIN link_clicks c ON c.batch_id = b.id AND c.url_index = u.n - 1
      WHERE b.id = $1
      GROUP BY u.n, u.url ORDER BY u.n`,
    [batchId],
  );
  return { expiresAt: found.expiresAt, links: rows };
}
