import type { Logger } from "./logger";

interface Stoppable {
  close(): Promise<void>;
}

/**
 * Runs a long-lived process (API, worker): starts it, and on SIGTERM or SIGINT
 * closes it and exits 0. Signal handlers go in before startup, so a stop during
 * startup is graceful too; a close that hangs past `shutdownTimeoutMs` exits 1
 * (the timer is unref'd, so it never delays a clean exit). The service calls
 * `fail` when it can no longer run: it is then closed the same way and exits 1.
 */
export function runService(
  name: string,
  start: (fail: (error: Error) => void) => Promise<Stoppable>,
  options: { logger: Logger; shutdownTimeoutMs: number },
): void {
  const { logger, shutdownTimeoutMs } = options;
  let stopping = false;
  const stop = (exitCode: number) => {
    if (stopping) return;
    stopping = true;
    setTimeout(() => {
      logger.error("shutdown timed out, exiting");
      process.exit(1);
    }, shutdownTimeoutMs).unref();
    service
      .then((running) => running.close())
      .then(
        () => process.exit(exitCode),
        (error) => {
          logger.error({ err: error }, "shutdown failed");
          process.exit(1);
        },
      );
  };
  const service = start((error) => {
    logger.fatal({ err: error }, `${name} cannot go on`);
    stop(1);
  });

  for (const signal of ["SIGTERM", "SIGINT"] as const) {
    process.once(signal, () => {
      logger.info({ signal }, "shutting down");
      stop(0);
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
