import type { CountryCode } from "libphonenumber-js/max";
import { getCountries, isSupportedCountry, parsePhoneNumberFromString } from "libphonenumber-js/max";

/**
 * No real number, however punctuated, comes near 64 characters; refusing longer
 * input before parsing keeps a hostile 10 KB "number" as cheap as a short one.
 */
const MAX_INPUT_LENGTH = 64;

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
  const options = (defaultCountry !== undefined && WITH_COUNTRY.get(defaultCountry)) || WITHOUT_COUNTRY;
  const number = validE164(text, options);
  if (number !== null) return number;
  if (INTERNATIONAL_WITHOUT_PLUS.test(text)) return validE164(`+${text}`, WITHOUT_COUNTRY);
  if (INTERNATIONAL_WITH_00.test(text)) return validE164(`+${text.slice(2)}`, WITHOUT_COUNTRY);
  return null;
}

function validE164(text: string, options: ParseOptions): string | null {
  const number = parsePhoneNumberFromString(text, options);
  // An extension cannot receive an SMS: sending to the main line instead would reach someone else.
  if (number === undefined || number.ext !== undefined || !number.isValid()) return null;
  return number.number;
}

/** True for a region code libphonenumber knows (ISO 3166 alpha-2, upper case: `FR`, `US`, `GP`). */
export function isCountryCode(code: string): boolean {
  return isSupportedCountry(code);
}
