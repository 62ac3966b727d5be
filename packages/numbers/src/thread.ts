// Runs in the normalizer's worker thread (see ./normalizer.ts).
import { invalidNumberReason, normalizePhoneNumber } from "@salvo/core";

export interface NormalizeTask {
  numbers: string[];
  country: string | undefined;
}

/**
 * Each number in E.164 (`+…`), or why it is not a valid number (an
 * `InvalidNumberReason`, never starting with `+`). Strings only: a million of
 * them cross back from the thread far cheaper than objects.
 */
export default function normalizeNumbers({ numbers, country }: NormalizeTask): string[] {
  // The reason is worked out only for the numbers the fast path refused.
  return numbers.map(
    (number) => normalizePhoneNumber(number, country) ?? invalidNumberReason(number, country),
  );
}
