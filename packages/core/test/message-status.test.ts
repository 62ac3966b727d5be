import { describe, expect, it } from "vitest";
import { readMessageReason } from "../src/message-status";

describe("readMessageReason", () => {
  it.each([
    ["duplicate_of:0", "duplicate_of", 0],
    ["duplicate_of:41", "duplicate_of", 41],
    ["duplicate_of", "duplicate_of", null], // judged by a worker that kept no position
    ["too_short", "too_short", null],
    ["flooded_count", "flooded_count", null],
    [null, null, null],
  ])("%j is %j at %j", (stored, reason, duplicateOf) => {
    expect(readMessageReason(stored)).toEqual({ reason, duplicateOf });
  });
});
