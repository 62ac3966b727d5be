// Webhook formats as pure functions: SMSFactor's DLR codes, its Paris dates
// (winter and summer time), its signature, and the bodies rendered from stored
// events; Salvo's format posts the stored bytes unchanged.
import { createHmac } from "node:crypto";
import { describe, expect, it } from "vitest";
import { type EventFacts, renderEvent, smsfactorDlrStatus, smsfactorSignature } from "../src/index";

const countryOf = (e164: string) => (e164.startsWith("+33") ? "FR" : undefined);
const facts: EventFacts = {
  accountId: "acc_1",
  message: { batchId: "bat_1", ref: "621277", fields: { info1: "Louis", info4: 7 } },
};

describe("smsfactorDlrStatus", () => {
  it.each([
    ["delivered", null, 3],
    ["undelivered", "expired", 12],
    ["undelivered", "unknown_subscriber", 5],
    ["undelivered", "rejected", 9],
    ["undelivered", "network_error", 11],
    ["undelivered", "undelivered", 2],
    ["undelivered", null, 2],
    ["failed", "rejected_by_provider", 9],
    ["failed", "invalid_destination", 5],
    ["failed", "invalid_sender", 6],
    ["failed", "no_bind", 7],
    ["sent", null, 0],
  ] as const)("%s (%s) is %i", (status, reason, code) => {
    expect(smsfactorDlrStatus(status, reason)).toBe(code);
  });
});

describe("renderEvent", () => {
  const stored = (type: string, data: object) =>
    JSON.stringify({ type, timestamp: "2018-01-16T10:55:12.000Z", data });

  it("posts Salvo's format as stored, byte for byte", () => {
    const payload = stored("dlr", { to: "+33612345678" });
    expect(renderEvent("salvo", payload, facts, countryOf)).toBe(payload);
  });

  it("writes SMSFactor's DLR with the ref, the batch and the country", () => {
    const payload = stored("dlr", {
      message_id: "msg_x_0",
      to: "+33612345678",
      status: "delivered",
      reason: null,
      at: "2018-01-16T10:55:12.000Z",
    });
    expect(renderEvent("smsfactor", payload, facts, countryOf)).toBe(
      '{"date":"2018-01-16T11:55:12+01:00","status":3,"destination":"33612345678","message_id":"621277","campaign_id":"bat_1","country_code":"FR"}',
    );
  });

  it("writes SMSFactor's CLICKER with the recipient's fields as text", () => {
    const payload = stored("message.clicked", {
      url: "https://a.example",
      short_url: "https://s.example/Ab",
      brand: null,
      model: null,
      os: "iOS",
      clicks: 2,
      at: "2024-07-27T06:45:21.000Z",
    });
    expect(JSON.parse(renderEvent("smsfactor", payload, facts, countryOf))).toEqual({
      campaign_id: "bat_1",
      gsmsid: "621277",
      date: "2024-07-27 08:45:21",
      long_url: "https://a.example",
      short_url: "https://s.example/Ab",
      brand: "",
      model: "",
      os: "iOS",
      info1: "Louis",
      info2: "",
      info3: "",
      info4: "7",
      clicks_on_link: "2",
    });
  });

  it("posts an event SMSFactor or Sofy have no request for in Salvo's format", () => {
    const payload = stored("batch.completed", { batch_id: "bat_1" });
    expect(renderEvent("smsfactor", payload, facts, countryOf)).toBe(payload);
    expect(renderEvent("sofy", payload, facts, countryOf)).toBe(payload);
  });
});

describe("smsfactorSignature", () => {
  it("is the hex HMAC-SHA256 of the body keyed with the signature text", () => {
    const body = '{"status":3}';
    expect(smsfactorSignature("mysignature123", body)).toBe(
      createHmac("sha256", "mysignature123").update(body).digest("hex"),
    );
    expect(smsfactorSignature("mysignature123", body)).toMatch(/^[0-9a-f]{64}$/);
  });
});
