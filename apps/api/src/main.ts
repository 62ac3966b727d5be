import { parseApiEnv } from "./env";
import { createLogger } from "./logger";
import { startApi } from "./server";

let env: ReturnType<typeof parseApiEnv>;
try {
  env = parseApiEnv();
} catch (error) {
  console.error((error as Error).message);
  process.exit(1);
}

const logger = createLogger(env.LOG_LEVEL);
// Signal handlers go in before startup, so a stop during startup is graceful too.
const api = startApi(env, logger);

for (const signal of ["SIGTERM", "SIGINT"] as const) {
  process.once(signal, () => {
    logger.info({ signal }, "shutting down");
    // If draining hangs, exit anyway; unref'd so it never keeps a clean exit waiting.
    setTimeout(() => {
      logger.error("shutdown timed out, exiting");
      process.exit(1);
    }, env.SHUTDOWN_TIMEOUT_MS + 5_000).unref();
    api
      .then((running) => running.close())
      .then(
        () => process.exit(0),
        (error) => {
          logger.error({ err: error }, "shutdown failed");
          process.exit(1);
        },
      );
  });
}

api.catch((error) => {
  logger.fatal({ err: error }, "api failed to start");
  process.exit(1);
});
