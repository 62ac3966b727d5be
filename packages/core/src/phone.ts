import { Metadata } from "libphonenumber-js/core";
import type { CountryCode, PhoneNumber } from "libphonenumber-js/max";
import {
  getCountries,
  getCountryCallingCode,
  isSupportedCountry,
  parsePhoneNumberFromString,
  validatePhoneNumberLength,
} from "libphonenumber-js/max";
import metadata from "libphonenumber-js/metadata.max.json";
import examples from "libphonenumber-js/mobile/examples";

/**
 * No real number, however punctuated, comes near 64 characters; refusing longer
 * input before parsing keeps a hostile 10 KB "number" as cheap as a short one.
 * Longer input is judged on its length alone (`too_long`).
 */
export const MAX_INPUT_LENGTH = 64;

// Parse the whole text as a number (`extract: false`): the library's default
// hunts for a number inside free text, which would accept "abc0612345678".
// One options object per country, made once: the hot path allocates none of its own.
type ParseOptions = { defaultCountry?: CountryCode; extract: false };
const WITHOUT_COUNTRY: ParseOptions = { extract: false };
const WITH_COUNTRY = new Map<string, ParseOptions>(
  getCountries().map((country) => [country, { defaultCountry: country, extract: false }]),
);

// Digits only, not starting with 0: a national reading that failed may be an
// international number sent without its `+` ("590690112233" for +590 690…).
const INTERNATIONAL_WITHOUT_PLUS = /^[1-9]\d{9,}$/;
// `00` is the international prefix of most of the world but libphonenumber
// strips it only when the default country dials it (not with none, nor with US).
const INTERNATIONAL_WITH_00 = /^00[1-9]\d{7,}$/;

/** The number in E.164 (`+33612345678`) when `raw` is a valid phone number, else null; never throws. */
export function normalizePhoneNumber(raw: string, defaultCountry: string | undefined): string | null {
  // Numbers come from JSON and CSV files: a non-string must mark itself invalid, not fail its chunk.
  if (typeof raw !== "string" || raw.length > MAX_INPUT_LENGTH) return null;
  const text = raw.trim();
  // Blank cells are common in uploaded files, and the library answers them with a costly throw.
  if (text === "") return null;
  return validE164Text(text) ?? normalizeByLibrary(text, defaultCountry);
}

/**
 * normalizePhoneNumber without its fast path (validE164Text): libphonenumber's
 * parse every time. Exported for the test that holds both to the same answers.
 */
export function normalizeByLibrary(text: string, defaultCountry: string | undefined): string | null {
  const options = (defaultCountry !== undefined && WITH_COUNTRY.get(defaultCountry)) || WITHOUT_COUNTRY;
  const number = parsePhoneNumberFromString(text, options);
  if (number !== undefined && number.ext === undefined && number.isValid()) return number.number;
  // Only numbers that failed the fast path go further.
  if (number !== undefined && number.ext === undefined && options.defaultCountry !== undefined) {
    const overseas = inSharedPlan(text, number, options.defaultCountry);
    if (overseas !== null) return overseas;
  }
  if (INTERNATIONAL_WITHOUT_PLUS.test(text)) return validE164(`+${text}`, WITHOUT_COUNTRY);
  if (INTERNATIONAL_WITH_00.test(text)) return validE164(`+${text.slice(2)}`, WITHOUT_COUNTRY);
  return null;
}

/**
 * A number already written in E.164 (`+` and digits), of a calling code that is
 * one region's, valid by that region's patterns: the number as written, which is
 * what libphonenumber answers for it, without its parse (about 5 µs a number,
 * most of it building a RegExp per pattern tested and copying its options: a
 * million numbers judged are 5 CPU-seconds of the worker). The same rules as
 * libphonenumber-js's `isValid()` (its `getNumberType`): the national number
 * fits the region's national number pattern and one type's pattern (and that
 * type's lengths), tested with the metadata's own patterns, compiled once. Any
 * other case is left to the library (undefined): other shapes, calling codes
 * shared by several regions (+1, +7, +44…) and national numbers the library
 * would rewrite (those its national prefix for parsing matches at the start).
 * Never says "invalid": a number that fails here is parsed as before.
 */
