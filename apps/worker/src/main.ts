import { parseWorkerEnv, type WorkerEnv } from "./env";
import { createLogger } from "./logger";
import { startWorker } from "./worker";

let env: WorkerEnv;
try {
  env = parseWorkerEnv();
} catch (error) {
  console.error((error as Error).message);
  process.exit(1);
}

const logger = createLogger(env.LOG_LEVEL);
// Signal handlers go in before startup, so a stop during startup is graceful too.
const worker = startWorker(env, logger);

for (const signal of ["SIGTERM", "SIGINT"] as const) {
  process.once(signal, () => {
    logger.info({ signal }, "shutting down");
    // If finishing the current work hangs, exit anyway; unref'd so a clean exit never waits on it.
    setTimeout(() => {
      logger.error("shutdown timed out, exiting");
      process.exit(1);
    }, env.SHUTDOWN_TIMEOUT_MS).unref();
    worker
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

worker.catch((error) => {
  logger.fatal({ err: error }, "worker failed to start");
  process.exit(1);
});
