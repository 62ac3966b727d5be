import { z } from "zod";

/** Parses settings with an app's zod schema, or throws one message naming every bad value. */
export function parseEnv<T extends z.ZodType>(
  schema: T,
  source: Record<string, string | undefined>,
): z.infer<T> {
  const parsed = schema.safeParse(source);
  if (parsed.success) return parsed.data;
  const lines = parsed.error.issues.map(
    (issue) => `  ${issue.path.join(".") || "(environment)"}: ${issue.message}`,
  );
  throw new Error(`Invalid configuration:\n${lines.join("\n")}`);
}

/** Settings every Salvo process shares: where PostgreSQL and Redis are, and how much to log. */
export const commonEnv = {
  DATABASE_URL: z.url().default("postgresql://postgres@127.0.0.1:5432/salvo"),
  DATABASE_POOL_SIZE: z.coerce.number().int().min(1).max(500).default(10),
  REDIS_URL: z.url().default("redis://127.0.0.1:6379"),
  /** REDIS_URL is a node of a Redis Cluster; the client finds the others. */
  REDIS_CLUSTER: z.stringbool().default(false),
  /** More startup nodes of the cluster (`host:port,host:port`), tried when REDIS_URL's is down. */
  REDIS_CLUSTER_NODES: z
    .string()
    .regex(/^\s*([^\s,]+:\d+\s*(,\s*[^\s,]+:\d+\s*)*)?$/, "a comma-separated list of host:port")
    .default("")
    .transform((list) =>
      list
        .split(",")
        .map((node) => node.trim())
        .filter(Boolean),
    ),
  // At most one hash tag, never empty: Redis hashes a whole key whose first "{" is
  // followed by "}", which would split Salvo's key groups over cluster slots.
  // Unset: the database's name (see withDefaultRedisPrefix).
  REDIS_PREFIX: z
    .string()
    .max(64)
    .regex(/^[\w.-]*(\{[\w.-]+\})?[\w.-]*$/, "letters, digits, _ - . and at most one non-empty {…}")
    .min(1)
    .optional(),
  /**
   * A bearer token `GET /metrics` requires (API and workers): `Authorization:
   * Bearer <token>`. Unset or empty: /metrics answers anyone who reaches the port
   * (keep it on an internal network).
   */
  METRICS_TOKEN: z
    .string()
    .trim()
    .refine((token) => token === "" || token.length >= 16, "at least 16 characters")
    .optional()
    .transform((token) => token || undefined),
  LOG_LEVEL: z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default("info"),
  /** `json` or `pretty` (readable lines); unset, `pretty` only when stdout is a terminal. */
  LOG_FORMAT: z.enum(["json", "pretty"]).optional(),
  /**
   * The SMTP server that sends balance alerts by e-mail, e.g.
   * `smtps://user:password@smtp.example:465` or `smtp://relay.internal:25`
   * (nodemailer's URL). Unset: accounts cannot turn e-mail alerts on. The API
   * reads only whether it is set; the workers send through it.
   */
  SMTP_URL: z.url({ protocol: /^smtps?$/, message: "expected an smtp:// or smtps:// URL" }).optional(),
  /**
   * Keys that seal webhook signing secrets at rest (AES-256-GCM): base64 of 32
   * bytes each, comma-separated, the newest first (it seals; all open). None:
   * secrets are stored as they are.
   */
  WEBHOOK_SECRET_KEYS: z
    .string()
    .default("")
    .transform((list, ctx) => {
      const keys: Buffer[] = [];
      for (const encoded of list.split(",").map((part) => part.trim())) {
        if (!encoded) continue;
        const key = Buffer.from(encoded, "base64");
        if (key.length !== 32 || key.toString("base64") !== encoded) {
          ctx.addIssue({
            code: "custom",
            message: `key ${keys.length + 1}: expected the base64 of 32 bytes (openssl rand -base64 32)`,
          });
          return z.NEVER;
        }
        keys.push(key);
      }
      return keys;
    }),
};

/**
 * The Redis prefix an installation uses when REDIS_PREFIX is unset: its
 * database's name (`salvo` for the default DATABASE_URL), so that installations
 * with their own databases get their own keys on a shared Redis. Characters a
 * prefix may not hold become `_`.
 */
export function defaultRedisPrefix(databaseUrl: string): string {
  const url = new URL(databaseUrl);
  // node-postgres connects to the database named like the user when the URL names none.
  const name = decodeURIComponent(url.pathname.slice(1)) || decodeURIComponent(url.username) || "salvo";
  return name.replace(/[^\w.-]/g, "_").slice(0, 64);
}

/** Settings with REDIS_PREFIX filled in from the database's name where it was unset. */
export function withDefaultRedisPrefix<T extends { DATABASE_URL: string; REDIS_PREFIX?: string | undefined }>(
  env: T,
): T & { REDIS_PREFIX: string } {
  return { ...env, REDIS_PREFIX: env.REDIS_PREFIX ?? defaultRedisPrefix(env.DATABASE_URL) };
}
