// Tracked short links. A batch that shortens its links gets, at acceptance, a
// contiguous range of link ids (messages × URLs): the link of message `idx` and
// URL `j` is id `firstId + idx × urls + j`, so nothing is written per message.
// A link's code is its id through a keyed permutation of [0, 62^7), in base 62:
// codes are unique by construction, always 7 characters (a batch's segments are
// exact at acceptance) and do not reveal their neighbours.
import { createHash } from "node:crypto";
import { InvalidParameterError } from "./errors";

/** Characters of a code, in digit order. */
const BASE62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

/** Characters in every code. */
export const LINK_CODE_LENGTH = 7;

/** Link ids are below this (62^7 ≈ 3.5 × 10^12): every id has a code of 7 characters. */
export const LINK_ID_LIMIT = 62 ** LINK_CODE_LENGTH;

// The permutation works on 42-bit blocks (2^42 > 62^7) of two 21-bit halves;
// a block at or past LINK_ID_LIMIT is permuted again (cycle walking) until it
// falls inside, which keeps it a permutation of [0, LINK_ID_LIMIT).
const HALF = 2 ** 21;
const HALF_MASK = HALF - 1;
const ROUNDS = 6;

/** SMSFactor's marker for a short link: the i-th one becomes a link to `links[i]`. */
const SHORT_PLACEHOLDER = "<-short->";

// Placeholders of templates (`{{first_name}}`, SMSFactor's `[info1]`): a URL
// holding one differs per recipient, and one link cannot stand for it.
const TEMPLATE_MARKERS = ["{{", "[info"];

const URL_PATTERN = 'https?://[^\\s<>"]+';
const WITH_URLS = new RegExp(`<-short->|${URL_PATTERN}`, "gi");
const PLACEHOLDERS_ONLY = /<-short->/gi;
const URL_ONLY = new RegExp(`^${URL_PATTERN}$`, "i");
/** Punctuation that ends a sentence rather than a URL ("see https://x.fr/a."). */
const TRAILING_PUNCTUATION = /[.,;:!?)\]}'»]+$/;

/** A keyed code for link ids, both ways. */
export interface LinkCodec {
  /** The 7-character code of a link id (0 ≤ id < LINK_ID_LIMIT). */
  encode(id: number): string;
  /** The link id of a code, or null when it is not 7 base-62 characters. */
  decode(code: string): number | null;
}

