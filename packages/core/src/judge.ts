/**
 * The rules that decide, number by number, whether a batch's message is sent:
 * validity, repeats within the batch, the account's lists, anti-flood. Pure:
 * the worker's processors load what these need and write what they answer.
 *
 * The expansion stores one verdict per recipient on its chunk
 * (`batch_chunks.judged`), read again when the chunk is sent:
 *
 *   `+33612345678`           valid, the number's first occurrence in the batch
 *   `!<reason>`              invalid, with an `InvalidNumberReason` (`!too_short`)
 *   `=<position>:<E.164>`    a repeat of the number first at `<position>` in the batch
 *
 * Also read, as written by workers before reasons were kept (their chunks may
 * still be in flight during an upgrade): `!` (invalid, reason unknown) and
 * `=<E.164>` (a repeat, position unknown).
 */
import { DUPLICATE_OF } from "./message-status";
import { invalidNumberReason } from "./phone";

const INVALID = "!";
const DUPLICATE = "=";

/** The verdict of an invalid number, with its `InvalidNumberReason`. */
export function invalidVerdict(reason: string): string {
  return `${INVALID}${reason}`;
}

/** The verdict of a repeat of `to`, first seen at `position` in the batch. */
export function duplicateVerdict(position: number, to: string): string {
  return `${DUPLICATE}${position}:${to}`;
}

/** The reason stored on a duplicated message: `duplicate_of:<position>`, bare when the position is unknown. */
function duplicateReason(of: number | null): string {
  return of === null ? DUPLICATE_OF : `${DUPLICATE_OF}:${of}`;
}

/** Raw numbers longer than this are cut when stored as an invalid message's `to`. */
const MAX_STORED_RAW = 64;

/** A recipient's fate as its chunk's verdict tells: not sent (and why), or a valid number to check further. */
type RecipientJudgement =
  | { status: "invalid" | "duplicated"; to: string; reason: string }
  | { status: "valid"; to: string };

/**
 * Reads recipient `raw`'s stored verdict into its fate. An invalid number keeps
 * what was sent, without NUL (PostgreSQL text cannot hold it) and cut to 64
 * characters; one judged by an older worker, which kept no reason, is worked
 * out again with `country`.
 */
export function judgeRecipient(
  verdict: string,
  raw: string,
  country: string | undefined,
): RecipientJudgement {
  if (verdict[0] === INVALID) {
    const reason = verdict.length > 1 ? verdict.slice(1) : invalidNumberReason(raw, country);
    return { status: "invalid", to: raw.replaceAll("\0", "").slice(0, MAX_STORED_RAW), reason };
  }
  if (verdict[0] !== DUPLICATE) return { status: "valid", to: verdict };
  // An E.164 number holds no `:`: with one, a position comes first.
  const colon = verdict.indexOf(":");
  if (colon === -1) return { status: "duplicated", to: verdict.slice(1), reason: duplicateReason(null) };
  const of = Number(verdict.slice(1, colon));
  return { status: "duplicated", to: verdict.slice(colon + 1), reason: duplicateReason(of) };
}

/** Each valid number's first position in a batch, which its repeats point to. */
export type FirstPositions = Map<string, number>;

/** Records the valid numbers of a chunk judged earlier (its stored verdicts), so later repeats point to them. */
export function rememberVerdicts(
  verdicts: readonly string[],
  firstIndex: number,
  seen: FirstPositions,
): void {
  for (let i = 0; i < verdicts.length; i++) {
    const verdict = verdicts[i] as string;
    if (verdict[0] === "+") seen.set(verdict, firstIndex + i);
  }
}

/**
 * The verdicts of a chunk's recipients, in order: `normalized[from + i]` is
 * recipient i's normalisation result (E.164, or the `InvalidNumberReason` why
 * not), the chunk starts at position `firstIndex` of the batch, and `seen`
 * holds the batch's numbers met so far (updated with this chunk's).
 */
export function judgeNumbers(
  normalized: readonly string[],
  from: number,
  count: number,
  firstIndex: number,
  seen: FirstPositions,
): string[] {
  const verdicts = new Array<string>(count);
  for (let i = 0; i < count; i++) {
    const number = normalized[from + i] as string;
    if (number[0] !== "+") {
      verdicts[i] = invalidVerdict(number);
      continue;
    }
    const first = seen.get(number);
    if (first !== undefined) verdicts[i] = duplicateVerdict(first, number);
    else {
      seen.set(number, firstIndex + i);
      verdicts[i] = number;
    }
  }
  return verdicts;
}

/** The account's lists a number may be on, as sets of E.164 numbers. */
export interface ListedNumbers {
  blacklisted: ReadonlySet<string>;
  npai: ReadonlySet<string>;
}

/** The list that keeps a valid number from being sent, or null: the blacklist (an opt-out) goes before NPAI. */
export function listedStatus(to: string, lists: ListedNumbers): "blacklisted" | "npai" | null {
  if (lists.blacklisted.has(to)) return "blacklisted";
  if (lists.npai.has(to)) return "npai";
  return null;
}

/**
 * The anti-flood rules a message can break (the anti-flood script in
 * `@salvo/queue` answers them): too many messages an hour, or too many with the
 * same body; each with the reason stored on a message it floods.
 */
const FLOODED_REASONS = { count: "flooded_count", same_body: "flooded_same_body" } as const;

/** An anti-flood rule; a rule the script answers but this table lacks fails the typecheck where it is passed. */
export type FloodRule = keyof typeof FLOODED_REASONS;

/** The reason stored on a message flooded by `rule`. */
export function floodedReason(rule: FloodRule): (typeof FLOODED_REASONS)[FloodRule] {
  return FLOODED_REASONS[rule];
}
