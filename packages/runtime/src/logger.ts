import { type DestinationStream, pino } from "pino";

/**
 * Log fields that may hold a secret or personal data (tokens, message bodies,
 * phone numbers): censored in every process's logs. Code avoids logging them in
 * the first place; this is the safety net.
 */
const REDACTED_PATHS = [
  "headers",
  "req.headers",
  "authorization",
  "token",
  "secret",
  "body",
  "to",
  "from",
  "phone",
  "*.headers",
  "*.token",
  "*.secret",
  "*.body",
  "*.to",
  "*.phone",
];

/** A process's logger: JSON lines to stdout (or `destination`), personal data censored. */
export function createLogger(name: string, level: string, destination?: DestinationStream) {
  return pino(
    { name, level, redact: { paths: REDACTED_PATHS, censor: "[redacted]" } },
    destination ?? pino.destination(1),
  );
}

export type Logger = ReturnType<typeof createLogger>;