export function validE164Text(text: string): string | undefined {
  if (!E164_TEXT.test(text)) return undefined;
  for (let length = 1; length <= 3; length++) {
    const callingCode = text.slice(1, 1 + length);
    if (!CALLING_CODES.has(callingCode)) continue;
    const plan = E164_PLANS.get(callingCode);
    if (plan === undefined) return undefined;
    const national = text.slice(1 + length);
    if (plan.prefixForParsing?.test(national) || !plan.national.test(national)) return undefined;
    const typed = plan.types.some(
      (type) =>
        (type.lengths === undefined || type.lengths.includes(national.length)) && type.pattern.test(national),
    );
    return typed ? text : undefined;
  }
  return undefined;
}

const E164_TEXT = /^\+[1-9]\d{6,14}$/;

/** Every calling code (they are prefix-free: a number starts with at most one). */
const CALLING_CODES = new Set(Object.keys(metadata.country_calling_codes));

/** A region's patterns, compiled, for validE164Text. */
interface E164Plan {
  /** Its national prefix for parsing, anchored at the start; null without one. */
  prefixForParsing: RegExp | null;
  national: RegExp;
  types: { pattern: RegExp; lengths: number[] | undefined }[];
}

function e164Plans(): Map<string, E164Plan> {
  const plans = new Map<string, E164Plan>();
  const meta = new Metadata(metadata);
  for (const [callingCode, regions] of Object.entries(metadata.country_calling_codes)) {
    const region = regions[0];
    if (regions.length !== 1 || region === undefined || !isSupportedCountry(region)) continue;
    meta.selectNumberingPlan(region);
    const plan = meta.numberingPlan as unknown as NumberingPlan;
    // Without type patterns libphonenumber judges otherwise: left to it.
    if (!plan.hasTypes()) continue;
    const prefixForParsing = plan.nationalPrefixForParsing();
    plans.set(callingCode, {
      prefixForParsing: prefixForParsing ? new RegExp(`^(?:${prefixForParsing})`) : null,
      national: new RegExp(`^(?:${plan.nationalNumberPattern()})$`),
      types: NUMBER_TYPES.flatMap((name) => {
        const type = plan.type(name);
        const pattern = type?.pattern();
        return type && pattern
          ? [{ pattern: new RegExp(`^(?:${pattern})$`), lengths: type.possibleLengths() }]
          : [];
      }),
    });
  }
  return plans;
}

function validE164(text: string, options: ParseOptions): string | null {
  const number = parsePhoneNumberFromString(text, options);
  // An extension cannot receive an SMS: sending to the main line instead would reach someone else.
  if (number === undefined || number.ext !== undefined || !number.isValid()) return null;
  return number.number;
}

/**
 * Why `raw` is not a valid phone number (see `normalizePhoneNumber`): a code of
 * `INVALID_NUMBER_REASONS`. Meant for numbers already refused: it parses again.
 */
