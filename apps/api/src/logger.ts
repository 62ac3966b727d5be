import { REDACTED_LOG_PATHS } from "@salvo/core";
import { type DestinationStream, pino } from "pino";

/** The API's logger: JSON lines to stdout (or `destination`), with personal data censored. */
export function createLogger(level: string, destination?: DestinationStream) {
  return pino(
    { name: "salvo-api", level, redact: { paths: REDACTED_LOG_PATHS, censor: "[redacted]" } },
    destination ?? pino.destination(1),
  );
}

export type Logger = ReturnType<typeof createLogger>;
