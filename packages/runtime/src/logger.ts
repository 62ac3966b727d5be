import { type DestinationStream, pino } from "pino";
import PinoPretty from "pino-pretty";

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

/** `json`: one JSON object a line, for machines; `pretty`: one readable line, for people at a terminal. */
export type LogFormat = "json" | "pretty";

/**
 * Where a process logs: stdout, as JSON lines, or as readable lines when `format`
 * is `pretty` or, unset, when stdout is a terminal. Both write synchronously, so
 * nothing is lost when the process exits.
 */
export function logDestination(
  format: LogFormat | undefined,
  stdout: { fd: number; isTTY?: boolean } = process.stdout,
): DestinationStream {
  if ((format ?? (stdout.isTTY ? "pretty" : "json")) === "json") {
    return pino.destination({ dest: stdout.fd, sync: true });
  }
  return PinoPretty({
    destination: stdout.fd,
    sync: true,
    translateTime: "SYS:HH:MM:ss.l",
    // One line an entry, its fields as JSON at the end: a terminal full of
    // requests stays readable.
    singleLine: true,
    // The pid stays: it tells the API's lines from the worker's in one terminal.
    ignore: "hostname",
  });
}

/** A process's logger: JSON lines to stdout (or `destination`), personal data censored. */
export function createLogger(name: string, level: string, destination?: DestinationStream) {
  return pino(
    { name, level, redact: { paths: REDACTED_PATHS, censor: "[redacted]" } },
    destination ?? logDestination("json"),
  );
}

export type Logger = ReturnType<typeof createLogger>;