export function invalidNumberReason(raw: string, defaultCountry: string | undefined): InvalidNumberReason {
  if (typeof raw !== "string") return "not_a_number";
  if (raw.length > MAX_INPUT_LENGTH) return "too_long";
  const text = raw.trim();
  if (text === "") return "not_a_number";
  const options = (defaultCountry !== undefined && WITH_COUNTRY.get(defaultCountry)) || WITHOUT_COUNTRY;
  let problem = lengthProblem(text, options);
  // Digits that no country reads nationally are judged as the international number they were retried as.
  if (problem === "INVALID_COUNTRY" && INTERNATIONAL_WITHOUT_PLUS.test(text))
    problem = lengthProblem(`+${text}`, WITHOUT_COUNTRY);
  else if (problem === "INVALID_COUNTRY" && INTERNATIONAL_WITH_00.test(text))
    problem = lengthProblem(`+${text.slice(2)}`, WITHOUT_COUNTRY);
  if (problem !== undefined) return LENGTH_PROBLEMS[problem];
  const number = parsePhoneNumberFromString(text, options);
  // The length checker hunts for a number inside the text; the parser used for sending does not.
  if (number === undefined) return "not_a_number";
  if (number.ext !== undefined) return "extension";
  // libphonenumber keeps a national prefix that leaves too few digits (06 12 34 56 7
  // is read as 061234567): judged without it, the number is too short.
  const prefix = options.defaultCountry && NATIONAL_PREFIX.get(options.defaultCountry);
  if (prefix && number.countryCallingCode === getCountryCallingCode(options.defaultCountry as CountryCode)) {
    const national = number.nationalNumber;
    if (national.startsWith(prefix)) {
      const problem = lengthProblem(
        `+${number.countryCallingCode}${national.slice(prefix.length)}`,
        WITHOUT_COUNTRY,
      );
      if (problem !== undefined) return LENGTH_PROBLEMS[problem];
    }
  }
  return "unallocated_range";
}

/** Why a number is invalid, as stored on its message and answered by the API. */
export const INVALID_NUMBER_REASONS = {
  not_a_number: "not a phone number",
  too_short: "too short to be a phone number",
  too_long: "too long to be a phone number",
  invalid_length: "not a possible length for a number of its country",
  invalid_country_code: "no known country calling code (and a national number needs a country)",
  unallocated_range: "well formed, but in a range not allocated to any line (today)",
  extension: "a number with an extension, which cannot receive an SMS",
} as const;

export type InvalidNumberReason = keyof typeof INVALID_NUMBER_REASONS;

const LENGTH_PROBLEMS = {
  NOT_A_NUMBER: "not_a_number",
  TOO_SHORT: "too_short",
  TOO_LONG: "too_long",
  INVALID_LENGTH: "invalid_length",
  INVALID_COUNTRY: "invalid_country_code",
} as const satisfies Record<string, InvalidNumberReason>;

function lengthProblem(text: string, options: ParseOptions): keyof typeof LENGTH_PROBLEMS | undefined {
  try {
    return validatePhoneNumberLength(text, options);
  } catch {
    return "NOT_A_NUMBER";
  }
}

/**
 * A national number that is not valid in `country` but is in one of the
 * regions that share its national numbering plan (`SHARED_PLAN`): 0690 11 22 33
 * read in France is Guadeloupe's +590 690 11 22 33. The same national number,
 * read nationally there (not a number written with a calling code), and valid.
 */
function inSharedPlan(text: string, refused: PhoneNumber, country: CountryCode): string | null {
  const regions = SHARED_PLAN.get(country);
  if (regions === undefined) return null;
  for (const { region, pattern } of regions) {
    // Most refused numbers fit no region's pattern: a regular expression is far cheaper than a parse.
    if (!pattern.test(refused.nationalNumber)) continue;
    const number = parsePhoneNumberFromString(text, WITH_COUNTRY.get(region) as ParseOptions);
    if (
      number !== undefined &&
      number.ext === undefined &&
      number.nationalNumber === refused.nationalNumber &&
      number.countryCallingCode === getCountryCallingCode(region) &&
      number.isValid()
    )
      return number.number;
  }
  return null;
}

/** The share of a country's mobile block it must use itself for holes in it to be other regions'. */
const OWNED_BLOCK = 0.9;

/** libphonenumber's number types: a number of any of them is valid. */
const NUMBER_TYPES = [
  "FIXED_LINE",
  "MOBILE",
  "TOLL_FREE",
  "PREMIUM_RATE",
  "PERSONAL_NUMBER",
  "VOICEMAIL",
  "UAN",
  "PAGER",
  "VOIP",
  "SHARED_COST",
];

