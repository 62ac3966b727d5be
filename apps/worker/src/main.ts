import { createLogger, logDestination, runService, settingsOrExit } from "@salvo/runtime";
import { parseWorkerEnv } from "./env";
import { startWorker } from "./worker";

const env = settingsOrExit(parseWorkerEnv);
const logger = createLogger("salvo-worker", env.LOG_LEVEL, logDestination(env.LOG_FORMAT));
runService("worker", (fail) => startWorker(env, logger, { onFatal: fail }), {
  logger,
  shutdownTimeoutMs: env.SHUTDOWN_TIMEOUT_MS,
});
