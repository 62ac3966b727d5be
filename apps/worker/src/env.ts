import { commonEnv, parseEnv } from "@salvo/runtime";
import { z } from "zod";

/** Every setting the worker reads, from the environment only, checked once at boot. */
const schema = z.object({
  ...commonEnv,
  /** Chunk jobs one worker process works on at once (their I/O overlaps). */
  WORKER_CONCURRENCY: z.coerce.number().int().min(1).max(64).default(4),
  /** Threads that judge batches' numbers (libphonenumber); 0 judges them on the main thread. */
  NORMALIZE_THREADS: z.coerce.number().int().min(0).max(16).default(1),
  /** Most messages handed to the provider in one call. */
  HANDOFF_GROUP_SIZE: z.coerce.number().int().min(1).max(10_000).default(1_000),
  /** Provider-wide messages per second, shared by every worker; unset = unlimited. */
  PROVIDER_MAX_MPS: z.coerce.number().int().min(1).optional(),
  SMS_PROVIDER: z.enum(["simulator"]).default("simulator"),
  SIMULATOR_DLR_DELAY_MS: z.coerce.number().int().min(0).max(86_400_000).default(100),
  /** Artificial latency of each simulator hand-off call, to mimic a slower provider. */
  SIMULATOR_HANDOFF_DELAY_MS: z.coerce.number().int().min(0).max(60_000).default(0),
  /** A file where the simulator appends one JSON line per hand-off (for tests and audits). */
  SIMULATOR_LEDGER: z.string().min(1).optional(),
  /** How often unfinished batches without recent progress are re-enqueued. */
  RECONCILE_INTERVAL_MS: z.coerce.number().int().min(100).default(15_000),
  HEARTBEAT_INTERVAL_MS: z.coerce.number().int().min(100).max(60_000).default(5_000),
  SHUTDOWN_TIMEOUT_MS: z.coerce.number().int().min(100).default(30_000),
});

export type WorkerEnv = z.infer<typeof schema>;

export function parseWorkerEnv(source: NodeJS.ProcessEnv = process.env): WorkerEnv {
  return parseEnv(schema, source);
}
