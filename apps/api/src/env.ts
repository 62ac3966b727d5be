import { parseEnv } from "@salvo/core";
import { z } from "zod";

/** Every setting the API reads, from the environment only, checked once at boot. */
const schema = z.object({
  DATABASE_URL: z.url().default("postgresql://postgres@127.0.0.1:5432/salvo"),
  DATABASE_POOL_SIZE: z.coerce.number().int().min(1).max(500).default(10),
  REDIS_URL: z.url().default("redis://127.0.0.1:6379"),
  REDIS_PREFIX: z
    .string()
    .regex(/^[\w{}.-]{1,64}$/, "letters, digits, _ - . { } only")
    .default("salvo"),
  HOST: z.string().min(1).default("0.0.0.0"),
  PORT: z.coerce.number().int().min(0).max(65_535).default(3000),
  LOG_LEVEL: z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default("info"),
  /** Express `trust proxy`: set to the number of proxies in front of the API to log client IPs. */
  TRUST_PROXY: z.coerce.number().int().min(0).max(10).default(0),
  /** Largest JSON body accepted by routes that take bulk input. */
  MAX_BODY_BYTES: z.coerce
    .number()
    .int()
    .min(1_024)
    .default(64 * 1024 * 1024),
  SHUTDOWN_TIMEOUT_MS: z.coerce.number().int().min(100).default(10_000),
});

export type ApiEnv = z.infer<typeof schema>;

export function parseApiEnv(source: NodeJS.ProcessEnv = process.env): ApiEnv {
  return parseEnv(schema, source);
}
