import { createHmac, timingSafeEqual } from "node:crypto";
import { NUL, sender } from "@salvo/core";
import { z } from "zod";
import type { CallbackQuery, DeliveryReport } from "../provider";

/**
 * The signature a dlr-url carries for one message: HMAC-SHA256 of its id under
 * the connector's secret. The secret itself never leaves Salvo (Kannel logs and
 * stores dlr-urls), and a leaked dlr-url can only report on its own message.
 */
export function dlrSignature(secret: string, messageId: string): string {
  return createHmac("sha256", secret).update(`dlr:${messageId}`).digest("base64url");
}

function sameText(given: unknown, expected: string): boolean {
  if (typeof given !== "string") return false;
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

/**
 * A DLR call is signed for its message (`sig`); an MO call, whose get-url is
 * fixed in Kannel's configuration, carries the secret itself (`token`).
 */
export function authenticateCallback(
  secret: string,
  { path, query }: { path: "dlr" | "inbound"; query: CallbackQuery },
): boolean {
  if (path === "inbound") return sameText(query.token, secret);
  return typeof query.id === "string" && sameText(query.sig, dlrSignature(secret, query.id));
}

/**
 * Kannel's DLR types (`%d`, the dlr-mask bits): 1 delivered, 2 undelivered to the
 * handset, 4 buffered at the SMSC, 8 accepted by the SMSC, 16 rejected by the SMSC;
 * 34 (DLR_EXPIRED, 0x20 | 2) is what Kannel 1.4.5's SMPP client reports for a receipt
 * whose `message_state` TLV says EXPIRED (a `stat:EXPIRED` text gives 2).
 */
const DLR_TYPES = {
  1: "DELIVRD",
  2: "UNDELIV",
  4: "BUFFERED",
  8: "SMSC_ACK",
  16: "SMSC_NACK",
  34: "EXPIRED",
} as const;

/**
 * The dlr-url's query (`id`, `sig`, `type=%d`, `reply=%A`) → the report it carries:
 * 1 delivered; 2 undelivered, 16 (the SMSC refused the message after Kannel took
 * it) and 34 (expired) undelivered, with the SMSC's reply as the provider code; 4 and 8 are interim
 * (the message is `sent` already): acknowledged, nothing applied.
 */
export const kannelDlrSchema = z
  .object({
    id: z.string().min(1).max(64),
    type: z.enum(["1", "2", "4", "8", "16", "34"], "a Kannel DLR type: 1, 2, 4, 8, 16 or 34"),
    // %A: the SMSC's DLR text, e.g. `id:… stat:UNDELIV err:001`; kept for support.
    reply: z.string().max(1_000).optional(),
  })
  .transform(({ id, type, reply }): DeliveryReport[] => {
    const code = Number(type) as keyof typeof DLR_TYPES;
    if (code === 4 || code === 8) return [];
    const providerCode = reply ? `${DLR_TYPES[code]} ${reply}`.slice(0, 200) : DLR_TYPES[code];
    const at = new Date();
    if (code === 1) return [{ messageId: id, status: "delivered", providerCode, at }];
    const reason = code === 16 ? "rejected" : code === 34 ? "expired" : undeliveredReason(reply);
    return [{ messageId: id, status: "undelivered", reason, providerCode, at }];
  });

/** The reason an SMSC's DLR text gives (its `stat:`), in Salvo's words. */
function undeliveredReason(reply: string | undefined): string {
  const stat = reply?.match(/stat:(\w+)/i)?.[1]?.toUpperCase();
  if (stat === "EXPIRED") return "expired";
  if (stat === "REJECTD") return "rejected";
  return "network_error";
}

/**
 * The sms-service get-url's query: `from=%p&to=%P&text=%a` (and the `token`), as
 * Kannel fills them in: the sender's number, the number it was sent to, the text.
 */
export const kannelInboundSchema = z
  .object({
    from: z.string().min(1).max(64),
    to: sender,
    text: z
      .string()
      .max(1_600)
      .refine((body) => !body.includes(NUL), "the message body contains a NUL character"),
  })
  .transform(({ from, to, text }) => ({ from, to, body: text }));
