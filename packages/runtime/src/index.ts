export { commonEnv, parseEnv } from "./env";
export { createLogger, type LogFormat, type Logger, logDestination } from "./logger";
export { runService, settingsOrExit } from "./service";
