// What every benchmark's command line shares: the servers' options and --help,
// integer options, `--only`, and the timestamped progress lines it prints.
import { type ParseArgsConfig, parseArgs } from "node:util";

type Options = NonNullable<ParseArgsConfig["options"]>;

const SHARED = {
  "database-url": { type: "string", default: "postgresql://postgres@127.0.0.1:5432/postgres" },
  "redis-url": { type: "string", default: "redis://127.0.0.1:6379" },
  help: { type: "boolean", short: "h" },
} as const satisfies Options;

type Values<O extends Options> = ReturnType<
  typeof parseArgs<{ args: string[]; options: O & typeof SHARED; strict: true }>
>["values"];

/**
 * The command line's values for `options` plus `--database-url`, `--redis-url`
 * and `--help` (which prints `usage` and exits). `pnpm bench -- --only kannel`
 * passes the "--" along: it is dropped.
 */
export function commandLine<const O extends Options>(options: O, usage: string) {
  const config = {
    args: process.argv.slice(2).filter((arg) => arg !== "--"),
    options: { ...options, ...SHARED },
    strict: true,
  } as const;
  const values = parseArgs(config).values as Values<O>;
  const shared = values as { help?: boolean; "database-url": string; "redis-url": string };
  if (shared.help) {
    out(usage);
    process.exit(0);
  }
  return { values, databaseUrl: shared["database-url"], redisUrl: shared["redis-url"] };
}

/** `--name`'s value as an integer of at least `min`, or an error that names the option. */
export function integerOption(name: string, value: string, min = 1): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < min) throw new Error(`--${name} takes an integer ≥ ${min}, not ${value}`);
  return n;
}

/** Which systems `--only salvo|kannel` leaves to measure (both when it is absent). */
export function systemsToRun(only: string | undefined, usage: string): { salvo: boolean; kannel: boolean } {
  if (only !== undefined && only !== "salvo" && only !== "kannel") {
    throw new Error(`--only takes salvo or kannel, not ${only}\n\n${usage}`);
  }
  return { salvo: only !== "kannel", kannel: only !== "salvo" };
}

/** A line on stdout. */
export const out = (text = ""): void => {
  process.stdout.write(`${text}\n`);
};

const startedAt = performance.now();

/** A progress line, stamped with the seconds since the benchmark started. */
export const log = (line: string): void =>
  out(`  · ${((performance.now() - startedAt) / 1000).toFixed(1).padStart(6)} s  ${line}`);

/**
 * For a benchmark's helper process: writes `counts <n> <n>…` on stdout whenever
 * the counts change (checked every 100 ms), and once more on SIGINT/SIGTERM
 * before exiting, so the benchmark reads the final figures.
 */
export function reportCounts(counts: () => number[]): void {
  const line = () => `counts ${counts().join(" ")}`;
  let last = "";
  setInterval(() => {
    const now = line();
    if (now === last) return;
    last = now;
    out(now);
  }, 100);
  for (const signal of ["SIGINT", "SIGTERM"] as const) {
    process.on(signal, () => {
      out(line());
      process.exit(0);
    });
  }
}
