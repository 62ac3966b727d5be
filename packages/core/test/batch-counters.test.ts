import { describe, expect, it } from "vitest";
import {
  BATCH_COUNTER_NAMES,
  BATCH_COUNTERS,
  BATCH_TOTAL_PARTS,
  batchCounts,
  JUDGED_STATUSES,
} from "../src/batch-counters";
import { MESSAGE_STATUSES } from "../src/message-status";

describe("batch counters", () => {
  it("name a column, a row field and an API attribute alike: lower-case words joined by _", () => {
    for (const name of BATCH_COUNTER_NAMES) expect(name).toMatch(/^[a-z]+(_[a-z]+)*$/);
  });

  it("are, in the API's order, total, pending, one per message status, then clicked", () => {
    expect(BATCH_COUNTER_NAMES).toEqual(["total", "pending", ...MESSAGE_STATUSES, "clicked"]);
  });

  it("add up to total: every message status is counted by exactly one part", () => {
    const notParts = ["total", "delivered", "undelivered", "clicked"];
    expect(BATCH_TOTAL_PARTS).toEqual(BATCH_COUNTER_NAMES.filter((name) => !notParts.includes(name)));
    for (const status of MESSAGE_STATUSES) {
      const parts = BATCH_TOTAL_PARTS.filter((part) =>
        (BATCH_COUNTERS[part].rows as readonly string[]).includes(status),
      );
      expect([status, parts.length]).toEqual([status, 1]);
    }
  });

  it("judged statuses are the messages refused before any hand-off", () => {
    expect(JUDGED_STATUSES).toEqual([
      "blacklisted",
      "duplicated",
      "invalid",
      "npai",
      "flooded",
      "not_allowed",
      "country_limit",
    ]);
  });

  it("batchCounts takes every counter of a row, in the table's order, and nothing else", () => {
    const row = {
      id: "bat_1",
      cost: 9,
      ...Object.fromEntries(BATCH_COUNTER_NAMES.map((name, i) => [name, i])),
    } as unknown as Parameters<typeof batchCounts>[0];
    const counts = batchCounts(row);
    expect(Object.keys(counts)).toEqual(BATCH_COUNTER_NAMES);
    expect(Object.values(counts)).toEqual(BATCH_COUNTER_NAMES.map((_, i) => i));
  });
});
