import { monotonicFactory } from "ulid";

const ulid = monotonicFactory();

/**
 * A prefixed, time-ordered id such as `acc_01JD3…`: the prefix tells what it names,
 * the ULID keeps inserts in index order.
 */
export function newId(prefix: "acc" | "tok"): string {
  return `${prefix}_${ulid()}`;
}
