import { describe, expect, it } from "vitest";
import { allowedIps, canonicalIpEntry, ipAllowList, MAX_ALLOWED_IPS } from "../src/ip-allow-list";

describe("canonicalIpEntry", () => {
  it.each([
    ["192.168.2.2", "192.168.2.2"],
    [" 192.168.2.0/24 ", "192.168.2.0/24"],
    ["10.1.2.3/8", "10.1.2.3/8"],
    ["1.2.3.4/32", "1.2.3.4/32"],
    ["2A01:E0A:1:0::1", "2a01:e0a:1::1"],
    ["2a01:e0a::/32", "2a01:e0a::/32"],
    ["::1", "::1"],
    ["::ffff:1.2.3.4", "1.2.3.4"],
    ["::ffff:10.0.0.0/104", "10.0.0.0/8"],
    ["0.0.0.0/0", "0.0.0.0/0"],
  ])("%s → %s", (entry, canonical) => {
    expect(canonicalIpEntry(entry)).toBe(canonical);
  });

  it.each([
    "",
    "localhost",
    "1.2.3",
    "0x7f.0.0.1",
    "01.2.3.4",
    "256.1.1.1",
    "1.2.3.4/33",
    "1.2.3.4/",
    "1.2.3.4/-1",
    "1.2.3.4/a",
    "::1/129",
    "fe80::1%eth0",
    "1.2.3.4, 5.6.7.8",
  ])("refuses %j", (entry) => {
    expect(canonicalIpEntry(entry)).toBeNull();
  });
});

describe("allowedIps", () => {
  it("keeps canonical entries once each; empty or null is none", () => {
    expect(allowedIps.parse(["::1", "0:0::1", "1.2.3.4"])).toEqual(["::1", "1.2.3.4"]);
    expect(allowedIps.parse([])).toBeNull();
    expect(allowedIps.parse(null)).toBeNull();
  });

  it("names a bad entry and caps the count", () => {
    const bad = allowedIps.safeParse(["1.2.3.4", "nope"]);
    expect(bad.success).toBe(false);
    expect(bad.error?.issues[0]).toMatchObject({ path: [1], message: expect.stringContaining('"nope"') });
    const many = Array.from({ length: MAX_ALLOWED_IPS + 1 }, (_, i) => `10.0.${i >> 8}.${i & 255}`);
    expect(allowedIps.safeParse(many).success).toBe(false);
  });
});

describe("ipAllowList", () => {
  const allows = ipAllowList(["192.168.2.0/24", "10.0.0.7", "2a01:e0a::/32", "::1"]);

  it.each([
    ["192.168.2.200", true],
    ["192.168.3.1", false],
    ["10.0.0.7", true],
    ["10.0.0.8", false],
    ["::ffff:192.168.2.9", true],
    ["::ffff:10.0.0.7", true],
    ["::ffff:10.0.0.8", false],
    ["2a01:e0a:1::5", true],
    ["2a02::1", false],
    ["::1", true],
    ["127.0.0.1", false],
    ["not an address", false],
    [undefined, false],
  ])("%s → %s", (address, allowed) => {
    expect(allows(address)).toBe(allowed);
  });

  it("an IPv4-mapped IPv6 range entry matches IPv4 requests", () => {
    expect(ipAllowList(["::ffff:127.0.0.0/104"])("127.0.0.1")).toBe(true);
  });
});
