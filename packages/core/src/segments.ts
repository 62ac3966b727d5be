/**
 * The GSM 03.38 (3GPP TS 23.038) default alphabet, in code order: the character
 * at index i is septet i, 16 to a row as in the standard's table. Septet 0x1B is
 * the escape to the extension table, not a character: it is skipped below. 0x09
 * is the capital `Ç` (there is no `ç`), 0x24 is `¤` (`$` is 0x02), and the Greek
 * capitals are only those that differ from Latin ones (`Α` U+0391 is not `A`).
 */
export const GSM_BASIC_CHARACTERS =
  "@£$¥èéùìòÇ\nØø\rÅå" +
  "Δ_ΦΓΛΩΠΨΣΘΞ\u001bÆæßÉ" +
  " !\"#¤%&'()*+,-./" +
  "0123456789:;<=>?" +
  "¡ABCDEFGHIJKLMNO" +
  "PQRSTUVWXYZÄÖÑÜ§" +
  "¿abcdefghijklmno" +
  "pqrstuvwxyzäöñüà";

/** The extension table: each is sent as escape + code, so it costs 2 septets. */
export const GSM_EXTENSION_CHARACTERS = "\f^{}\\[~]|€";

const ESCAPE = 0x1b;
const NOT_GSM = 0;

// Septets per UTF-16 code unit (0 when outside GSM 03.38), up to `€` (U+20AC),
// the highest code point in either table.
const SEPTETS = new Uint8Array(0x20ad);
for (const char of GSM_BASIC_CHARACTERS) {
  const code = char.charCodeAt(0);
  if (code !== ESCAPE) SEPTETS[code] = 1;
}
for (const char of GSM_EXTENSION_CHARACTERS) SEPTETS[char.charCodeAt(0)] = 2;

// A lone part carries 160 septets (140 octets) or 70 UCS-2 units; in a
// concatenated message the 6-octet UDH leaves 153 septets or 67 units per part.
const GSM_SINGLE = 160;
const GSM_PART = 153;
const UCS2_SINGLE = 70;
const UCS2_PART = 67;

type MessageEncoding = "gsm7" | "ucs2";

/** `gsm7` when every character is in the GSM 03.38 basic or extension table, else `ucs2`. */
export function messageEncoding(body: string): MessageEncoding {
  for (let i = 0; i < body.length; i++) {
    if ((SEPTETS[body.charCodeAt(i)] ?? NOT_GSM) === NOT_GSM) return "ucs2";
  }
  return "gsm7";
}

/** SMS parts needed to send `body` (0 for an empty body, which the API refuses). */
export function segmentCount(body: string): number {
  if (body.length === 0) return 0;
  return gsmSegmentCount(body) ?? ucs2SegmentCount(body);
}

/** Credits to send `body` to `recipients` people: one per part per recipient. */
export function messageCost(body: string, recipients = 1): number {
  // A wrong count here reserves or refunds the wrong amount of money.
  if (!Number.isSafeInteger(recipients) || recipients < 0) {
    throw new RangeError(`recipients must be a non-negative integer, got ${recipients}`);
  }
  return segmentCount(body) * recipients;
}

/**
 * Parts of a GSM-7 body, or undefined when it is not GSM-7. Parts are filled
 * septet by septet: an escape pair never straddles two parts, it moves whole
 * to the next one, which may then need one more part than septets / 153.
 */
function gsmSegmentCount(body: string): number | undefined {
  let septets = 0;
  let parts = 1;
  let inPart = 0;
  for (let i = 0; i < body.length; i++) {
    const size = SEPTETS[body.charCodeAt(i)] ?? NOT_GSM;
    if (size === NOT_GSM) return undefined;
    septets += size;
    if (inPart + size > GSM_PART) {
      parts++;
      inPart = 0;
    }
    inPart += size;
  }
  return septets <= GSM_SINGLE ? 1 : parts;
}

/**
 * Parts of a UCS-2 (UTF-16) body. A surrogate pair (most emoji) is 2 units that
 * must not straddle two parts: some handsets show garbage for a half.
 */
function ucs2SegmentCount(body: string): number {
  if (body.length <= UCS2_SINGLE) return 1;
  let parts = 1;
  let inPart = 0;
  for (let i = 0; i < body.length; i++) {
    const size = isSurrogatePair(body, i) ? 2 : 1;
    if (inPart + size > UCS2_PART) {
      parts++;
      inPart = 0;
    }
    inPart += size;
    i += size - 1;
  }
  return parts;
}

function isSurrogatePair(body: string, i: number): boolean {
  const high = body.charCodeAt(i);
  if (high < 0xd800 || high > 0xdbff) return false;
  const low = body.charCodeAt(i + 1);
  return low >= 0xdc00 && low <= 0xdfff;
}
