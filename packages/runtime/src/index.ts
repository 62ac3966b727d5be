export { commonEnv, defaultRedisPrefix, parseEnv, withDefaultRedisPrefix } from "./env";
export { createLogger, type LogFormat, type Logger, logDestination } from "./logger";
export { createMetricsRegistry, metricsAnswer, registerQueueMetrics } from "./metrics";
export { runService, settingsOrExit } from "./service";
