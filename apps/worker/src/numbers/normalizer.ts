import { extname } from "node:path";
import { fileURLToPath } from "node:url";
import { Piscina } from "piscina";
import normalizeNumbers, { type NormalizeTask } from "./thread";

/** Fewer numbers than this are normalized inline: cheaper than a trip to a thread. */
const INLINE_BELOW = 2_000;

/**
 * Puts raw numbers in E.164 (`+…`), or says why one is invalid (see `./thread.ts`). Judging a million numbers with
 * libphonenumber takes seconds of CPU; done on the main thread it would stall
 * every hand-off and every small batch of this worker meanwhile, so big lists
 * go to worker threads (piscina) and the event loop stays free.
 */
export interface NumberNormalizer {
  normalize(numbers: string[], country: string | undefined): Promise<string[]>;
  close(): Promise<void>;
}

export function createNumberNormalizer(threads: number): NumberNormalizer {
  if (threads === 0) {
    return {
      normalize: async (numbers, country) => normalizeNumbers({ numbers, country }),
      close: async () => {},
    };
  }
  // `thread.ts` under tsx, `thread.js` next to the bundle's `main.js` (scripts/bundle.ts).
  const extension = extname(fileURLToPath(import.meta.url));
  const pool = new Piscina<NormalizeTask, string[]>({
    filename: fileURLToPath(new URL(`./thread${extension}`, import.meta.url)),
    minThreads: threads,
    maxThreads: threads,
    idleTimeout: Number.POSITIVE_INFINITY,
    // A task holds one step of a batch (tens of thousands of short strings): a
    // small heap is plenty, and keeps the worker's memory flat.
    resourceLimits: { maxOldGenerationSizeMb: 64, maxYoungGenerationSizeMb: 16 },
    // Not the process's own flags: V8 options such as --max-old-space-size are
    // refused in a thread. A thread loads TypeScript only through tsx.
    execArgv: extension === ".ts" ? ["--import", "tsx"] : [],
  });
  return {
    normalize: (numbers, country) =>
      numbers.length < INLINE_BELOW
        ? Promise.resolve(normalizeNumbers({ numbers, country }))
        : pool.run({ numbers, country }),
    close: () => pool.destroy(),
  };
}
