// Where a webhook may post. A webhook URL is chosen by an API user, and the
// workers post to it from inside the operator's network: without a rule, anyone
// with a token could make Salvo call its database, its cloud metadata service or
// an admin page on localhost (SSRF). So by default only public unicast addresses
// are reached, checked when the webhook is created and again, on the address
// actually connected to, at every delivery (a DNS name can change in between).
import { lookup as dnsLookup, type LookupAddress } from "node:dns";
import { isIP, type LookupFunction } from "node:net";
import ipaddr from "ipaddr.js";

export const MAX_WEBHOOK_URL_LENGTH = 2_048;

/** A destination the rule refuses, or a host that does not resolve. */
export class DestinationRefusedError extends Error {
  readonly code = "ERR_WEBHOOK_DESTINATION";
}

/** What is wrong with a webhook URL's form (not where it points), or null when nothing is. */
export function webhookUrlProblem(raw: string): string | null {
  if (raw.length > MAX_WEBHOOK_URL_LENGTH) return `at most ${MAX_WEBHOOK_URL_LENGTH} characters`;
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return "not a valid URL";
  }
  if (url.protocol !== "https:" && url.protocol !== "http:") return "must start with https:// or http://";
  if (url.username || url.password) return "must not contain credentials (user:password@)";
  if (!url.hostname) return "has no host";
  if (url.href.length > MAX_WEBHOOK_URL_LENGTH)
    return `at most ${MAX_WEBHOOK_URL_LENGTH} characters once encoded`;
  return null;
}

// NAT64's well-known prefix carries an IPv4 address in its last 32 bits.
const NAT64 = ipaddr.parseCIDR("64:ff9b::/96");

/**
 * The special-purpose range an address falls in (`loopback`, `private`,
 * `linkLocal`, `uniqueLocal`, `carrierGradeNat`, `reserved`, …), or `unicast` for
 * an ordinary public address; IPv4-mapped and NAT64 IPv6 forms are judged by the
 * IPv4 address they carry.
 */
export function addressRange(address: string): string {
  if (!ipaddr.isValid(address)) return "invalid";
  const ip = ipaddr.process(address);
  if (ip.kind() === "ipv6" && ip.match(NAT64)) {
    const bytes = ip.toByteArray().slice(12);
    return ipaddr.fromByteArray(bytes).range();
  }
  return ip.range();
}

/** Whether an address is an ordinary public one, the only kind webhooks reach by default. */
export function isPublicAddress(address: string): boolean {
  return addressRange(address) === "unicast";
}

/** A URL's host as an address or DNS name (IPv6 literals lose their brackets). */
function hostOf(url: URL): string {
  return url.hostname.replace(/^\[(.*)\]$/, "$1");
}

/** The setting that lets webhooks post to private addresses, named in every refusal. */
const ALLOW_PRIVATE_NETWORKS = "WEBHOOK_ALLOW_PRIVATE_NETWORKS";

function refusal(host: string, address: string): DestinationRefusedError {
  const where = host === address ? address : `${host} resolves to ${address}`;
  return new DestinationRefusedError(
    `${where}, a ${addressRange(address)} address: webhooks may only post to public addresses ` +
      `unless the operator sets ${ALLOW_PRIVATE_NETWORKS}=true on the API and workers`,
  );
}

function resolveAll(host: string, timeoutMs: number): Promise<LookupAddress[]> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new DestinationRefusedError(`${host} did not resolve within ${timeoutMs} ms`)),
      timeoutMs,
    );
    dnsLookup(host, { all: true, verbatim: true }, (error, addresses) => {
      clearTimeout(timer);
      if (error || addresses.length === 0) reject(new DestinationRefusedError(`${host} does not resolve`));
      else resolve(addresses);
    });
  });
}

/**
 * Checks where a URL points: its host must resolve, and unless private networks
 * are allowed, every address it resolves to must be public. Throws a
 * DestinationRefusedError saying why not.
 */
export async function checkDestination(
  url: string | URL,
  options: { allowPrivateNetworks: boolean; dnsTimeoutMs?: number },
): Promise<void> {
  const host = hostOf(typeof url === "string" ? new URL(url) : url);
  const addresses = isIP(host)
    ? [host]
    : (await resolveAll(host, options.dnsTimeoutMs ?? 5_000)).map((a) => a.address);
  if (options.allowPrivateNetworks) return;
  const refused = addresses.find((address) => !isPublicAddress(address));
  if (refused) throw refusal(host, refused);
}

/**
 * Refuses an IP-literal URL host that is not public. Connections to DNS names
 * are checked by `publicOnlyLookup` instead (Node does not look literals up).
 */
export function checkAddressLiteral(url: URL): void {
  const host = hostOf(url);
  if (isIP(host) && !isPublicAddress(host)) throw refusal(host, host);
}

/**
 * A `lookup` for `net.connect` that resolves like `dns.lookup` but fails when any
 * address is not public: the address checked is the address connected to, so a
 * DNS answer that changes after the check (rebinding) cannot slip through.
 */
export const publicOnlyLookup: LookupFunction = (hostname, options, callback) => {
  dnsLookup(hostname, { ...options, all: true }, (error, addresses) => {
    if (error) return callback(error, "");
    const refused = addresses.find((a) => !isPublicAddress(a.address));
    if (refused) return callback(refusal(hostname, refused.address), "");
    if (options.all) return callback(null, addresses);
    const first = addresses[0];
    if (!first) return callback(new DestinationRefusedError(`${hostname} does not resolve`), "");
    callback(null, first.address, first.family);
  });
};
