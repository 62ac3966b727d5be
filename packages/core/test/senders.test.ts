import { describe, expect, it } from "vitest";
import { senderProblem } from "../src/senders";

describe("senderProblem", () => {
  it.each([
    ["ACME", "a name of letters"],
    ["Acme2026", "letters and digits"],
    ["ABC", "3 characters"],
    ["ABCDEFGHIJK", "11 characters"],
    ["1A2", "one letter is enough"],
    ["123", "a 3-digit short code"],
    ["36789", "a French short code"],
    ["12345678", "an 8-digit short code"],
    ["+33612345678", "an international number"],
    ["+12025550123", "E.164, 11 digits"],
    ["+123456789012345", "E.164, 15 digits"],
  ])("accepts %j (%s)", (sender) => {
    expect(senderProblem(sender)).toBeNull();
  });

  it.each([
    ["", "3 to 11 characters"],
    ["AB", "3 to 11 characters"],
    ["ABCDEFGHIJKL", "3 to 11 characters"],
    ["12", "3 to 8 digits"],
    ["336123456789", "international format"],
    ["+3361234", "+ and 8 to 15 digits"],
    ["+1234567890123456", "+ and 8 to 15 digits"],
    ["+0612345678", "not starting with 0"],
    ["ACMEж", "GSM 03.38"],
    ["ACME😀", "GSM 03.38"],
    ["AC€ME", "letters A-Z and digits only"],
    ["12-34", "at least one letter"],
    ["123 456", "at least one letter"],
    ["Café", "letters A-Z and digits only"],
    ["ACME SHOP", "letters A-Z and digits only"],
    ["ACME\n", "letters A-Z and digits only"],
  ])("refuses %j: %s", (sender, problem) => {
    expect(senderProblem(sender)).toContain(problem);
  });
});
