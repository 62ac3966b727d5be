import { randomUUID } from "node:crypto";
import { parseMessageId } from "@salvo/core";
import { type Job, Queue, type QueueOptions, UnrecoverableError, Worker, type WorkerOptions } from "bullmq";
import { z } from "zod";
import { hashTag, redisKey } from "./keys";
import type { RedisClient } from "./redis";

/**
 * Salvo's queues and the payload of each job. Names are part of the data in
 * Redis: renaming a queue needs a migration. Jobs carry ids, never bulk data:
 * workers read the rest from PostgreSQL.
 */
export const QUEUES = {
  /** One job per batch: judge its numbers (invalid, duplicated) and enqueue its chunks. */
  batches: "batches",
  /** One job per chunk of a batch: filter, hand off and record its messages. */
  chunks: "chunks",
  /** Delivery reports from providers, applied in bulk. */
  deliveries: "deliveries",
  /** One job per webhook event (an outbox row in PostgreSQL): post it, signed, until it is delivered. */
  webhooks: "webhooks",
  /** Periodic upkeep, one job scheduler per task (see CATALOG.maintenance.schedules). */
  maintenance: "maintenance",
  /** One job per import of a CSV file into a contact list (its parts are in PostgreSQL). */
  imports: "imports",
  /** One job per click on a tracked short link, added by the redirect: recorded, counted, its event written. */
  clicks: "clicks",
} as const;

export const expandBatchJob = z.object({ batchId: z.string().min(1) });

export const sendChunkJob = z.object({ batchId: z.string().min(1), chunk: z.number().int().min(0) });

/**
 * Delivery reports, grouped by batch and time, each entry `[position in the batch,
 * status, reason, provider's code]`: a quarter of the size of one object per
 * report, which matters with a million reports queued at once.
 */
export const deliveryReportsJob = z.object({
  groups: z.array(
    z.object({
      batchId: z.string(),
      /** The connector that reported them, for metrics (absent in jobs queued before it was recorded). */
      connector: z.string().optional(),
      at: z.number(),
      entries: z.array(
        z.tuple([
          z.number().int().min(0),
          z.enum(["delivered", "undelivered"]),
          z.string().nullable(),
          z.string().nullable(),
        ]),
      ),
    }),
  ),
  /**
   * Reports that name the provider's id instead of Salvo's (SMPP receipts), by
   * connector and time, each entry `[ids, status, reason, provider's code]`: the id
   * as the report wrote it, then other spellings of it (hex ↔ decimal).
   */
  byProviderId: z
    .array(
      z.object({
        connector: z.string(),
        at: z.number(),
        entries: z.array(
          z.tuple([
            z.array(z.string()).min(1),
            z.enum(["delivered", "undelivered"]),
            z.string().nullable(),
            z.string().nullable(),
          ]),
        ),
      }),
    )
    .default([]),
  /** How many times these reports found no message yet (they are retried briefly). */
  attempt: z.number().int().min(0).default(0),
});

/** The import's row and its file's parts hold everything else. */
const contactImportJob = z.object({ importId: z.string().min(1) });

/** The event's row holds everything else: its webhook, its exact body, its state. */
export const webhookEventJob = z.object({ eventId: z.string().min(1) });

/**
 * A click as the redirect saw it: which link (decoded), when, the user agent
 * (read by the worker) and the address already truncated (/24, IPv6 /48).
 */
export const clickJob = z.object({
  clickId: z.string().min(1),
  batchId: z.string().min(1),
  accountId: z.string().min(1),
  idx: z.number().int().min(0),
  urlIndex: z.number().int().min(0),
  shortUrl: z.string(),
  at: z.number(),
  userAgent: z.string().max(1_024),
  ipPrefix: z.string().nullable(),
});

/** Every scheduled job's payload: its name says what to do, the worker's settings how. */
const scheduledJob = z.object({});

/**
 * The settings a catalog entry may name instead of a fixed value: the worker's
 * environment supplies them (apps/worker/src/env.ts), so operators tune them
 * without a code change.
 */
export interface CatalogSettings {
  WORKER_CONCURRENCY: number;
  WEBHOOK_CONCURRENCY: number;
  RECONCILE_INTERVAL_MS: number;
  JOB_LOCK_MS: number;
}
type Setting = keyof CatalogSettings;

