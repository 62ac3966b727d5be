import { InvalidParameterError, normalizePhoneNumber } from "@salvo/core";
import type { Account, NumberList, Store } from "@salvo/db";
import type { IdempotentWrites } from "./idempotency";

/** Numbers put on a list: how many were not on it yet, and every number as stored (E.164). */
export interface AddedNumbers {
  added: number;
  numbers: string[];
}

/**
 * Adds numbers to the account's blacklist or NPAI list, read with the account's
 * default country. A number that cannot be read refuses the whole request,
 * naming it: nothing is added. Under an idempotency key the numbers and the
 * answer (with `added`) are stored together: a retry replays that answer, never
 * a second count.
 */
export function addNumbers(
  list: NumberList,
  account: Account,
  raw: string[],
  idempotency: IdempotentWrites<AddedNumbers>,
): Promise<AddedNumbers> {
  const numbers = raw.map((text, i) => {
    const number = normalizePhoneNumber(text, account.defaultCountry);
    if (!number) throw new InvalidParameterError(`numbers.${i}: not a valid phone number`, `numbers.${i}`);
    return number;
  });
  const unique = [...new Set(numbers)];
  return idempotency.write(async (tx) => ({
    added: await tx.numberLists.add(list, account.id, unique),
    numbers: unique,
  }));
}

/** Takes a number, as the account writes it, off one of its lists. */
export async function removeNumber(store: Store, list: NumberList, account: Account, raw: string) {
  const number = normalizePhoneNumber(raw, account.defaultCountry);
  if (!number) throw new InvalidParameterError("number: not a valid phone number", "number");
  await store.numberLists.remove(list, account.id, number);
}
