import { randomFillSync } from "node:crypto";
import { monotonicFactory, ulid as ulidAt } from "ulid";

// ulid draws one random byte per character (16 an id), by default with one
// crypto call each: they come from a pool refilled 4 KiB at a time instead.
const pool = new Uint8Array(4096);
let used = pool.length;
function randomFraction(): number {
  if (used === pool.length) {
    randomFillSync(pool);
    used = 0;
  }
  return (pool[used++] as number) / 256;
}

const ulid = monotonicFactory(randomFraction);

/**
 * A prefixed, time-ordered id such as `acc_01JD3…`: the prefix tells what it names,
 * the ULID keeps inserts in index order.
 */
export function newId(prefix: IdPrefix): string {
  return `${prefix}_${ulid()}`;
}

/** An id as newId's whose time is `time` (ms since the epoch): rows dated in the past, as the benchmarks' older batches. */
export function newIdAt(prefix: IdPrefix, time: number): string {
  return `${prefix}_${ulidAt(time, randomFraction)}`;
}

type IdPrefix = "acc" | "tok" | "bat" | "rpl" | "whk" | "snd" | "adm" | "cl" | "imp";

const MESSAGE_ID_PREFIX = "msg_";
const BATCH_ID_PREFIX_LENGTH = "bat_".length;

/** A message's public id: its batch and position, `msg_<batch ULID>_<position>`. */
export function messageId(batchId: string, index: number): string {
  return `${MESSAGE_ID_PREFIX}${batchId.slice(BATCH_ID_PREFIX_LENGTH)}_${index}`;
}

/**
 * `messageId` as a SQL expression of a batch id and a position (SQL expressions
 * themselves), for statements that write message ids into event bodies.
 */
export function messageIdSql(batchId: string, index: string): string {
  return `'${MESSAGE_ID_PREFIX}' || substr(${batchId}, ${BATCH_ID_PREFIX_LENGTH + 1}) || '_' || ${index}`;
}

const MESSAGE_ID = /^msg_([0-9A-HJKMNP-TV-Z]{26})_(\d{1,7})$/;

/** The batch and position a message id names, or null when it is not one. */
export function parseMessageId(id: string): { batchId: string; index: number } | null {
  const match = MESSAGE_ID.exec(id);
  return match ? { batchId: `bat_${match[1]}`, index: Number(match[2]) } : null;
}