interface CatalogEntry {
  /** Checked when a job is enqueued and again when it is taken. */
  payload: z.ZodType;
  /** Runs of a job before it fails for good; the backoff spaces them. */
  attempts: number;
  backoff: { type: "exponential"; delay: number } | { type: string };
  /** Jobs one worker process runs at once. */
  concurrency: number | Setting;
  /**
   * How long a job stays owned by a worker that stopped renewing its lock
   * (killed, frozen) before another takes it over; stalls are checked three
   * times per lock period and never fail a job.
   */
  lockMs: Setting;
  /**
   * Periodic work: one BullMQ job scheduler per entry (id = job name), upserted by
   * every worker at start; Redis makes one job per period across the fleet.
   */
  schedules?: Record<string, { every: Setting }>;
}

/**
 * A webhook event is retried on the worker's schedule (WEBHOOK_RETRY_SCHEDULE_MS)
 * by the custom backoff of that name, given to the webhooks consumer. The
 * processor decides when an event has had its last attempt: `attempts` here is
 * only a ceiling, for jobs that keep failing for other reasons (PostgreSQL down).
 */
const WEBHOOK_BACKOFF = "webhook";
const exponential = { type: "exponential", delay: 1_000 } as const;

/** Each queue's jobs: payload, retries, concurrency, locks and, for periodic work, schedules. */
export const CATALOG = {
  [QUEUES.batches]: {
    payload: expandBatchJob,
    attempts: 20,
    backoff: exponential,
    // Many at once: expanding a small batch is a few queries, and while one big
    // batch is being expanded, small ones must not queue up behind each other.
    concurrency: 16,
    lockMs: "JOB_LOCK_MS",
  },
  [QUEUES.chunks]: {
    payload: sendChunkJob,
    attempts: 20,
    backoff: exponential,
    concurrency: "WORKER_CONCURRENCY",
    lockMs: "JOB_LOCK_MS",
  },
  [QUEUES.deliveries]: {
    payload: deliveryReportsJob,
    attempts: 20,
    backoff: exponential,
    concurrency: 2,
    lockMs: "JOB_LOCK_MS",
  },
  // A consumer of its own: slow receivers hold only webhook slots, never chunks.
  [QUEUES.webhooks]: {
    payload: webhookEventJob,
    attempts: 100,
    backoff: { type: WEBHOOK_BACKOFF },
    concurrency: "WEBHOOK_CONCURRENCY",
    lockMs: "JOB_LOCK_MS",
  },
  [QUEUES.maintenance]: {
    payload: scheduledJob,
    // A failed run is not retried: the next period's run does the same work.
    attempts: 1,
    backoff: exponential,
    // One slot per scheduled job, so a long purge never delays the others.
    concurrency: 10,
    lockMs: "JOB_LOCK_MS",
    // Each is safe to run at any time, on any worker, twice: they read what is
    // to do from PostgreSQL (and BullMQ's job ids make re-enqueueing harmless).
    schedules: {
      /** Unfinished batches without progress for two intervals get their expansion job again. */
      "requeue-stalled-batches": { every: "RECONCILE_INTERVAL_MS" },
      /** Pending webhook events overdue by two intervals and without a job get one again. */
      "sweep-webhook-events": { every: "RECONCILE_INTERVAL_MS" },
      /** Idempotency keys past their 24 hours are deleted. */
      "purge-idempotency-keys": { every: "RECONCILE_INTERVAL_MS" },
      /** Webhook events settled longer ago than WEBHOOK_RETENTION_DAYS are deleted. */
      "purge-webhook-events": { every: "RECONCILE_INTERVAL_MS" },
      /** Messages still `sent` past their connector's validity period and EXPIRY_GRACE_MS become `undelivered` (`expired`). */
      "expire-unreported-messages": { every: "RECONCILE_INTERVAL_MS" },
      /** Parts of long inbound messages completed over an hour ago, or never completed in 24 hours, are deleted. */
      "purge-inbound-parts": { every: "RECONCILE_INTERVAL_MS" },
      /** Imports queued or running without progress for two intervals get their job again; abandoned uploads are deleted. */
      "requeue-stalled-imports": { every: "RECONCILE_INTERVAL_MS" },
      /** Ranges of tracked links expired over a week ago are removed from Redis (PostgreSQL answers their 410). */
      "prune-link-ranges": { every: "RECONCILE_INTERVAL_MS" },
      /** Balance alerts by e-mail and SMS (notices written by the debit that crossed) are delivered. */
      "deliver-balance-alerts": { every: "RECONCILE_INTERVAL_MS" },
      /** Accounts' data retention: their messages, batches and contact lists kept past it are deleted, in slices. */
      "purge-expired-data": { every: "RECONCILE_INTERVAL_MS" },
    },
  },
  [QUEUES.imports]: {
    payload: contactImportJob,
    attempts: 20,
    backoff: exponential,
    // An import keeps a core busy (parsing, number judging): two at a time per worker
    // leave room for sends; the others wait their turn.
    concurrency: 2,
    lockMs: "JOB_LOCK_MS",
  },
  // One PostgreSQL statement a job; a few at once keep up with bursts of clicks.
  [QUEUES.clicks]: {
    payload: clickJob,
    attempts: 20,
    backoff: exponential,
    concurrency: 16,
    lockMs: "JOB_LOCK_MS",
  },
} as const satisfies Record<QueueName, CatalogEntry>;

