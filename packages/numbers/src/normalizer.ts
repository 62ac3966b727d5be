import { extname } from "node:path";
import { fileURLToPath } from "node:url";
import { MAX_INPUT_LENGTH } from "@salvo/core";
import { Piscina } from "piscina";
import normalizeNumbers, { type NormalizeTask } from "./thread";

/** Fewer numbers than this are normalized inline: cheaper than a trip to a thread. */
const INLINE_BELOW = 2_000;

/**
 * The longest a list may wait for and spend in a thread. A step of a batch
 * (200,000 numbers at most) takes a second or two; past this the pool is taken
 * to be stuck, and the caller hears so instead of waiting for ever.
 */
const TASK_TIMEOUT_MS = 60_000;

/** The threads cannot judge now: they failed to start, stopped, or did not answer in time. */
export class NormalizerUnavailableError extends Error {
  constructor(reason: string, options?: ErrorOptions) {
    super(`the number-judging threads are unavailable: ${reason}`, options);
    this.name = "NormalizerUnavailableError";
  }
}

/**
 * Puts raw numbers in E.164 (`+…`), or says why one is invalid (see `./thread.ts`). Judging a million numbers with
 * libphonenumber takes seconds of CPU; done on the main thread it would stall
 * every other task of the process meanwhile (a worker's hand-offs, the API's
 * requests), so big lists go to worker threads (piscina) and the event loop stays free.
 * `normalize` rejects with a NormalizerUnavailableError when the threads cannot answer.
 */
export interface NumberNormalizer {
  normalize(numbers: string[], country: string | undefined): Promise<string[]>;
  close(): Promise<void>;
}

interface NormalizerOptions {
  /**
   * Start threads on the first big list and stop them after this long without
   * one, for a process that judges big lists rarely (the API's simulations).
   * Without it, the threads start now and stay (a worker's batches).
   */
  idleTimeoutMs?: number;
}

/**
 * What crosses to a thread: a "number" past MAX_INPUT_LENGTH is judged on its
 * length alone, so it is cut just past it. A list of long strings would
 * otherwise fill the thread's small heap and end it.
 */
function bounded(numbers: string[]): string[] {
  // Stored lists may hold a non-string, which the thread judges invalid.
  const tooLong = (number: unknown) => typeof number === "string" && number.length > MAX_INPUT_LENGTH + 1;
  return numbers.some(tooLong)
    ? numbers.map((number) => (tooLong(number) ? number.slice(0, MAX_INPUT_LENGTH + 1) : number))
    : numbers;
}

/** A normalizer with `threads` threads; 0 normalizes on the calling thread. */
export function createNumberNormalizer(threads: number, options: NormalizerOptions = {}): NumberNormalizer {
  if (threads === 0) {
    return {
      normalize: async (numbers, country) => normalizeNumbers({ numbers, country }),
      close: async () => {},
    };
  }
  // `thread.ts` under tsx, `thread.js` next to the bundle's `main.js` (the apps'
  // `pnpm build` bundles this package's src/thread.ts as a second entry).
  const extension = extname(fileURLToPath(import.meta.url));
  const open = () => {
    const pool = new Piscina<NormalizeTask, string[]>({
      filename: fileURLToPath(new URL(`./thread${extension}`, import.meta.url)),
      minThreads: options.idleTimeoutMs === undefined ? threads : 0,
      maxThreads: threads,
      idleTimeout: options.idleTimeoutMs ?? Number.POSITIVE_INFINITY,
      // A task holds one step of a batch (tens of thousands of short strings): a
      // small heap is plenty, and keeps the process's memory flat.
      resourceLimits: { maxOldGenerationSizeMb: 64, maxYoungGenerationSizeMb: 16 },
      // Not the process's own flags: V8 options such as --max-old-space-size are
      // refused in a thread. A thread loads TypeScript only through tsx.
      execArgv: extension === ".ts" ? ["--import", "tsx"] : [],
    });
    // A thread that fails without a task, as when it cannot start: piscina emits
    // it (unheard, it would end the process), starts no other, and the lists
    // waiting for one would wait for ever. They are refused at once instead.
    const failed = new AbortController();
    pool.on("error", (error: Error) => failed.abort(error));
    return { pool, failed, replace: false };
  };
  let current = open();
  let closed = false;

  const run = async (task: NormalizeTask): Promise<string[]> => {
    if (closed) throw new NormalizerUnavailableError("closed");
    // After a failure the next list gets a new pool (piscina does not start
    // again threads that fail as they start); the old one finishes what it holds.
    if (current.replace || current.failed.signal.aborted) {
      const old = current;
      current = open();
      void old.pool.close().catch(() => {});
    }
    const opened = current;
    try {
      const signal = AbortSignal.any([opened.failed.signal, AbortSignal.timeout(TASK_TIMEOUT_MS)]);
      return await opened.pool.run(task, { signal });
    } catch (error) {
      opened.replace = true;
      const cause = (opened.failed.signal.reason as Error | undefined) ?? (error as Error);
      throw new NormalizerUnavailableError(cause.message, { cause });
    }
  };
  return {
    normalize: (numbers, country) =>
      numbers.length < INLINE_BELOW
        ? Promise.resolve(normalizeNumbers({ numbers, country }))
        : run({ numbers: bounded(numbers), country }),
    close: () => {
      closed = true;
      return current.pool.destroy();
    },
  };
}
