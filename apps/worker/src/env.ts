import { commonEnv, parseEnv } from "@salvo/runtime";
import { z } from "zod";

/** Every setting the worker reads, from the environment only, checked once at boot. */
const schema = z.object({
  ...commonEnv,
  HEARTBEAT_INTERVAL_MS: z.coerce.number().int().min(100).max(60_000).default(5_000),
  SHUTDOWN_TIMEOUT_MS: z.coerce.number().int().min(100).default(30_000),
});

export type WorkerEnv = z.infer<typeof schema>;

export function parseWorkerEnv(source: NodeJS.ProcessEnv = process.env): WorkerEnv {
  return parseEnv(schema, source);
}