type QueueName = (typeof QUEUES)[keyof typeof QUEUES];
export type Payload<Q extends QueueName> = z.infer<(typeof CATALOG)[Q]["payload"]>;
/** The name (and scheduler id) of each periodic job. */
export type ScheduledJobName = keyof (typeof CATALOG)["maintenance"]["schedules"];

/**
 * BullMQ's key prefix for one queue: `<REDIS_PREFIX>:q:{<queue>}`, so its keys
 * read `salvo:q:{chunks}:chunks:wait`. BullMQ's scripts touch many keys of a
 * queue at once: the hash tag keeps them in one Redis Cluster slot, and a tag per
 * queue spreads the queues over the cluster's nodes. A job scheduler's keys are
 * its queue's (`…:maintenance:repeat:<id>`), so they share that slot.
 */
export function queuePrefix(prefix: string, queue: QueueName): string {
  return redisKey(prefix, "q", hashTag(queue));
}

const retention = { removeOnComplete: true, removeOnFail: 10_000 } as const;

function jobOptions(name: QueueName) {
  const { attempts, backoff } = CATALOG[name] as CatalogEntry;
  return { attempts, backoff, ...retention };
}

/**
 * How long a job stays owned by a worker that stopped renewing its lock (killed,
 * frozen) before another worker takes it over.
 */
export const JOB_LOCK_MS = 15_000;

/** A producer for one queue; payloads are checked when enqueued. */
export function openQueue<Q extends QueueName>(
  name: Q,
  redis: RedisClient,
  prefix: string,
  options: Partial<QueueOptions> = {},
) {
  const queue = new Queue(name, {
    connection: redis,
    prefix: queuePrefix(prefix, name),
    defaultJobOptions: jobOptions(name),
    ...options,
  });
  return {
    queue,
    add(data: Payload<Q>, opts: { jobId: string; priority?: number; delay?: number; timestamp?: number }) {
      return queue.add(name, CATALOG[name].payload.parse(data) as never, opts);
    },
    addBulk(jobs: { data: Payload<Q>; opts: { jobId: string; priority?: number; delay?: number } }[]) {
      return queue.addBulk(
        jobs.map((job) => ({ name, data: CATALOG[name].payload.parse(job.data) as never, opts: job.opts })),
      );
    },
    /**
     * Creates or updates the queue's job schedulers (its catalog entry's
     * `schedules`), with the period read from `settings`. Idempotent: every worker
     * calls it at start, and a changed period applies from then on. Schedulers
     * are never removed on shutdown: other workers keep running them.
     */
    async upsertSchedulers(settings: CatalogSettings) {
      const { schedules } = CATALOG[name] as CatalogEntry;
      for (const [id, { every }] of Object.entries(schedules ?? {})) {
        await queue.upsertJobScheduler(
          id,
          { every: settings[every] },
          { name: id, data: {}, opts: jobOptions(name) },
        );
      }
    },
    /**
     * Upserts the schedulers when some are missing (Redis lost its data, or an
     * operator removed one); otherwise leaves them as the last worker started
     * set them. One ZCARD: cheap enough for every heartbeat.
     */
    async restoreSchedulers(settings: CatalogSettings): Promise<boolean> {
      const { schedules } = CATALOG[name] as CatalogEntry;
      const expected = Object.keys(schedules ?? {}).length;
      if (expected === 0 || (await queue.getJobSchedulersCount()) >= expected) return false;
      await this.upsertSchedulers(settings);
      return true;
    },
    close: () => queue.close(),
  };
}

