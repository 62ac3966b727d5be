import { describe, expect, it } from "vitest";
import { duplicateVerdict, invalidVerdict, readVerdict } from "../src/processors/verdicts";

describe("chunk verdicts", () => {
  it.each([
    ["+33612345678", { kind: "valid", to: "+33612345678" }],
    [invalidVerdict("too_short"), { kind: "invalid", reason: "too_short" }],
    [duplicateVerdict(41, "+590690112233"), { kind: "duplicate", to: "+590690112233", of: 41 }],
    [duplicateVerdict(0, "+33612345678"), { kind: "duplicate", to: "+33612345678", of: 0 }],
    // As written by workers before reasons were kept, still in flight during an upgrade.
    ["!", { kind: "invalid", reason: null }],
    ["=+33612345678", { kind: "duplicate", to: "+33612345678", of: null }],
  ])("%j reads as %j", (verdict, expected) => {
    expect(readVerdict(verdict)).toEqual(expected);
  });
});
