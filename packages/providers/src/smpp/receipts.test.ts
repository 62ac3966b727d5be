import { describe, expect, it } from "vitest";
import { equivalentIds, parseReceipt, receiptReport } from "./receipts";

describe("parseReceipt", () => {
  it.each([
    {
      text: "id:42 sub:001 dlvrd:001 submit date:2612040101 done date:2612040102 stat:DELIVRD err:000 text:Hi",
      tlvs: {},
      receipt: { providerMessageId: "42", stat: "DELIVRD", err: "000" },
    },
    {
      text: "id:0A1B submit date:2612040101 done date:2612040102 stat:UNDELIV err:001",
      tlvs: {},
      receipt: { providerMessageId: "0A1B", stat: "UNDELIV", err: "001" },
    },
    // The TLV's id wins over the text's; message_state stands in for a missing stat.
    {
      text: "id:1 stat:EXPIRED",
      tlvs: { receiptedMessageId: "2" },
      receipt: { providerMessageId: "2", stat: "EXPIRED" },
    },
    {
      text: "",
      tlvs: { receiptedMessageId: "u-1", messageState: 8 },
      receipt: { providerMessageId: "u-1", stat: "REJECTD" },
    },
    { text: "stat:DELIVRD", tlvs: {}, receipt: undefined },
    { text: "id:9", tlvs: {}, receipt: undefined },
  ])("$text $tlvs", ({ text, tlvs, receipt }) => {
    expect(parseReceipt(text, tlvs)).toEqual(receipt);
  });
});

describe("receiptReport", () => {
  const at = new Date(0);
  it("ignores intermediate states", () => {
    for (const stat of ["ACCEPTD", "ENROUTE", "SCHEDULED"]) {
      expect(receiptReport({ providerMessageId: "1", stat }, [], at)).toBeUndefined();
    }
  });

  it("turns a listed err code into unknown_subscriber only when undelivered", () => {
    expect(receiptReport({ providerMessageId: "1", stat: "UNDELIV", err: "001" }, ["001"], at)).toMatchObject(
      {
        reason: "unknown_subscriber",
      },
    );
    expect(
      receiptReport({ providerMessageId: "1", stat: "DELIVRD", err: "001" }, ["001"], at),
    ).not.toHaveProperty("reason");
  });
});

describe("equivalentIds", () => {
  it.each([
    // All digits reads as decimal and as hex: the id as written is tried first.
    ["6699", ["1a2b", "1A2B", "26265"]],
    ["1A2B", ["6699", "1a2b"]],
    ["ff", ["255", "FF"]],
    ["550e8400-e29b-41d4-a716-446655440000", []],
  ])("%s → %j", (id, forms) => {
    expect(new Set(equivalentIds(id))).toEqual(new Set(forms));
  });
});
