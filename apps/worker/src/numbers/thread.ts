// Runs in the normalizer's worker thread (see ./normalizer.ts).
import { normalizePhoneNumber } from "@salvo/core";

export interface NormalizeTask {
  numbers: string[];
  country: string | undefined;
}

/** Each number in E.164, or null where it is not a valid number. */
export default function normalizeNumbers({ numbers, country }: NormalizeTask): (string | null)[] {
  return numbers.map((number) => normalizePhoneNumber(number, country));
}
