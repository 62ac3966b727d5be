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
  it("name a column, a Prisma field and an API attribute alike: one lower-case word", () => {
    for (const name of BATCH_COUNTER_NAMES) expect(name).toMatch(/^[a-z]+$/);
  });

  it("add up to total: every message status is counted by exactly one part", () => {
    expect(BATCH_TOTAL_PARTS).toEqual([
      "pending",
      "sent",
      "failed",
      "blacklisted",
      "duplicated",
      "invalid",
      "npai",
      "flooded",
    ]);
    for (const status of MESSAGE_STATUSES) {
      const parts = BATCH_TOTAL_PARTS.filter((part) =>
        (BATCH_COUNTERS[part].rows as readonly string[]).includes(status),
      );
      expect([status, parts.length]).toEqual([status, 1]);
    }
  });

  it("judged statuses are the messages refused before any hand-off", () => {
    expect(JUDGED_STATUSES).toEqual(["blacklisted", "duplicated", "invalid", "npai", "flooded"]);
  });

  it("batchCounts takes every counter of a row, in the table's order, and nothing else", () => {
    const row = {
      id: "bat_1",
      cost: 9,
      ...Object.fromEntries(BATCH_COUNTER_NAMES.map((name, i) => [name, i])),
    } as unknown as Parameters<typeof batchCounts>[0];
    const counts = batchCounts(row);
    expect(Object.keys(counts)).toEqual([
      "total",
      "pending",
      "sent",
      "delivered",
      "undelivered",
      "failed",
      "blacklisted",
      "duplicated",
      "invalid",
      "npai",
      "flooded",
    ]);
    expect(Object.values(counts)).toEqual(BATCH_COUNTER_NAMES.map((_, i) => i));
  });
});
