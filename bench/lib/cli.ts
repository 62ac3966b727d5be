// What every benchmark's command line shares: integer options, `--only`, and the
// timestamped progress lines it prints.

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
