// Periodic upkeep, one BullMQ job scheduler per task (packages/queue's
// CATALOG.maintenance.schedules). Each task reads what is to do from
// PostgreSQL and may run on any worker, late or twice: nothing here needs a lock.
import type { Store } from "@salvo/db";
import { pruneLinkRanges, type ScheduledJobName } from "@salvo/queue";
import { UnrecoverableError } from "bullmq";
import type { WorkContext } from "../context";
import { dispatchEvents } from "../dispatch-events";
import { deliverBalanceAlerts } from "./balance-alerts";
import { sweepWebhookEvents } from "./webhooks";

/** What a task uses: some of the worker's context, and of the store only repositories `R`. */
type TaskDeps<K extends keyof WorkContext, R extends keyof Store> = Pick<WorkContext, K> & {
  store: Pick<Store, R>;
};

/**
 * Nothing accepted is lost: every unfinished batch without progress for
 * `idleMs` (its job lost with a Redis restart, never enqueued because Redis was
 * down when it was accepted, or stuck behind a crash) gets its expansion job
 * again. Expansion is idempotent and jobs are keyed by batch, so re-enqueueing
 * a batch that is in fact progressing costs nothing.
 */
async function requeueStalledBatches(
  { store, batches, logger }: TaskDeps<"batches" | "logger", "batches">,
  idleMs: number,
) {
  const stalled = await store.batches.stalled(idleMs);
  await batches.addBulk(stalled.map((batchId) => ({ data: { batchId }, opts: { jobId: batchId } })));
  if (stalled.length > 0)
    logger.info({ batches: stalled.length }, "re-enqueued batches without recent progress");
}

/** Pending webhook events overdue by more than `graceMs` whose job is gone get one again. */
async function sweepOverdueWebhookEvents(ctx: TaskDeps<"webhooks" | "logger", "events">, graceMs: number) {
  const events = await sweepWebhookEvents(ctx, graceMs);
  if (events > 0) ctx.logger.info({ events }, "re-enqueued webhook events whose job was gone");
}

/** How long an upload may stop arriving before its import is deleted (an API that died mid-file). */
const ABANDONED_UPLOAD_MS = 60 * 60 * 1000;

/**
 * Nothing accepted is lost: imports queued or running without progress for
 * `idleMs` (never enqueued because Redis was down when their file came, or their
 * job lost) get their job again; a run resumes from its checkpoint. Uploads
 * abandoned mid-file are deleted.
 */
async function requeueStalledImports(
  { store, imports, logger }: TaskDeps<"imports" | "logger", "contactImports">,
  idleMs: number,
) {
  const stalled = await store.contactImports.stalled(idleMs);
  await imports.addBulk(stalled.map((importId) => ({ data: { importId }, opts: { jobId: importId } })));
  if (stalled.length > 0)
    logger.info({ imports: stalled.length }, "re-enqueued contact imports without recent progress");
  const abandoned = await store.contactImports.purgeAbandoned(ABANDONED_UPLOAD_MS);
  if (abandoned > 0)
    logger.info({ imports: abandoned }, "deleted contact imports whose file never fully arrived");
}

/** How long an expired link's range stays in Redis, answering 410 there; PostgreSQL answers it after. */
const EXPIRED_LINK_RANGE_KEPT_MS = 7 * 24 * 60 * 60 * 1000;

/** Ranges of tracked links expired over a week ago leave Redis (see pruneLinkRanges): it keeps what redirects. */
async function pruneExpiredLinkRanges({ redis, env, logger }: Pick<WorkContext, "redis" | "env" | "logger">) {
  const ranges = await pruneLinkRanges(redis, env.REDIS_PREFIX, Date.now() - EXPIRED_LINK_RANGE_KEPT_MS);
  if (ranges > 0) logger.info({ ranges }, "pruned the ranges of links expired over a week ago from Redis");
}

/** Idempotency keys past their 24 hours are deleted. */
async function purgeIdempotencyKeys({ store, logger }: TaskDeps<"logger", "idempotency">) {
  const keys = await store.idempotency.purgeExpired();
  if (keys > 0) logger.info({ keys }, "purged expired idempotency keys");
}

/** Webhook events settled more than `days` ago are deleted, with their attempts. */
async function purgeWebhookEvents({ store, logger }: TaskDeps<"logger", "events">, days: number) {
  const events = await store.events.purgeSettled(days);
  if (events > 0) logger.info({ events }, "purged webhook events past their retention");
}

/** Receipt deadlines taken in one transaction, and most such slices in one run (the rest wait for the next). */
const EXPIRY_SLICE = 10_000;
const EXPIRY_SLICES_PER_RUN = 10;

/**
 * Messages handed to a connector that awaits a final report of each (SMPP with
 * receipts asked for), still `sent` once its validity period and `graceMs` have
 * passed since their hand-off, are settled `undelivered`, reason `expired`, as a
 * receipt would settle them (counters, `dlr` webhooks); a receipt arriving later
 * changes nothing.
 */
