import type { DeliveryReport } from "../provider";

/** A delivery receipt read from a deliver_sm, before it is matched to a message. */
interface Receipt {
  /** The SMSC's message id, as the receipt writes it. */
  providerMessageId: string;
  /** DELIVRD, UNDELIV, EXPIRED, … (from `stat:` or the message_state TLV). */
  stat: string;
  /** The `err:` code, when the text has one. */
  err?: string;
}

// message_state TLV values (SMPP 3.4 §5.2.28) as the `stat:` words SMSCs write.
const MESSAGE_STATES = [
  "SCHEDULED",
  "ENROUTE",
  "DELIVRD",
  "EXPIRED",
  "DELETED",
  "UNDELIV",
  "ACCEPTD",
  "UNKNOWN",
  "REJECTD",
];

/** Final states and what Salvo makes of them; others (ENROUTE, ACCEPTD, …) are intermediate. */
const FINAL_STATES: Record<string, Pick<DeliveryReport, "status" | "reason">> = {
  DELIVRD: { status: "delivered" },
  UNDELIV: { status: "undelivered", reason: "undelivered" },
  EXPIRED: { status: "undelivered", reason: "expired" },
  REJECTD: { status: "undelivered", reason: "rejected" },
  DELETED: { status: "undelivered", reason: "deleted" },
  UNKNOWN: { status: "undelivered", reason: "unknown" },
};

/**
 * Reads a receipt from its text (`id:… sub:… dlvrd:… submit date:… done date:…
 * stat:… err:… text:…`, any of the optional fields missing) and its TLVs: the
 * receipted_message_id TLV wins over the text's id, `stat:` over message_state.
 */
export function parseReceipt(
  text: string,
  tlvs: { receiptedMessageId?: string | undefined; messageState?: number | undefined },
): Receipt | undefined {
  const field = (name: string) => new RegExp(`(?:^|\\s)${name}:(\\S+)`, "i").exec(text)?.[1];
  const providerMessageId = tlvs.receiptedMessageId || field("id");
  const stat =
    field("stat")?.toUpperCase() ??
    (tlvs.messageState === undefined ? undefined : MESSAGE_STATES[tlvs.messageState]);
  if (!providerMessageId || !stat) return undefined;
  const err = field("err");
  return err === undefined ? { providerMessageId, stat } : { providerMessageId, stat, err };
}

/**
 * The report Salvo applies for a final receipt, or undefined for an intermediate
 * one. An `err:` listed in `npaiErrorCodes` makes the reason `unknown_subscriber`,
 * which puts the number on the account's NPAI list.
 */
export function receiptReport(
  receipt: Receipt,
  npaiErrorCodes: readonly string[],
  at: Date,
): DeliveryReport | undefined {
  const final = FINAL_STATES[receipt.stat];
  if (!final) return undefined;
  const npai =
    final.status === "undelivered" && receipt.err !== undefined && npaiErrorCodes.includes(receipt.err);
  const report: DeliveryReport = {
    providerMessageId: receipt.providerMessageId,
    equivalentIds: equivalentIds(receipt.providerMessageId),
    status: final.status,
    providerCode: receipt.err === undefined ? receipt.stat : `${receipt.stat}:${receipt.err}`,
    at,
  };
  const reason = npai ? "unknown_subscriber" : final.reason;
  if (reason !== undefined) report.reason = reason;
  return report;
}

/**
 * Other spellings of an SMSC id: many write the id in decimal in one place and in
 * hex in the other (submit_sm_resp vs receipt text), so a decimal id also matches
 * its hex form and a hex one its decimal form, both cases.
 */
export function equivalentIds(id: string): string[] {
  const forms = new Set<string>();
  if (/^\d{1,30}$/.test(id)) {
    const hex = BigInt(id).toString(16);
    forms.add(hex).add(hex.toUpperCase());
  }
  if (/^[0-9a-f]{1,24}$/i.test(id)) {
    forms.add(BigInt(`0x${id}`).toString(10));
    forms.add(id.toLowerCase()).add(id.toUpperCase());
  }
  forms.delete(id);
  return [...forms];
}
