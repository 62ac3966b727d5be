// The ranges of tracked links in Redis: published, looked up by link id, and
// pruned once long expired (the maintenance job `prune-link-ranges`).
import { describe, expect, it } from "vitest";
import {
  lookupLinkRange,
  type PublishedLinkRange,
  pruneLinkRanges,
  publishLinkRange,
} from "../src/link-ranges";
import { useTestRedis } from "../src/testing";

const test = useTestRedis();
const DAY = 86_400_000;

function range(base: number, size: number, expiresAt: number): PublishedLinkRange {
  return { batchId: `bat_${base}`, accountId: "acc_1", base, size, urls: ["https://a.example/"], expiresAt };
}

describe("link ranges", () => {
  it("finds the range holding an id, and none past the highest range or between ranges", async () => {
    const { redis, prefix } = test;
    await publishLinkRange(redis, `${prefix}:find`, range(100, 10, Date.now() + DAY));
    await publishLinkRange(redis, `${prefix}:find`, range(200, 5, Date.now() + DAY));
    // Published again (the worker does, before sending): nothing changes.
    await publishLinkRange(redis, `${prefix}:find`, range(200, 5, Date.now() + DAY));
    expect((await lookupLinkRange(redis, `${prefix}:find`, 109)).range?.batchId).toBe("bat_100");
    expect((await lookupLinkRange(redis, `${prefix}:find`, 150)).range).toBeNull();
    expect(await lookupLinkRange(redis, `${prefix}:find`, 204)).toMatchObject({
      range: { batchId: "bat_200" },
      top: 205,
    });
    expect((await lookupLinkRange(redis, `${prefix}:find`, 99)).range).toBeNull();
  });

  it("prunes the ranges expired before a time, in slices, and keeps the others and the top", async () => {
    const { redis, prefix } = test;
    const now = Date.now();
    // 2,500 ranges expired 8 days ago (more than one script's slice), one a day ago, one still live.
    for (let i = 0; i < 2_500; i++) await publishLinkRange(redis, prefix, range(i * 10, 10, now - 8 * DAY));
    await publishLinkRange(redis, prefix, range(30_000, 10, now - DAY));
    await publishLinkRange(redis, prefix, range(40_000, 10, now + DAY));

    expect(await pruneLinkRanges(redis, prefix, now - 7 * DAY)).toBe(2_500);
    expect((await lookupLinkRange(redis, prefix, 15)).range).toBeNull();
    expect((await lookupLinkRange(redis, prefix, 24_995)).range).toBeNull();
    expect((await lookupLinkRange(redis, prefix, 30_005)).range?.batchId).toBe("bat_30000");
    expect(await lookupLinkRange(redis, prefix, 40_001)).toMatchObject({
      range: { batchId: "bat_40000" },
      top: 40_010,
    });
    // Nothing left to prune before that time; the day-old range goes with a later time.
    expect(await pruneLinkRanges(redis, prefix, now - 7 * DAY)).toBe(0);
    expect(await pruneLinkRanges(redis, prefix, now)).toBe(1);
    expect((await lookupLinkRange(redis, prefix, 40_001)).range?.batchId).toBe("bat_40000");
  });
});
