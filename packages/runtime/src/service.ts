import type { Logger } from "./logger";

interface Stoppable {
  close(): Promise<void>;
}

/**
 * Runs a long-lived process (API, worker): starts it, and on SIGTERM or SIGINT
 * closes it and exits 0. Signal handlers go in before startup, so a stop during
 * startup is graceful too; a close that hangs past `shutdownTimeoutMs` exits 1
 * (the timer is unref'd, so it never delays a clean exit).
 */
export function runService(
  name: string,
  start: () => Promise<Stoppable>,
  options: { logger: Logger; shutdownTimeoutMs: number },
): void {
  const { logger, shutdownTimeoutMs } = options;
  const service = start();

  for (const signal of ["SIGTERM", "SIGINT"] as const) {
    process.once(signal, () => {
      logger.info({ signal }, "shutting down");
      setTimeout(() => {
        logger.error("shutdown timed out, exiting");
        process.exit(1);
      }, shutdownTimeoutMs).unref();
      service
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

  service.catch((error) => {
    logger.fatal({ err: error }, `${name} failed to start`);
    process.exit(1);
  });
}

/** Parses settings, or prints why they are wrong and exits 1. */
export function settingsOrExit<T>(parse: () => T): T {
  try {
    return parse();
  } catch (error) {
    console.error(error instanceof Error ? error.message : String(error));
    process.exit(1);
  }
}
