/**
 * A chunk's verdict per recipient, written by the batch's expansion
 * (`batch_chunks.judged`) and read when the chunk is sent:
 *
 *   `+33612345678`           valid, the number's first occurrence in the batch
 *   `!<reason>`              invalid, with an `InvalidNumberReason` (`!too_short`)
 *   `=<position>:<E.164>`    a repeat of the number first at `<position>` in the batch
 *
 * Also read, as written by workers before reasons were kept (their chunks may
 * still be in flight during an upgrade): `!` (invalid, reason unknown) and
 * `=<E.164>` (a repeat, position unknown).
 */
type Verdict =
  | { kind: "valid"; to: string }
  | { kind: "invalid"; reason: string | null }
  | { kind: "duplicate"; to: string; of: number | null };

const INVALID = "!";
const DUPLICATE = "=";

export function invalidVerdict(reason: string): string {
  return `${INVALID}${reason}`;
}

export function duplicateVerdict(position: number, to: string): string {
  return `${DUPLICATE}${position}:${to}`;
}

export function readVerdict(verdict: string): Verdict {
  if (verdict[0] === INVALID)
    return { kind: "invalid", reason: verdict.length > 1 ? verdict.slice(1) : null };
  if (verdict[0] !== DUPLICATE) return { kind: "valid", to: verdict };
  // An E.164 number holds no `:`: with one, a position comes first.
  const colon = verdict.indexOf(":");
  if (colon === -1) return { kind: "duplicate", to: verdict.slice(1), of: null };
  return { kind: "duplicate", to: verdict.slice(colon + 1), of: Number(verdict.slice(1, colon)) };
}
