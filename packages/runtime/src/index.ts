export { commonEnv, defaultRedisPrefix, parseEnv, withDefaultRedisPrefix } from "./env";
export { createLogger, type Logger } from "./logger";
export { runService, settingsOrExit } from "./service";
