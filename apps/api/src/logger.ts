import { REDACTED_LOG_PATHS } from "@salvo/core";
import { pino } from "pino";

export function createLogger(level: string) {
  return pino({ name: "salvo-api", level, redact: { paths: REDACTED_LOG_PATHS, censor: "[redacted]" } });
}

export type Logger = ReturnType<typeof createLogger>;
