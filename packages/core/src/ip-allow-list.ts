// The addresses an API token may be used from (its `allowed_ips`): IPv4 and IPv6
// addresses and CIDR ranges of either. Parsing and matching are ipaddr.js's
// (already in the tree through Express's proxy-addr), not hand-written.
import ipaddr from "ipaddr.js";
import { z } from "zod";

/** The most entries one token's allow-list may hold. */
export const MAX_ALLOWED_IPS = 100;

type Range = [ipaddr.IPv4 | ipaddr.IPv6, number];

/**
 * An entry as a range. IPv4 only in four-part decimal (`1.2.3.4`, not `1.2.3`,
 * `0x7f.1` or `01.2.3.4`, which resolvers read differently); no IPv6 zone (`%eth0`);
 * an IPv4-mapped IPv6 entry (`::ffff:1.2.3.4`) is read as the IPv4 one it maps.
 */
function parseEntry(entry: string): Range | null {
  const slash = entry.indexOf("/");
  const address = slash < 0 ? entry : entry.slice(0, slash);
  const isV4 = ipaddr.IPv4.isValidFourPartDecimal(address);
  if (address.includes("%") || !(isV4 || ipaddr.IPv6.isValid(address))) return null;
  if (
    slash >= 0 &&
    !(isV4 ? ipaddr.IPv4.isValidCIDRFourPartDecimal(entry) : ipaddr.IPv6.isValidCIDR(entry))
  ) {
    return null;
  }
  const [ip, bits] = slash < 0 ? [ipaddr.parse(address), isV4 ? 32 : 128] : ipaddr.parseCIDR(entry);
  if (ip instanceof ipaddr.IPv6 && ip.isIPv4MappedAddress() && bits >= 96)
    return [ip.toIPv4Address(), bits - 96];
  return [ip, bits];
}

/** An allow-list entry's canonical form (`2a01:e0a:1::1`, `192.168.2.0/24`), or null when it is not an address or CIDR range. */
export function canonicalIpEntry(entry: string): string | null {
  const range = parseEntry(entry.trim());
  if (!range) return null;
  const [ip, bits] = range;
  const exact = bits === (ip.kind() === "ipv4" ? 32 : 128);
  return exact && !entry.includes("/") ? ip.toString() : `${ip.toString()}/${bits}`;
}

/**
 * `allowed_ips` as requests give it: up to MAX_ALLOWED_IPS addresses or CIDR ranges,
 * stored canonical and once each; an empty list or null is none (the token works
 * from any address). A bad entry is refused, named.
 */
export const allowedIps = z
  .array(
    z.string().transform((entry, ctx) => {
      const canonical = canonicalIpEntry(entry);
      if (canonical !== null) return canonical;
      ctx.addIssue({
        code: "custom",
        message: `${JSON.stringify(entry.slice(0, 60))} is not an IPv4 or IPv6 address or CIDR range`,
      });
      return z.NEVER;
    }),
  )
  .max(MAX_ALLOWED_IPS, `at most ${MAX_ALLOWED_IPS} addresses or ranges`)
  .nullable()
  .transform((entries) => (entries && entries.length > 0 ? [...new Set(entries)] : null));

/**
 * Whether `address` (a request's, as Express gives it; IPv4-mapped IPv6 is read
 * as IPv4) is in one of the ranges of `entries` (stored canonical forms).
 */
export function ipAllowList(entries: readonly string[]): (address: string | undefined) => boolean {
  const ranges = entries.map(parseEntry).filter((range): range is Range => range !== null);
  return (address) => {
    if (!address || !ipaddr.isValid(address)) return false;
    const ip = ipaddr.process(address);
    return ranges.some(([range, bits]) => ip.kind() === range.kind() && ip.match(range, bits));
  };
}