// A 21-bit keyed mix of a 21-bit half (murmur3's finalizer, keyed per round).
function roundFunction(half: number, key: number): number {
  let h = Math.imul(half ^ key, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  h = Math.imul(h ^ (key >>> 11), 0x27d4eb2f);
  h ^= h >>> 15;
  return h & HALF_MASK;
}

/** The install's link codec, keyed from its secret (the `link_counter` row's). */
export function linkCodec(secret: string): LinkCodec {
  const digest = createHash("sha256").update(`salvo-links:${secret}`).digest();
  const keys = Array.from({ length: ROUNDS }, (_, i) => digest.readUInt32BE(i * 4));
  const permute = (block: number) => {
    let left = Math.floor(block / HALF);
    let right = block % HALF;
    for (const key of keys) [left, right] = [right, left ^ roundFunction(right, key)];
    return left * HALF + right;
  };
  const invert = (block: number) => {
    let left = Math.floor(block / HALF);
    let right = block % HALF;
    for (let i = ROUNDS - 1; i >= 0; i--)
      [left, right] = [right ^ roundFunction(left, keys[i] as number), left];
    return left * HALF + right;
  };
  return {
    encode(id) {
      if (!Number.isSafeInteger(id) || id < 0 || id >= LINK_ID_LIMIT)
        throw new RangeError(`no link id ${id}`);
      let block = permute(id);
      while (block >= LINK_ID_LIMIT) block = permute(block);
      let code = "";
      for (let i = 0; i < LINK_CODE_LENGTH; i++) {
        code = BASE62[block % 62] + code;
        block = Math.floor(block / 62);
      }
      return code;
    },
    decode(code) {
      if (code.length !== LINK_CODE_LENGTH) return null;
      let block = 0;
      for (const char of code) {
        const digit = BASE62.indexOf(char);
        if (digit < 0) return null;
        block = block * 62 + digit;
      }
      let id = invert(block);
      while (id >= LINK_ID_LIMIT) id = invert(id);
      return id;
    },
  };
}

/** Replaces each link slot of `body` (see linkSlotPattern) by `linkFor(j)`, j counting slots from 0. */
function replaceSlots(body: string, shortenUrls: boolean, linkFor: (j: number, match: string) => string) {
  let j = 0;
  return body.replace(shortenUrls ? WITH_URLS : PLACEHOLDERS_ONLY, (match) => {
    if (match.toLowerCase() === SHORT_PLACEHOLDER) return linkFor(j++, match);
    const trailing = TRAILING_PUNCTUATION.exec(match)?.[0] ?? "";
    return linkFor(j++, match.slice(0, match.length - trailing.length)) + trailing;
  });
}

/** The slots of a body, in order: each `<-short->`, and with `shortenUrls` each http(s) URL. */
function linkSlots(body: string, shortenUrls: boolean): string[] {
  const slots: string[] = [];
  replaceSlots(body, shortenUrls, (_, match) => {
    slots.push(match);
    return match;
  });
  return slots;
}

/**
 * The URLs a batch's links lead to, slot by slot (empty: nothing to shorten):
 * with `shortenUrls` every http(s) URL of the body, and each `<-short->` the
 * next of `links` (as many as there are markers). A URL holding a template
 * placeholder cannot be one link for every recipient: InvalidParameterError.
 */
export function trackedUrls(body: string, request: { shortenUrls: boolean; links?: string[] }): string[] {
  const links = request.links ?? [];
  const slots = linkSlots(body, request.shortenUrls);
  const markers = slots.filter((slot) => slot.toLowerCase() === SHORT_PLACEHOLDER).length;
  if (markers !== links.length) {
    throw new InvalidParameterError(
      `links: the body has ${markers} ${SHORT_PLACEHOLDER} marker(s) and ${links.length} link(s) were given: give one link per marker, in order.`,
      "links",
    );
  }
  links.forEach((link, i) => {
    if (!URL_ONLY.test(link) || link.length > 2_048)
      throw new InvalidParameterError(
        `links[${i}]: expected an http:// or https:// URL without spaces, of at most 2,048 characters.`,
        "links",
      );
  });
  let next = 0;
  const urls = slots.map((slot) =>
    slot.toLowerCase() === SHORT_PLACEHOLDER ? (links[next++] as string) : slot,
  );
  for (const url of urls) {
    if (TEMPLATE_MARKERS.some((marker) => url.includes(marker))) {
      const field = links.includes(url) ? "links" : "body";
      throw new InvalidParameterError(
        `${field}: the URL ${JSON.stringify(url.slice(0, 100))} holds a template placeholder, so it differs per recipient and cannot be shortened.`,
        field,
      );
    }
  }
  return urls;
}

/** A batch's links as a message's text needs them. */
export interface TrackedLinks {
  /** What each link starts with: LINK_BASE_URL and a `/`, e.g. `https://s.example/`. */
  prefix: string;
  /** The link id of message 0's first URL. */
  firstId: number;
  /** URLs per message (the slots of the body). */
  urls: number;
  shortenUrls: boolean;
  codec: LinkCodec;
}

/** The link id of message `idx`'s URL `j`. */
export function linkId(links: Pick<TrackedLinks, "firstId" | "urls">, idx: number, j: number): number {
  return links.firstId + idx * links.urls + j;
}

/** Message `idx`'s text: each link slot of the body replaced by its own short link (the body as it is without links). */
export function withTrackedLinks(body: string, links: TrackedLinks | null, idx: number): string {
  if (!links || links.urls === 0) return body;
  return replaceSlots(body, links.shortenUrls, (j, match) =>
    j < links.urls ? links.prefix + links.codec.encode(linkId(links, idx, j)) : match,
  );
}

/** The body as sent, but for the codes: every code has the same length and characters, so the same segments. */
export function withPlaceholderLinks(body: string, prefix: string, shortenUrls: boolean): string {
  return replaceSlots(body, shortenUrls, () => prefix + "0".repeat(LINK_CODE_LENGTH));
}

/**
 * A click's address as it is kept: IPv4 truncated to its /24, IPv6 to its /48
 * (an IPv4-mapped IPv6 address as IPv4), e.g. `203.0.113.0/24`; null when it is
 * not an address. Enough for a rough place, never a subscriber's address.
 */
export function ipPrefix(address: string | undefined): string | null {
  if (!address) return null;
  const v4 = /^(?:::ffff:)?(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.\d{1,3}$/i.exec(address);
  if (v4) return `${v4[1]}.${v4[2]}.${v4[3]}.0/24`;
  if (!/^[0-9a-f:]+$/i.test(address) || !address.includes(":")) return null;
  const [head = "", tail] = address.split("::");
  const left = head ? head.split(":") : [];
  const right = tail ? tail.split(":") : [];
  const groups =
    tail === undefined ? left : [...left, ...Array(8 - left.length - right.length).fill("0"), ...right];
  if (groups.length !== 8) return null;
  const first = groups.slice(0, 3).map((group) => Number.parseInt(group || "0", 16).toString(16));
  return `${first.join(":")}::/48`;
}
