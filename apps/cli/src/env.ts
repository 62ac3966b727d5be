import { connectorEnv, routingOf } from "@salvo/providers";
import { commonEnv, parseEnv, withDefaultRedisPrefix } from "@salvo/runtime";
import { z } from "zod";

/** The CLI's settings: the database for admin commands, the API for client commands. */
const schema = z.object({
  DATABASE_URL: commonEnv.DATABASE_URL,
  WEBHOOK_SECRET_KEYS: commonEnv.WEBHOOK_SECRET_KEYS,
  SALVO_URL: z.url().default("http://127.0.0.1:3000"),
  SALVO_TOKEN: z.string().optional(),
});

type CliEnv = z.infer<typeof schema>;

export function parseCliEnv(source: NodeJS.ProcessEnv = process.env): CliEnv {
  return parseEnv(schema, source);
}

/** PostgreSQL and the workers' Redis, as every app reads them. */
const storeAndRedis = {
  DATABASE_URL: commonEnv.DATABASE_URL,
  REDIS_URL: commonEnv.REDIS_URL,
  REDIS_CLUSTER: commonEnv.REDIS_CLUSTER,
  REDIS_CLUSTER_NODES: commonEnv.REDIS_CLUSTER_NODES,
  REDIS_PREFIX: commonEnv.REDIS_PREFIX,
};

/**
 * What `salvo connectors` and `salvo routes` read: the workers' connector settings
 * (the same SALVO_CONNECTORS or file) and the Redis where workers publish their state.
 * Apart from parseCliEnv so that a bad connector setting only stops these commands.
 */
const routingSchema = z
  .object({ ...storeAndRedis, ...connectorEnv })
  .transform((env, issues) => ({ ...withDefaultRedisPrefix(env), ...routingOf(env, issues) }));

export function parseRoutingEnv(source: NodeJS.ProcessEnv = process.env): z.infer<typeof routingSchema> {
  return parseEnv(routingSchema, source);
}

/** What `salvo moderation approve` reads to hand an approved batch to the workers: their Redis. */
const queueSchema = z.object(storeAndRedis).transform(withDefaultRedisPrefix);

export function parseQueueEnv(source: NodeJS.ProcessEnv = process.env): z.infer<typeof queueSchema> {
  return parseEnv(queueSchema, source);
}