export type OpenQueue<Q extends QueueName> = ReturnType<typeof openQueue<Q>>;

/**
 * A consumer for one queue. Payloads are checked again when taken; an invalid one
 * can never succeed, so it fails at once instead of being retried.
 */
export function startConsumer<Q extends QueueName>(
  name: Q,
  redis: RedisClient,
  prefix: string,
  handle: (data: Payload<Q>, job: Job, token: string | undefined) => Promise<void>,
  options: Partial<WorkerOptions> = {},
): Worker {
  return new Worker(
    name,
    async (job, token) => {
      const parsed = CATALOG[name].payload.safeParse(job.data);
      if (!parsed.success) throw new UnrecoverableError(`invalid ${name} payload: ${parsed.error.message}`);
      await handle(parsed.data as Payload<Q>, job, token);
    },
    {
      // Must be a connection made with maxRetriesPerRequest: null (createRedis's `blocking`).
      connection: redis,
      prefix: queuePrefix(prefix, name),
      // A worker killed mid-job loses its lock after lockDuration; another takes the
      // job over. Stalls are expected under kill -9, so they never fail a job.
      lockDuration: JOB_LOCK_MS,
      stalledInterval: JOB_LOCK_MS / 3,
      maxStalledCount: 1_000,
      ...options,
    },
  );
}

/** A queue's consumer options from its catalog entry, settings read from `settings`. */
function consumerOptions(name: QueueName, settings: CatalogSettings): Partial<WorkerOptions> {
  const { concurrency, lockMs } = CATALOG[name] as CatalogEntry;
  const lockDuration = settings[lockMs];
  return {
    concurrency: typeof concurrency === "number" ? concurrency : settings[concurrency],
    lockDuration,
    stalledInterval: Math.round(lockDuration / 3),
  };
}

/** What a worker does with each queue's jobs. */
export type Processors = {
  [Q in QueueName]: (data: Payload<Q>, job: Job, token: string | undefined) => Promise<void>;
};

/**
 * One consumer per queue of the catalog, each with its entry's concurrency and
 * locks; `extra` adds what the catalog cannot hold (a custom backoff's function).
 */
export function startConsumers(
  redis: RedisClient,
  prefix: string,
  settings: CatalogSettings,
  processors: Processors,
  extra: { [Q in QueueName]?: Partial<WorkerOptions> } = {},
): Worker[] {
  return (Object.keys(CATALOG) as QueueName[]).map((name) =>
    startConsumer(name, redis, prefix, processors[name] as Processors[QueueName] as never, {
      ...consumerOptions(name, settings),
      ...extra[name],
    }),
  );
}

/**
 * Enqueues a batch's expansion, honouring its `send_at`: a scheduled batch's job
 * is delayed until then (BullMQ's delayed set, so no worker holds it meanwhile).
 * The job id is the batch's: enqueueing it twice (a retry, the requeue sweep,
 * an operator's approval) keeps the one job. The expansion checks `send_at`
 * again, with PostgreSQL's clock, so a job that runs early sends nothing early.
 * BullMQ makes the job due at its `timestamp` plus its `delay`: both come from
 * one reading of the clock, so it is due at `send_at` to the millisecond (a
 * `timestamp` left to BullMQ is read a little later, and the job due that late).
 */
export function enqueueBatch(queue: OpenQueue<"batches">, batch: { id: string; sendAt: Date | null }) {
  const now = Date.now();
  const delay = batch.sendAt ? Math.max(0, batch.sendAt.getTime() - now) : 0;
  return queue.add(
    { batchId: batch.id },
    { jobId: batch.id, ...(delay > 0 ? { delay, timestamp: now } : {}) },
  );
}

/**
 * Enqueues an import whose file is stored. The job id is the import's, so
 * enqueueing it twice (a retry, the requeue sweep) keeps the one job.
 */
