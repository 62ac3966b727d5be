import { MAX_IMPORT_BYTES } from "@salvo/core";
import { connectorEnv, connectorsOf } from "@salvo/providers";
import { commonEnv, parseEnv, withDefaultRedisPrefix } from "@salvo/runtime";
import { z } from "zod";

/** A comma-separated list, items trimmed, empty ones dropped. */
const commaList = z
  .string()
  .default("")
  .transform((text) =>
    text
      .split(",")
      .map((item) => item.trim())
      .filter(Boolean),
  );

/** Every setting the API reads, from the environment only, checked once at boot. */
const schema = z.object({
  ...commonEnv,
  HOST: z.string().min(1).default("0.0.0.0"),
  PORT: z.coerce.number().int().min(0).max(65_535).default(3000),
  /** Express `trust proxy`: set to the number of proxies in front of the API to log client IPs. */
  TRUST_PROXY: z.coerce.number().int().min(0).max(10).default(0),
  /** Largest JSON body accepted by routes that take bulk input. */
  MAX_BODY_BYTES: z.coerce
    .number()
    .int()
    .min(1_024)
    .default(64 * 1024 * 1024),
  /**
   * Largest CSV file `POST /v1/contact-lists/:id/imports` takes (200 MB by default,
   * at most). A big file also needs REQUEST_TIMEOUT_MS long enough to upload it.
   */
  IMPORT_MAX_BYTES: z.coerce.number().int().min(1_024).max(MAX_IMPORT_BYTES).default(MAX_IMPORT_BYTES),
  /**
   * Threads that judge simulations' numbers (libphonenumber), as a worker's
   * NORMALIZE_THREADS judge batches': started by a simulation of 2,000 recipients
   * or more, stopped after a minute without one. 0, as for a worker, judges them
   * on the main thread: the event loop then stalls tens of milliseconds per
   * 10,000 numbers.
   */
  NORMALIZE_THREADS: z.coerce.number().int().min(0).max(16).default(1),
  /** Recipients per chunk: the unit a worker judges and sends at once. */
  BATCH_CHUNK_SIZE: z.coerce.number().int().min(10).max(10_000).default(1_000),
  /**
   * How long an API token (and its account's settings) is kept in memory: a token
   * revoked through another process or the CLI still works here for that long. 0: never kept.
   */
  AUTH_CACHE_MS: z.coerce.number().int().min(0).max(60_000).default(5_000),
  SHUTDOWN_TIMEOUT_MS: z.coerce.number().int().min(100).default(10_000),
  /** Slow clients (slow-loris): a connection that has not sent its whole headers in this time is closed. */
  HEADERS_TIMEOUT_MS: z.coerce.number().int().min(100).max(600_000).default(10_000),
  /** …nor its whole request, body included, in this time (waiting for the answer does not count). */
  REQUEST_TIMEOUT_MS: z.coerce.number().int().min(100).max(3_600_000).default(60_000),
  /**
   * Accept webhook URLs on loopback, private and other non-public addresses. Off by
   * default: webhooks are posted from inside the operator's network (SSRF).
   */
  WEBHOOK_ALLOW_PRIVATE_NETWORKS: z.stringbool().default(false),
  /** How long `POST /v1/send` waits for its batch before answering 202 with the counts so far. */
  SEND_TIMEOUT_MS: z.coerce.number().int().min(1).max(3_600_000).default(120_000),
  /** How long a request waits for another one with its Idempotency-Key to finish, before answering 409. */
  IDEMPOTENCY_WAIT_MS: z.coerce.number().int().min(0).max(600_000).default(10_000),
  /**
   * Whether accounts send from approved senders only (POST /v1/senders), unless an
   * account's own setting says otherwise. Off by default: registration is recommended, not required.
   */
  REQUIRE_REGISTERED_SENDER: z.stringbool().default(false),
  /**
   * The opt-out mention appended to marketing messages of accounts (and their
   * parents) without one of their own, e.g. "STOP au 36180" with the short code
   * that receives the replies. Empty (the default): none.
   */
  OPT_OUT_MENTION: z.string().trim().max(60).default(""),
  /**
   * Moderation (anti-fraud hold), the install's rules; accounts override them
   * (`salvo accounts update --moderation-…`). See docs/operations.md, "Moderation".
   * An account younger than this many days is new (0: the rule is off)…
   */
  MODERATION_NEW_ACCOUNT_DAYS: z.coerce.number().int().min(0).max(3_650).default(0),
  /** …and its batches of more recipients than this are held. */
  MODERATION_NEW_ACCOUNT_MAX_RECIPIENTS: z.coerce.number().int().min(0).max(1_000_000).default(500),
  /** Comma-separated words or phrases that hold a batch whose body holds one (whole words, any case or accents). */
  MODERATION_BLOCKED_WORDS: commaList,
  /** Comma-separated domains that hold a batch whose body names one or a subdomain of one. */
  MODERATION_BLOCKED_DOMAINS: commaList,
  /** Hold batches sent from a sender that is not one of the account's approved senders. */
  MODERATION_UNREGISTERED_SENDERS: z.stringbool().default(false),
  /**
   * Where tracked short links point (`shorten_urls`, `<-short->`), e.g.
   * `https://s.example` (a host of its own, pointed at the API: it answers
   * `GET /<code>` to requests for that host) or `https://api.example/l` (a path of
   * the API: `GET /l/<code>`). Unset: no links are shortened (400 LINKS_NOT_CONFIGURED).
   */
  LINK_BASE_URL: z
    .url({ protocol: /^https?$/, message: "expected an http(s) URL, e.g. https://s.example" })
    .refine((url) => !url.includes("?") && !url.includes("#"), "without a query or fragment")
    .transform((url) => url.replace(/\/+$/, ""))
    .optional(),
  /**
   * The built web console (apps/console/dist), served at /console. Unset: that
   * folder of this repository, wherever the API runs from.
   */
  CONSOLE_DIR: z.string().min(1).optional(),
  /** The workers' connectors: the API takes their providers' callbacks at /v1/providers/<connector>/…. */
  ...connectorEnv,
});

// Node refuses a headers timeout longer than the whole request's.
const checked = schema
  .refine((env) => env.HEADERS_TIMEOUT_MS <= env.REQUEST_TIMEOUT_MS, {
    path: ["HEADERS_TIMEOUT_MS"],
    message: "must not be more than REQUEST_TIMEOUT_MS",
  })
  .transform((env, issues) => ({ ...withDefaultRedisPrefix(env), connectors: connectorsOf(env, issues) }));

export type ApiEnv = z.infer<typeof checked>;

export function parseApiEnv(source: NodeJS.ProcessEnv = process.env): ApiEnv {
  return parseEnv(checked, source);
}