/** Each country's national (trunk) prefix, where it has one: `0` in France. */
const NATIONAL_PREFIX = new Map<CountryCode, string>();

/**
 * Per country, the regions of other calling codes whose national numbers are
 * dialled as its own: France's overseas departments and collectivities
 * (Guadeloupe, Martinique, Guyane, Réunion, Mayotte, Saint-Barthélemy,
 * Saint-Martin) are reached from France as 0690…, 0696…, 0692…, though they
 * have their own calling codes (+590, +596, +262…) from abroad; and from them,
 * France and the others are national numbers too.
 *
 * Regions that share a calling code (GB with GG, JE, IM; US with PR, GU…) need
 * nothing here: libphonenumber validates a number against every region of its
 * calling code. The link across calling codes is not in its metadata, so it is
 * derived from what the metadata shows of such a plan. Region R was carved out
 * of country C's plan when:
 * - R dials like C: the same national prefix (not none), international prefix
 *   and national number lengths, so a number written nationally reads the same;
 * - R's numbers sit in holes of a block that is C's: R's example mobile number
 *   is in C's mobile block (the first digit of C's example mobile), within C's
 *   national number pattern, yet not valid in C, while at least nine tenths of
 *   that block is valid in C (a block mostly someone else's is no sign).
 * C and the regions carved out of it share one plan: each is tried for the
 * others. For FR this gives exactly BL, GF, GP, MF, MQ, RE, YT (Saint-Pierre-
 * et-Miquelon has 6-digit numbers, outside the 10-digit plan), and no other
 * country gets any region today. Only numbers invalid in C are tried: the
 * metadata counts 0596… and 0269… (fixed lines of Martinique and Mayotte) as
 * valid French numbers, so with FR they stay +33 596…, +33 269….
 */
const SHARED_PLAN: ReadonlyMap<CountryCode, readonly SharedPlanRegion[]> = sharedPlans();

/** The plans of calling codes that are one region's, by calling code (see validE164Text). */
const E164_PLANS: ReadonlyMap<string, E164Plan> = e164Plans();

/** A region sharing a country's plan, with the pattern of its national numbers. */
interface SharedPlanRegion {
  region: CountryCode;
  pattern: RegExp;
}

function sharedPlans(): Map<CountryCode, SharedPlanRegion[]> {
  interface Plan {
    country: CountryCode;
    callingCode: string;
    conventions: string;
    pattern: () => RegExp;
    /** Numbers of any type (mobile, fixed line, toll free…): what libphonenumber calls valid. */
    valid: () => RegExp;
    example: string | undefined;
  }
  const plans: Plan[] = [];
  const meta = new Metadata(metadata);
  for (const country of getCountries()) {
    meta.selectNumberingPlan(country);
    // `nationalPrefix`, `nationalNumberPattern` and `type` are in the class, not in its typings.
    const plan = meta.numberingPlan as unknown as NumberingPlan;
    const nationalPrefix = plan.nationalPrefix();
    if (!nationalPrefix) continue;
    NATIONAL_PREFIX.set(country, nationalPrefix);
    plans.push({
      country,
      callingCode: getCountryCallingCode(country),
      conventions: `${nationalPrefix}|${plan.IDDPrefix()}|${plan.possibleLengths().join(",")}`,
      // Compiled only for the few countries that get that far.
      pattern: once(() => new RegExp(`^(?:${plan.nationalNumberPattern()})$`)),
      valid: once(
        () =>
          new RegExp(
            `^(?:${NUMBER_TYPES.flatMap((type) => plan.type(type)?.pattern() ?? [])
              .map((pattern) => `(?:${pattern})`)
              .join("|")})$`,
          ),
      ),
      example: examples[country],
    });
  }
  const shared = new Map<CountryCode, SharedPlanRegion[]>();
  const link = (from: Plan, to: Plan) => {
    const regions = shared.get(from.country) ?? [];
    if (!regions.some((r) => r.region === to.country))
      regions.push({ region: to.country, pattern: to.pattern() });
    shared.set(from.country, regions);
  };
  for (const home of plans) {
    const homeExample = home.example;
    if (homeExample === undefined) continue;
    const carved = plans.filter((other) => {
      const example = other.example;
      return (
        example !== undefined &&
        other.callingCode !== home.callingCode &&
        other.conventions === home.conventions &&
        example[0] === homeExample[0] &&
        home.pattern().test(example) &&
        !home.valid().test(example)
      );
    });
    if (carved.length === 0) continue;
    // The block's share valid in the home country, on a hundred numbers spread over it.
    let valid = 0;
    for (let i = 0; i < 100; i++) {
      if (home.valid().test(`${homeExample[0]}${String(i).padStart(2, "0")}${homeExample.slice(3)}`)) valid++;
    }
    if (valid < OWNED_BLOCK * 100) continue;
    const family = [home, ...carved];
    for (const member of family) {
      for (const other of family) if (other.callingCode !== member.callingCode) link(member, other);
    }
  }
  return shared;
}

