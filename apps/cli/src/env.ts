import { commonEnv, parseEnv } from "@salvo/runtime";
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
