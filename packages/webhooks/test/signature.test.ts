import { Webhook } from "standardwebhooks";
import { describe, expect, it } from "vitest";
import { generateWebhookSecret, isWebhookSecret, signWebhook } from "../src/index";

describe("signWebhook", () => {
  it("matches the Standard Webhooks reference example", () => {
    const signature = signWebhook(
      "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
      "msg_p5jXN8AQM9LWM0D4loKWxJek",
      1614265330,
      '{"test": 2432232314}',
    );
    expect(signature).toBe("v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");
  });

  it("is accepted by the standardwebhooks library, and only for the bytes signed", () => {
    const secret = generateWebhookSecret();
    const payload = JSON.stringify({
      type: "mo",
      timestamp: new Date().toISOString(),
      data: { body: "é 🙂" },
    });
    const timestamp = Math.floor(Date.now() / 1000);
    const headers = {
      "webhook-id": "evt_1",
      "webhook-timestamp": String(timestamp),
      "webhook-signature": signWebhook(secret, "evt_1", timestamp, payload),
    };
    const consumer = new Webhook(secret);
    expect(consumer.verify(payload, headers)).toEqual(JSON.parse(payload));
    expect(() => consumer.verify(`${payload} `, headers)).toThrow();
    expect(() => consumer.verify(payload, { ...headers, "webhook-id": "evt_2" })).toThrow();
    expect(() => new Webhook(generateWebhookSecret()).verify(payload, headers)).toThrow();
  });
});

describe("secrets", () => {
  it("generates whsec_ and 32 random bytes, each time new", () => {
    const a = generateWebhookSecret();
    expect(a).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
    expect(Buffer.from(a.slice(6), "base64")).toHaveLength(32);
    expect(isWebhookSecret(a)).toBe(true);
    expect(generateWebhookSecret()).not.toBe(a);
  });

  it.each([
    ["whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", true], // 24 bytes
    [`whsec_${Buffer.alloc(64, 7).toString("base64")}`, true],
    [`whsec_${Buffer.alloc(23, 7).toString("base64")}`, false], // too short
    [`whsec_${Buffer.alloc(65, 7).toString("base64")}`, false], // too long
    ["MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", false], // no prefix
    ["whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaS!", false], // not base64
    ["whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaS", false], // not a whole base64 quantum
    ["whsec_", false],
  ])("isWebhookSecret(%s) is %s", (secret, valid) => {
    expect(isWebhookSecret(secret)).toBe(valid);
  });
});
