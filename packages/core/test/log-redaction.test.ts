import { describe, expect, it } from "vitest";
import { maskPhoneNumbers } from "../src/log-redaction";

describe("maskPhoneNumbers", () => {
  it.each([
    ["E.164", "+33612345678", "+336******78"],
    ["E.164, spaced", "+33 6 12 34 56 78", "+336******78"],
    ["national", "0612345678", "061*****78"],
    ["national, spaced", "06 12 34 56 78", "061*****78"],
    ["national, dotted", "06.12.34.56.78", "061*****78"],
    ["national, dashed", "06-12-34-56-78", "061*****78"],
    ["six digits, the shortest masked", "123456", "123*56"],
    ["a number in a path", "/v1/blacklist/+33612345678", "/v1/blacklist/+336******78"],
    ["a number in a path, percent-encoded +", "/v1/blacklist/%2B33612345678", "/v1/blacklist/%2B336******78"],
    ["a number mid-path", "/v1/npai/0612345678/check", "/v1/npai/061*****78/check"],
    ["every number in a text", "to 0612345678 and +447700900123", "to 061*****78 and +447*******23"],
  ])("masks %s", (_, text, masked) => {
    expect(maskPhoneNumbers(text)).toBe(masked);
  });

  it.each([
    ["an empty text", ""],
    ["a path without digits", "/v1/account"],
    ["a short number in a path", "/v1/batches/12345"],
    ["a page number", "/v1/tokens?page=12"],
    ["an account id", "/v1/accounts/acc_01M80MXDWGVGQX5TAPE6GR537G"],
    ["an id with a long run of digits", "/v1/tokens/tok_01JD3K123456789ABCDEFGHJKM"],
    ["an id ending in digits", "/v1/batches/bat_01JD3KABCDEFGH0123456789"],
    ["a UUID", "request 550e8400-e29b-41d4-a716-446655440000"],
    ["a timestamp", "2026-11-22T10:00:00Z"],
  ])("leaves %s untouched", (_, text) => {
    expect(maskPhoneNumbers(text)).toBe(text);
  });
});
