import { createLogger, logDestination, runService, settingsOrExit } from "@salvo/runtime";
import { parseApiEnv } from "./env";
import { startApi } from "./server";

const env = settingsOrExit(parseApiEnv);
const logger = createLogger("salvo-api", env.LOG_LEVEL, logDestination(env.LOG_FORMAT));
runService("api", (fail) => startApi(env, logger, { onFatal: fail }), {
  logger,
  shutdownTimeoutMs: env.SHUTDOWN_TIMEOUT_MS + 5_000,
});