export function enqueueImport(queue: OpenQueue<"imports">, importId: string) {
  return queue.add({ importId }, { jobId: importId });
}

/**
 * Enqueues the delivery of webhook events already written to PostgreSQL. The job
 * id is the event's, so enqueueing one twice (a retry, the sweep) is harmless.
 */
export function enqueueWebhookEvents(queue: OpenQueue<"webhooks">, eventIds: string[]) {
  return queue.addBulk(eventIds.map((eventId) => ({ data: { eventId }, opts: { jobId: eventId } })));
}

/** Enqueues clicks to record, a job each; a job's id is its click's, so adding one twice records it once. */
export function enqueueClicks(queue: OpenQueue<"clicks">, clicks: z.input<typeof clickJob>[]) {
  return queue.addBulk(clicks.map((click) => ({ data: click, opts: { jobId: click.clickId } })));
}

/**
 * A delivery report as a provider hands it in (`DeliveryReport` in
 * @salvo/providers): naming Salvo's message id, or the provider's own (with other
 * spellings of it) for connectors that report by it.
 */
type ReportToEnqueue = {
  status: "delivered" | "undelivered";
  reason?: string;
  providerCode?: string;
  at: Date;
} & (
  | { messageId: string; providerMessageId?: undefined; equivalentIds?: undefined }
  | { messageId?: undefined; providerMessageId: string; equivalentIds?: string[] }
);

type ReportsJob = z.output<typeof deliveryReportsJob>;

/**
 * Enqueues delivery reports for the `deliveries` queue, to be applied after
 * `delayMs`: those naming Salvo's id grouped by batch and time (ids that are not
 * Salvo's go to `onForeign`, not to the queue), those naming the provider's id by
 * time under `connector`, which the job resolves to messages. Workers' providers
 * and the API's DLR callbacks both go through it.
 */
/**
 * How long reports by a provider's id wait before their first try. An SMSC sends
 * a receipt the moment its submit_sm is answered, while the worker records the
 * provider's id once its whole group is answered: tried at once, nearly every
 * receipt would miss and go round the retries (a lookup and a job more each).
 */
const PROVIDER_ID_REPORT_DELAY_MS = 1_000;

export async function enqueueDeliveryReports(
  queue: OpenQueue<"deliveries">,
  reports: ReportToEnqueue[],
  {
    delayMs = 0,
    connector,
    reportedBy = connector,
    onForeign,
  }: {
    delayMs?: number;
    /** The connector whose provider ids the reports may name (SMPP): those are resolved under it. */
    connector?: string;
    /** The connector the reports came through, recorded for metrics (by default `connector`). */
    reportedBy?: string;
    onForeign: (messageId: string) => void;
  },
): Promise<void> {
  const groups = new Map<string, ReportsJob["groups"][number]>();
  const byProviderId = new Map<number, ReportsJob["byProviderId"][number]>();
  for (const report of reports) {
    const at = report.at.getTime();
    const reason = report.reason ?? null;
    const providerCode = report.providerCode ?? null;
    if (report.messageId === undefined) {
      if (connector === undefined) {
        onForeign(report.providerMessageId);
        continue;
      }
      let group = byProviderId.get(at);
      if (!group) {
        group = { connector, at, entries: [] };
        byProviderId.set(at, group);
      }
      const ids = [report.providerMessageId, ...(report.equivalentIds ?? [])];
      group.entries.push([ids, report.status, reason, providerCode]);
      continue;
    }
    const id = parseMessageId(report.messageId);
    if (!id) {
      onForeign(report.messageId);
      continue;
    }
    const key = `${id.batchId}@${at}`;
    let group = groups.get(key);
    if (!group) {
      group = {
        batchId: id.batchId,
        ...(reportedBy === undefined ? {} : { connector: reportedBy }),
        at,
        entries: [],
      };
      groups.set(key, group);
    }
    group.entries.push([id.index, report.status, reason, providerCode]);
  }
  if (groups.size === 0 && byProviderId.size === 0) return;
  await queue.add(
    { groups: [...groups.values()], byProviderId: [...byProviderId.values()], attempt: 0 },
    {
      jobId: `dlr-${randomUUID()}`,
      delay: byProviderId.size > 0 ? Math.max(delayMs, PROVIDER_ID_REPORT_DELAY_MS) : delayMs,
    },
  );
}
