import { describe, expect, it } from "vitest";
import {
  addressRange,
  checkDestination,
  DestinationRefusedError,
  isPublicAddress,
  webhookUrlProblem,
} from "../src/index";

describe("isPublicAddress", () => {
  it.each([
    ["93.184.215.14", true],
    ["8.8.8.8", true],
    ["2606:4700:4700::1111", true],
    ["64:ff9b::5db8:d70e", true], // NAT64 form of 93.184.215.14
    ["127.0.0.1", false],
    ["127.1.2.3", false],
    ["10.0.0.1", false],
    ["172.16.5.4", false],
    ["192.168.1.1", false],
    ["169.254.169.254", false],
    ["100.64.0.1", false],
    ["0.0.0.0", false],
    ["255.255.255.255", false],
    ["224.0.0.1", false],
    ["240.0.0.1", false],
    ["192.0.2.1", false],
    ["::1", false],
    ["::", false],
    ["fe80::1", false],
    ["fc00::1", false],
    ["fd12:3456::1", false],
    ["ff02::1", false],
    ["::ffff:127.0.0.1", false],
    ["::ffff:10.0.0.1", false],
    ["::ffff:169.254.169.254", false],
    ["64:ff9b::a00:1", false], // NAT64 form of 10.0.0.1
    ["2001:db8::1", false],
    ["not an address", false],
  ])("%s → %s", (address, expected) => {
    expect(isPublicAddress(address)).toBe(expected);
  });

  it("names the range it refuses", () => {
    expect(addressRange("10.1.2.3")).toBe("private");
    expect(addressRange("::ffff:127.0.0.1")).toBe("loopback");
    expect(addressRange("fd00::1")).toBe("uniqueLocal");
  });
});

describe("webhookUrlProblem", () => {
  it.each([
    ["https://example.com/hooks?x=1", null],
    ["http://example.com:8080/", null],
    ["ftp://example.com/", "must start with https:// or http://"],
    ["https://user:pass@example.com/", "must not contain credentials (user:password@)"],
    ["https://user@example.com/", "must not contain credentials (user:password@)"],
    ["example.com/hook", "not a valid URL"],
    [`https://example.com/${"a".repeat(2_030)}`, "at most 2048 characters"],
  ])("%s → %s", (url, problem) => {
    expect(webhookUrlProblem(url)).toBe(problem);
  });
});

describe("checkDestination", () => {
  const refused = (url: string) =>
    checkDestination(url, { allowPrivateNetworks: false }).then(
      () => null,
      (error: Error) => (error instanceof DestinationRefusedError ? error.message : `unexpected: ${error}`),
    );

  it("refuses private literals and names that resolve to them", async () => {
    expect(await refused("http://127.0.0.1:3000/")).toMatch(/127\.0\.0\.1, a loopback address/);
    expect(await refused("http://[::1]/")).toMatch(/::1, a loopback address/);
    expect(await refused("http://[::ffff:7f00:1]/")).toMatch(/loopback/);
    expect(await refused("http://169.254.169.254/latest/meta-data")).toMatch(/linkLocal/);
    expect(await refused("http://2130706433/")).toMatch(/127\.0\.0\.1/); // the URL parser reads it as 127.0.0.1
    expect(await refused("http://localhost:8080/")).toMatch(/^localhost resolves to .*loopback/);
  });

  it("accepts public literals, and private ones when allowed", async () => {
    expect(await refused("https://93.184.215.14/hook")).toBeNull();
    await expect(
      checkDestination("http://127.0.0.1/", { allowPrivateNetworks: true }),
    ).resolves.toBeUndefined();
  });

  it("refuses a host that does not resolve, allowed or not", async () => {
    expect(await refused("https://nothing-here.invalid/")).toBe("nothing-here.invalid does not resolve");
    await expect(
      checkDestination("https://nothing-here.invalid/", { allowPrivateNetworks: true }),
    ).rejects.toThrow(DestinationRefusedError);
  });
});
