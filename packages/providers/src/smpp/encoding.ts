/// <reference path="./smpp-lib.d.ts" />
import { messageEncoding } from "@salvo/core";
import smpp from "smpp";

/** The SMPP data_coding values Salvo sends: the SMSC's default alphabet (GSM 03.38) and UCS-2. */
const DATA_CODING = { gsm7: 0, ucs2: 8 } as const;

/** esm_class bit telling that short_message starts with a user data header. */
export const ESM_UDH_INDICATOR = 0x40;

/** A message body as it goes on the wire: its data_coding and its octets, whole or in parts. */
interface EncodedBody {
  dataCoding: number;
  /** The whole body, for one submit_sm (`message_payload`) or a message that fits one part. */
  octets: Buffer;
  /** The body cut into concatenated parts, each with its UDH; one entry when it fits a single SMS. */
  parts: Buffer[];
}

// One octet per septet (SMPP sends GSM 03.38 unpacked): 160 in a lone part, 153 beside
// a 6-octet UDH; UCS-2: 140 octets, 134 beside the UDH. The same limits as core's
// segmentCount, so a message costs exactly the parts that are sent.
const SINGLE_OCTETS = 140;
const GSM_SINGLE = 160;
const PART_OCTETS = { gsm7: 153, ucs2: 134 } as const;
const GSM_ESCAPE = 0x1b;

/**
 * Encodes `body` as GSM 03.38 (extension characters as escape + code) when core
 * counts it as GSM-7, else UCS-2, and cuts it into parts when it does not fit one
 * SMS, each part headed by an 8-bit-reference concatenation UDH.
 */
export function encodeBody(body: string, reference: number): EncodedBody {
  const { encoding, octets } = encodeText(body);
  const single = encoding === "gsm7" ? GSM_SINGLE : SINGLE_OCTETS;
  const dataCoding = DATA_CODING[encoding];
  if (octets.length <= single) return { dataCoding, octets, parts: [octets] };

  const slices: Buffer[] = [];
  for (let start = 0; start < octets.length; ) {
    let end = Math.min(start + PART_OCTETS[encoding], octets.length);
    // Never cut an escape pair (GSM) or a surrogate pair (UCS-2) in two.
    if (end < octets.length) {
      if (encoding === "gsm7" && octets[end - 1] === GSM_ESCAPE) end--;
      if (encoding === "ucs2" && isHighSurrogate(octets, end - 2)) end -= 2;
    }
    slices.push(octets.subarray(start, end));
    start = end;
  }
  const parts = slices.map((slice, n) =>
    Buffer.concat([Buffer.from([5, 0x00, 3, reference & 0xff, slices.length, n + 1]), slice]),
  );
  return { dataCoding, octets, parts };
}

let lastText: { body: string; encoding: "gsm7" | "ucs2"; octets: Buffer } | undefined;

/** The body's alphabet and octets; the messages of a batch share their body, so the last is kept. */
function encodeText(body: string): { encoding: "gsm7" | "ucs2"; octets: Buffer } {
  if (lastText?.body !== body) {
    const encoding = messageEncoding(body);
    const octets =
      encoding === "gsm7" ? smpp.gsmCoder.encode(body, 0) : Buffer.from(body, "utf16le").swap16();
    lastText = { body, encoding, octets };
  }
  return lastText;
}

function isHighSurrogate(octets: Buffer, at: number): boolean {
  const unit = octets.readUInt16BE(at);
  return unit >= 0xd800 && unit <= 0xdbff;
}
