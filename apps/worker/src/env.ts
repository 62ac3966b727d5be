import { connectorEnv, routingOf } from "@salvo/providers";
import { JOB_LOCK_MS } from "@salvo/queue";
import { commonEnv, parseEnv, withDefaultRedisPrefix } from "@salvo/runtime";
import { z } from "zod";

/** Standard Webhooks' schedule: 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h (about a day in all). */
const WEBHOOK_RETRY_SCHEDULE = "5000,300000,1800000,7200000,18000000,36000000,36000000";

const WEEK_MS = 7 * 86_400_000;

/** A comma-separated list of delays in milliseconds, e.g. `100,200,400`. */
const delayList = z
  .string()
  .regex(/^\s*\d+(\s*,\s*\d+)*\s*$/, "a comma-separated list of delays in milliseconds, e.g. 5000,300000")
  .transform((list) => list.split(",").map((delay) => Number(delay.trim())))
  .pipe(z.array(z.number().int().max(WEEK_MS, "at most 7 days each")).min(1).max(30));

/** Every setting the worker reads, from the environment only, checked once at boot. */
const schema = z
  .object({
    ...commonEnv,
    /** Chunk jobs one worker process works on at once (their I/O overlaps). */
    WORKER_CONCURRENCY: z.coerce.number().int().min(1).max(64).default(4),
    /** Threads that judge batches' numbers (libphonenumber); 0 judges them on the main thread. */
    NORMALIZE_THREADS: z.coerce.number().int().min(0).max(16).default(1),
    /** Most messages handed to the provider in one call. */
    HANDOFF_GROUP_SIZE: z.coerce.number().int().min(1).max(10_000).default(1_000),
    /** The connectors (SALVO_CONNECTORS, or today's SMS_PROVIDER and SIMULATOR_* settings). */
    ...connectorEnv,
    /**
     * How long a chunk waits (as a delayed job, not counted as an attempt) when every
     * connector of a message's route is down or refused it for now, before it tries again.
     */
    CONNECTOR_WAIT_MS: z.coerce.number().int().min(10).max(600_000).default(5_000),
    /** How often each worker publishes its connectors' live state to Redis (see readConnectorStates). */
    CONNECTOR_STATE_INTERVAL_MS: z.coerce.number().int().min(100).max(60_000).default(5_000),
    /** How often unfinished batches without recent progress are re-enqueued. */
    RECONCILE_INTERVAL_MS: z.coerce.number().int().min(100).default(15_000),
    /**
     * How long past its connector's validity period a message without a final
     * report waits before it is settled `undelivered`, reason `expired`: room for
     * a receipt the SMSC sends as the period ends, and for clocks that disagree.
     */
    EXPIRY_GRACE_MS: z.coerce.number().int().min(0).max(86_400_000).default(600_000),
    /** Webhook events one worker process posts at once: each may wait on a slow receiver, so many. */
    WEBHOOK_CONCURRENCY: z.coerce.number().int().min(1).max(1_000).default(32),
    /** The longest one webhook attempt may take, from connecting to reading the answer. */
    WEBHOOK_TIMEOUT_MS: z.coerce.number().int().min(100).max(120_000).default(10_000),
    /** Delays between a webhook event's attempts (each ±20%); when the last retry fails, the event is failed. */
    WEBHOOK_RETRY_SCHEDULE_MS: z.string().default(WEBHOOK_RETRY_SCHEDULE).pipe(delayList),
    /** A webhook that has failed every delivery for this long is disabled (with the reason). */
    WEBHOOK_DISABLE_AFTER_MS: z.coerce.number().int().min(0).default(86_400_000),
    /** How long delivered and failed webhook events (and their attempts) are kept, in days. */
    WEBHOOK_RETENTION_DAYS: z.coerce.number().int().min(1).max(3_650).default(30),
    /**
     * Post webhooks to loopback, private and other non-public addresses too. Off by
     * default: webhooks are posted from inside the operator's network (SSRF).
     */
    WEBHOOK_ALLOW_PRIVATE_NETWORKS: z.stringbool().default(false),
    /**
     * How long a job stays owned by a worker that stopped renewing its lock (killed,
     * frozen) before another worker takes it over. Every worker of a fleet must use
     * the same value; shorter means faster takeovers and more lock renewals.
     */
    JOB_LOCK_MS: z.coerce.number().int().min(1_000).max(600_000).default(JOB_LOCK_MS),
    /** The From of balance alert e-mails (sent through SMTP_URL), e.g. `Salvo <alerts@sms.example>`. */
    ALERT_EMAIL_FROM: z.string().trim().min(3).max(320).default("Salvo <salvo@localhost>"),
    /** The sender of balance alert SMS (a transactional message of the account itself): 1-11 letters or digits, or a number. */
    ALERT_SMS_SENDER: z
      .string()
      .trim()
      .regex(/^([A-Za-z0-9 ]{1,11}|\+?\d{3,15})$/, "1-11 letters, digits or spaces, or a phone number")
      .default("Salvo"),
    /**
     * The port of this worker's own HTTP server for Prometheus (`GET /metrics`,
     * `GET /healthz`). Unset: no server. 0: a free port (logged). Workers on one
     * host need a port each.
     */
    WORKER_METRICS_PORT: z.coerce.number().int().min(0).max(65_535).optional(),
    /** The address that server listens on. */
    WORKER_METRICS_HOST: z.string().min(1).default("0.0.0.0"),
    HEARTBEAT_INTERVAL_MS: z.coerce.number().int().min(100).max(60_000).default(5_000),
    SHUTDOWN_TIMEOUT_MS: z.coerce.number().int().min(100).default(30_000),
  })
  .transform((env, issues) => ({ ...withDefaultRedisPrefix(env), ...routingOf(env, issues) }));

export type WorkerEnv = z.infer<typeof schema>;

export function parseWorkerEnv(source: NodeJS.ProcessEnv = process.env): WorkerEnv {
  return parseEnv(schema, source);
}
