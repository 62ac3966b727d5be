// `pnpm db:migrate`: applies pending migrations to $DATABASE_URL (creating the database if needed).
import { z } from "zod";
import { migrateDatabase } from "../src/migrate";

const env = z
  .object({ DATABASE_URL: z.url().default("postgresql://postgres@127.0.0.1:5432/salvo") })
  .parse(process.env);

try {
  if ((await migrateDatabase(env.DATABASE_URL)) === "up-to-date") {
    process.stdout.write("Database up to date: every migration is applied, nothing to do.\n");
  }
} catch (error) {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
}
