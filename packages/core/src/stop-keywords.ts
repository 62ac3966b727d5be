/**
 * Words that, sent alone as a reply, ask a sender to stop: the usual English
 * carrier keywords and the French ones (ARRET, ARRÊT). Written without accents:
 * replies are compared with their accents removed.
 */
const STOP_KEYWORDS = new Set([
  "STOP",
  "STOP SMS",
  "ARRET",
  "UNSUBSCRIBE",
  "END",
  "QUIT",
  "STOPALL",
  "CANCEL",
  "OPTOUT",
  "REVOKE",
]);

/** Replies are short; a long text is a message, not a keyword, and is not worth normalizing. */
const MAX_KEYWORD_REPLY_LENGTH = 64;

/**
 * True when a reply's whole text is a stop keyword, in any case, with accents or
 * not, with surrounding spaces and punctuation ("Stop.", " arrêt ! ", "STOP  SMS").
 * A sentence that merely contains one ("don't stop") is not a request to stop.
 */
export function isStopKeyword(text: string): boolean {
  if (text.length > MAX_KEYWORD_REPLY_LENGTH) return false;
  const words = text
    .normalize("NFKD")
    .replace(/\p{M}/gu, "")
    .toUpperCase()
    .replace(/^[\p{P}\p{S}\p{Z}\s]+|[\p{P}\p{S}\p{Z}\s]+$/gu, "")
    .split(/[\p{Z}\s]+/u)
    .join(" ");
  return STOP_KEYWORDS.has(words);
}
