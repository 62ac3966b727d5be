import path from "node:path";
import { PrismaPg } from "@prisma/adapter-pg-migrate";
import { defineConfig } from "prisma/config";

// Prisma's CLI runs on its bundled Wasm schema engine through a driver adapter,
// so generate and migrate never download an engine binary (PRISMA-OFFLINE.md).
// The 7.x adapter is used here because 6.x cannot read `name` columns while migrating.

// schema.prisma reads env("DATABASE_URL"); without a value the CLI falls back to
// downloading an engine, so give it the same default the apps use.
process.env.DATABASE_URL ??= "postgresql://postgres@127.0.0.1:5432/salvo";
const connectionString = process.env.DATABASE_URL;

export default defineConfig({
  schema: path.join(import.meta.dirname, "../../prisma/schema.prisma"),
  migrations: { path: path.join(import.meta.dirname, "../../prisma/migrations") },
  engine: "js",
  experimental: { adapter: true },
  adapter: async () => new PrismaPg({ connectionString, idleTimeoutMillis: 100 }),
});