function once<T>(make: () => T): () => T {
  let value: T | undefined;
  return () => {
    value ??= make();
    return value;
  };
}

interface NumberingPlan {
  nationalPrefix(): string | undefined;
  nationalPrefixForParsing(): string | undefined;
  IDDPrefix(): string;
  possibleLengths(): number[];
  nationalNumberPattern(): string;
  hasTypes(): boolean;
  type(type: string): { pattern(): string; possibleLengths(): number[] | undefined } | undefined;
}

/** True for a region code libphonenumber knows (ISO 3166 alpha-2, upper case: `FR`, `US`, `GP`). */
export function isCountryCode(code: string): boolean {
  return isSupportedCountry(code);
}

/**
 * A country and the regions whose numbers are dialled as its own national
 * numbers (`SHARED_PLAN`): for FR, the overseas departments and collectivities
 * (BL, GF, GP, MF, MQ, RE, YT); for most countries, the country alone. Sorted.
 */
export function nationalRegions(country: string): string[] {
  const regions = SHARED_PLAN.get(country as CountryCode) ?? [];
  return [country, ...regions.map((r) => r.region)].sort();
}

/** Regions by calling code (`33` → FR; `1` → US, CA, PR…), made on first use. */
const REGIONS_BY_CALLING_CODE = once(() => {
  const byCode = new Map<string, string[]>();
  for (const country of getCountries()) {
    const code = getCountryCallingCode(country);
    byCode.set(code, [...(byCode.get(code) ?? []), country]);
  }
  return byCode;
});

/**
 * The regions of an E.164 number's calling code, without parsing it (calling
 * codes are 1 to 3 digits and none is the start of another); undefined for a
 * code of no region (`+800`, `+882`) or no number.
 */
export function regionsOfCallingCode(e164: string): readonly string[] | undefined {
  const byCode = REGIONS_BY_CALLING_CODE();
  for (let length = 1; length <= 3; length++) {
    const regions = byCode.get(e164.slice(1, 1 + length));
    if (regions) return regions;
  }
  return undefined;
}

/** The region (ISO 3166 alpha-2) an E.164 number belongs to, e.g. `FR` for +33612345678; undefined when unknown. */
export function countryOfNumber(e164: string): string | undefined {
  if (e164.length > MAX_INPUT_LENGTH) return undefined;
  return parsePhoneNumberFromString(e164, WITHOUT_COUNTRY)?.country;
}

/** A number as SMSFactor's API and payloads write them: E.164 without its `+` (`33612345678`). */
export function withoutPlus(e164: string): string {
  return e164.startsWith("+") ? e164.slice(1) : e164;
}
