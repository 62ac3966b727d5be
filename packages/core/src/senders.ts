import { messageEncoding } from "./segments";

/** The states of a registered sender id: asked for, then approved or refused by an operator. */
export const SENDER_STATES = ["pending", "approved", "refused"] as const;

export type SenderState = (typeof SENDER_STATES)[number];

const LETTER = /[A-Za-z]/;
const SENDABLE_ALPHANUMERIC = /^[A-Za-z0-9]+$/;

/**
 * Why `sender` cannot be registered as a sender id, or null when it can: a name
 * of 3 to 11 GSM 03.38 characters with at least one letter, in letters and
 * digits (all the send routes' `from` takes); a short code of 3 to 8 digits; or
 * an international number, `+` and 8 to 15 digits (E.164).
 */
export function senderProblem(sender: string): string | null {
  if (/^\+?[0-9]+$/.test(sender)) {
    if (sender.startsWith("+"))
      return /^\+[1-9][0-9]{7,14}$/.test(sender)
        ? null
        : "an international number is + and 8 to 15 digits (E.164), not starting with 0";
    if (sender.length < 3) return "a short code has 3 to 8 digits";
    return sender.length <= 8
      ? null
      : "a number longer than a short code (3 to 8 digits) is written in international format: + and 8 to 15 digits";
  }
  const characters = [...sender];
  if (characters.length < 3 || characters.length > 11) return "a sender name has 3 to 11 characters";
  const outside = characters.find((c) => messageEncoding(c) !== "gsm7");
  if (outside !== undefined)
    return `${JSON.stringify(outside)} is not in the GSM 03.38 alphabet, which handsets show sender names in`;
  if (!LETTER.test(sender)) return "a sender name has at least one letter (digits only is a number)";
  if (!SENDABLE_ALPHANUMERIC.test(sender))
    return "a sender name has letters A-Z and digits only (no spaces, punctuation or accents), as the send routes' from";
  return null;
}