async function expireUnreportedMessages(
  {
    store,
    webhooks,
    logger,
    stopping,
    metrics,
  }: TaskDeps<"webhooks" | "logger" | "stopping" | "metrics", "pipeline">,
  graceMs: number,
) {
  let expired = 0;
  for (let slice = 0; slice < EXPIRY_SLICES_PER_RUN && !stopping.aborted; slice++) {
    const result = await store.pipeline.expireUnreported(graceMs, EXPIRY_SLICE);
    await dispatchEvents({ webhooks, logger }, result.events);
    expired += result.expired;
    metrics.expired(result.expired);
    if (result.swept < EXPIRY_SLICE) break;
  }
  if (expired > 0) logger.info({ messages: expired }, "messages without a final report expired");
}

/**
 * Parts of long inbound messages past their keeping, and fingerprints of one-part ones
 * past their resend window, are deleted (see purgeInboundParts and
 * purgeInboundFingerprints in packages/db).
 */
async function purgeInboundParts({ store, logger }: TaskDeps<"logger", "inbound">) {
  const parts = await store.inbound.purgeParts();
  if (parts > 0) logger.info({ parts }, "purged parts of long inbound messages");
  const fingerprints = await store.inbound.purgeFingerprints();
  if (fingerprints > 0) logger.info({ fingerprints }, "purged fingerprints of inbound messages");
}

/** Rows deleted in one transaction of the data retention purge, and most such slices in one run. */
const RETENTION_SLICE = 5_000;
const RETENTION_SLICES_PER_RUN = 100;

/**
 * Accounts' data retention (see packages/db retention.ts): for each account with
 * one in effect, its messages, then its campaigns (batches), then its contact
 * lists kept past it are deleted a slice at a time, each slice its own short
 * transaction; what one run leaves (RETENTION_SLICES_PER_RUN) the next one goes on with.
 */
async function purgeExpiredData({ store, logger, stopping }: TaskDeps<"logger" | "stopping", "retention">) {
  let slices = 0;
  const deleted = { messages: 0, campaigns: 0, lists: 0 };
  const drain = async (purge: () => Promise<{ deleted: number; more: boolean }>) => {
    let total = 0;
    while (slices < RETENTION_SLICES_PER_RUN && !stopping.aborted) {
      slices++;
      const slice = await purge();
      total += slice.deleted;
      if (!slice.more) break;
    }
    return total;
  };
  for (const account of await store.retention.accounts()) {
    const { accountId, message, campaign, list } = account;
    if (message)
      deleted.messages += await drain(() =>
        store.retention.purgeMessages(accountId, message, RETENTION_SLICE),
      );
    if (campaign)
      deleted.campaigns += await drain(() =>
        store.retention.purgeCampaigns(accountId, campaign, RETENTION_SLICE),
      );
    if (list)
      deleted.lists += await drain(() => store.retention.purgeLists(accountId, list, RETENTION_SLICE));
  }
  if (deleted.messages + deleted.campaigns + deleted.lists > 0)
    logger.info({ rows: deleted }, "deleted data kept past its account's retention");
}

/**
 * Runs the scheduled job of that name. Grace periods are two of the worker's
 * RECONCILE_INTERVAL_MS, the tasks' period: a batch or event is only taken
 * once it has missed a whole run.
 */
export function runScheduledJob(
  ctx: TaskDeps<
    "env" | "redis" | "batches" | "webhooks" | "imports" | "logger" | "stopping" | "mailer" | "metrics",
    | "batches"
    | "events"
    | "idempotency"
    | "pipeline"
    | "inbound"
    | "contactImports"
    | "balanceAlerts"
    | "retention"
  >,
  name: string,
): Promise<void> {
  const graceMs = ctx.env.RECONCILE_INTERVAL_MS * 2;
  const tasks: Record<ScheduledJobName, () => Promise<void>> = {
    "requeue-stalled-batches": () => requeueStalledBatches(ctx, graceMs),
    "sweep-webhook-events": () => sweepOverdueWebhookEvents(ctx, graceMs),
    "purge-idempotency-keys": () => purgeIdempotencyKeys(ctx),
    "purge-webhook-events": () => purgeWebhookEvents(ctx, ctx.env.WEBHOOK_RETENTION_DAYS),
    "expire-unreported-messages": () => expireUnreportedMessages(ctx, ctx.env.EXPIRY_GRACE_MS),
    "purge-inbound-parts": () => purgeInboundParts(ctx),
    "requeue-stalled-imports": () => requeueStalledImports(ctx, graceMs),
    "prune-link-ranges": () => pruneExpiredLinkRanges(ctx),
    "deliver-balance-alerts": async () => {
      await deliverBalanceAlerts(ctx);
    },
    "purge-expired-data": () => purgeExpiredData(ctx),
  };
  const task = tasks[name as ScheduledJobName];
  // A job of a name this worker does not know (an older or newer worker's) can never succeed here.
  if (task === undefined) throw new UnrecoverableError(`unknown scheduled job: ${name}`);
  return task();
}
