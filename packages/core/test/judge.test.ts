import { describe, expect, it } from "vitest";
import {
  duplicateVerdict,
  type FirstPositions,
  floodedReason,
  invalidVerdict,
  judgeNumbers,
  judgeRecipient,
  listedStatus,
  rememberVerdicts,
} from "../src/judge";

describe("chunk verdicts", () => {
  // Written by judgeNumbers (and by older workers), read by judgeRecipient.
  it.each([
    ["+33612345678", { status: "valid", to: "+33612345678" }],
    [invalidVerdict("too_short"), { status: "invalid", to: "0612345678", reason: "too_short" }],
    [
      duplicateVerdict(41, "+590690112233"),
      { status: "duplicated", to: "+590690112233", reason: "duplicate_of:41" },
    ],
    [
      duplicateVerdict(0, "+33612345678"),
      { status: "duplicated", to: "+33612345678", reason: "duplicate_of:0" },
    ],
    // As written by workers before reasons were kept, still in flight during an upgrade.
    ["!", { status: "invalid", to: "0612345678", reason: "unallocated_range" }],
    ["=+33612345678", { status: "duplicated", to: "+33612345678", reason: "duplicate_of" }],
  ])("%j reads as %j", (verdict, expected) => {
    expect(judgeRecipient(verdict, "0612345678", "FR")).toEqual(expected);
  });

  it.each([
    ["!too_short", "+331", { status: "invalid", to: "+331", reason: "too_short" }],
    [
      "=41:+590690112233",
      "0690112233",
      { status: "duplicated", to: "+590690112233", reason: "duplicate_of:41" },
    ],
    ["=+33612345678", "0612345678", { status: "duplicated", to: "+33612345678", reason: "duplicate_of" }],
    ["+33612345678", "0612345678", { status: "valid", to: "+33612345678" }],
    // No reason kept (an older worker): worked out again, with the batch's country.
    ["!", "0612", { status: "invalid", to: "0612", reason: "too_short" }],
    // Stored as sent, without NUL, at most 64 characters.
    ["!not_a_number", "ab\0c", { status: "invalid", to: "abc", reason: "not_a_number" }],
    ["!too_long", "9".repeat(70), { status: "invalid", to: "9".repeat(64), reason: "too_long" }],
  ])("%j for %j is %j", (verdict, raw, expected) => {
    expect(judgeRecipient(verdict, raw, "FR")).toEqual(expected);
  });
});

describe("judgeNumbers", () => {
  it("marks invalid numbers and points repeats to the first position in the batch", () => {
    const seen: FirstPositions = new Map();
    // Two chunks of a batch, normalized together; the second starts at position 3.
    const normalized = ["+33611111111", "too_short", "+33622222222", "+33622222222", "+33611111111"];
    expect(judgeNumbers(normalized, 0, 3, 0, seen)).toEqual(["+33611111111", "!too_short", "+33622222222"]);
    expect(judgeNumbers(normalized, 3, 2, 3, seen)).toEqual(["=2:+33622222222", "=0:+33611111111"]);
  });

  it("counts numbers of chunks judged earlier (their stored verdicts) as seen first", () => {
    const seen: FirstPositions = new Map();
    rememberVerdicts(["!too_short", "+33611111111", "=1:+33611111111"], 10, seen);
    expect([...seen]).toEqual([["+33611111111", 11]]);
    expect(judgeNumbers(["+33611111111", "+33633333333"], 0, 2, 13, seen)).toEqual([
      "=11:+33611111111",
      "+33633333333",
    ]);
  });
});

describe("listedStatus", () => {
  const lists = {
    blacklisted: new Set(["+33611111111", "+33633333333"]),
    npai: new Set(["+33622222222", "+33633333333"]),
  };
  it.each([
    ["+33611111111", "blacklisted"],
    ["+33622222222", "npai"],
    ["+33633333333", "blacklisted"], // on both: the opt-out comes first
    ["+33644444444", null],
  ])("%s is %s", (to, expected) => {
    expect(listedStatus(to, lists)).toBe(expected);
  });
});

describe("floodedReason", () => {
  it.each([
    ["count", "flooded_count"],
    ["same_body", "flooded_same_body"],
  ] as const)("%s floods as %s", (rule, reason) => {
    expect(floodedReason(rule)).toBe(reason);
  });
});
