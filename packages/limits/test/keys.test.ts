// The limits' keys in the Redis Cluster layout (packages/queue/src/keys.ts): keys
// used together in one script share a hash tag; groups never used together do not.
import { hashed } from "@salvo/queue/testing";
import { describe, expect, it } from "vitest";
import { floodKey } from "../src/anti-flood";
import { sendLimitKey } from "../src/send-limiter";

describe("key layout", () => {
  it("keeps an account's anti-flood shards of every hour in one slot, accounts apart", () => {
    const keys = (account: string) =>
      [0, 1, 16_383].flatMap((shard) => [
        floodKey("salvo", account, 500_000, shard),
        floodKey("salvo", account, 499_999, shard),
      ]);
    for (const key of keys("acc_a")) {
      expect(key.startsWith("salvo:flood:{acc_a}:")).toBe(true);
      expect(hashed(key)).toBe("acc_a");
    }
    expect(new Set(keys("acc_b").map(hashed))).toEqual(new Set(["acc_b"]));
  });

  it("keeps every send limit in one slot, so limits can be reserved together", () => {
    const keys = ["provider:simulator", "account:acc_a", "account:acc_b"].map((key) =>
      sendLimitKey("salvo", key),
    );
    expect(keys[0]).toBe("salvo:{send-limit}:provider:simulator");
    expect(new Set(keys.map(hashed))).toEqual(new Set(["send-limit"]));
  });

  it("puts every key in one slot under a prefix with a hash tag of its own", () => {
    const keys = [floodKey("{salvo}", "acc_a", 1, 2), sendLimitKey("{salvo}", "provider:simulator")];
    for (const key of keys) expect(key.startsWith("{salvo}:")).toBe(true);
    expect(new Set(keys.map(hashed))).toEqual(new Set(["salvo"]));
  });
});
