import { describe, expect, it } from "vitest";
import { newBatch, newSms } from "../src/requests";

const DAY = 86_400_000;
const batch = (send_at: unknown) =>
  newBatch.safeParse({ from: "ACME", body: "Hi", recipients: ["1"], send_at });
const sms = (send_at: unknown) => newSms.safeParse({ from: "ACME", to: "1", body: "Hi", send_at });
const at = (ms: number, offset = "Z") => new Date(Date.now() + ms).toISOString().replace("Z", offset);

describe("send_at", () => {
  it.each([
    ["an hour ahead, UTC", at(3_600_000), true],
    ["an hour ahead, with an offset of +00:00", at(3_600_000, "+00:00"), true],
    ["89 days ahead", at(89 * DAY), true],
    ["in the past", at(-60_000), false],
    ["more than 90 days ahead", at(91 * DAY), false],
    ["without an offset", at(3_600_000, ""), false],
    ["a date without a time", "2027-01-05", false],
    ["not a date", "tomorrow", false],
    ["a number", 1_800_000_000_000, false],
  ])("%s: accepted %s", (_, value, ok) => {
    for (const parsed of [batch(value), sms(value)]) {
      expect(parsed.success).toBe(ok);
      if (!parsed.success) expect(parsed.error.issues[0]?.path).toEqual(["send_at"]);
    }
  });

  it("is parsed to the instant it names, and absent by default", () => {
    const parsed = newBatch.parse({ from: "A", body: "b", recipients: ["1"], send_at: at(DAY, "+00:00") });
    expect(parsed.send_at).toBeInstanceOf(Date);
    expect(newBatch.parse({ from: "A", body: "b", recipients: ["1"] }).send_at).toBeUndefined();
  });
});
