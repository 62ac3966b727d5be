import { setFlagsFromString } from "node:v8";
import { createLogger, logDestination, runService, settingsOrExit } from "@salvo/runtime";
import { parseWorkerEnv } from "./env";
import { startWorker } from "./worker";

// A worker allocates fast and keeps little: left to itself, V8 lets the heap
// grow up to four times what survives a full collection before the next one,
// and a million-recipient batch took the process to 470-520 MB. Growing by half
// instead keeps it under 300 MB for no measurable CPU (bench/RESULTS.md). A soft
// policy, not a limit: a job that needs more memory still gets it. A value given
// on the command line (`node --heap-growing-percent=N`) is kept.
if (!process.execArgv.some((arg) => arg.startsWith("--heap-growing-percent"))) {
  setFlagsFromString("--heap-growing-percent=50");
}

const env = settingsOrExit(parseWorkerEnv);
const logger = createLogger("salvo-worker", env.LOG_LEVEL, logDestination(env.LOG_FORMAT));
runService("worker", (fail) => startWorker(env, logger, { onFatal: fail }), {
  logger,
  shutdownTimeoutMs: env.SHUTDOWN_TIMEOUT_MS,
});
