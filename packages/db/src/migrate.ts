import { spawn } from "node:child_process";
import { createRequire } from "node:module";
import path from "node:path";
import { createDatabaseIfMissing, redactUrl } from "./server";

const packageDir = path.join(import.meta.dirname, "..");
const prismaCli = createRequire(import.meta.url).resolve("prisma/build/index.js");

/**
 * Applies the committed migrations with `prisma migrate deploy` (the Wasm engine,
 * configured in prisma.config.ts), creating the database first when it is missing.
 */
export async function migrateDatabase(databaseUrl: string, options: { quiet?: boolean } = {}): Promise<void> {
  await createDatabaseIfMissing(databaseUrl);
  await new Promise<void>((resolve, reject) => {
    const child = spawn(process.execPath, [prismaCli, "migrate", "deploy"], {
      cwd: packageDir,
      env: {
        ...process.env,
        DATABASE_URL: databaseUrl,
        CHECKPOINT_DISABLE: "1",
        PRISMA_HIDE_UPDATE_MESSAGE: "1",
      },
      stdio: options.quiet ? ["ignore", "ignore", "pipe"] : "inherit",
    });
    let stderr = "";
    child.stderr?.on("data", (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    child.on("error", reject);
    child.on("exit", (code) =>
      code === 0
        ? resolve()
        : reject(
            new Error(`prisma migrate deploy failed on ${redactUrl(databaseUrl)} (exit ${code})\n${stderr}`),
          ),
    );
  });
}
