/**
 * The countries an account may send to, and its monthly limits per country
 * (SMSFactor's `not_allowed` and `country_limit`). Pure: the store resolves an
 * account's settings (its own, else its parent's, else the defaults) and keeps
 * the month's usage; these decide, message by message, what the settings say.
 */
import { z } from "zod";
import { countryOfNumber, isCountryCode, nationalRegions, regionsOfCallingCode } from "./phone";

/** The reason stored on a message to a country the account may not send to. */
export const COUNTRY_NOT_ALLOWED = "country_not_allowed";
/** The reason stored on a message past its country's monthly limit. */
export const COUNTRY_LIMIT_REACHED = "country_limit_reached";

/** The most messages a monthly limit may be set to (PostgreSQL's integer). */
const MAX_COUNTRY_LIMIT = 2_147_483_647;

/** An ISO 3166 alpha-2 country code, any case in, upper case out. */
const countryCode = z
  .string()
  .transform((code) => code.trim().toUpperCase())
  .refine(isCountryCode, "expected an ISO 3166 alpha-2 country code, e.g. FR");

/** Countries an account may send to: 1 to 250 codes, repeats dropped, sorted. */
export const allowedCountries = z
  .array(countryCode)
  .min(1, "at least one country (null: the default)")
  .max(250)
  .transform((codes) => [...new Set(codes)].sort());

/** Monthly limits: a whole number of messages (0 or more) per country code, e.g. `{"BE": 1000}`. */
export const countryLimits = z
  .record(z.string(), z.number().int().min(0).max(MAX_COUNTRY_LIMIT))
  .superRefine((limits, ctx) => {
    for (const code of Object.keys(limits)) {
      if (!isCountryCode(code))
        ctx.addIssue({
          code: "custom",
          path: [code],
          message: `${code}: not an ISO 3166 alpha-2 country code (upper case, e.g. BE)`,
        });
    }
  })
  .refine((limits) => Object.keys(limits).length <= 250, "at most 250 countries");

/**
 * The body of `PUT /v1/subaccounts/:id/countries`: the sub-account's allowed
 * countries (within its parent's, checked by the service), or null for its
 * parent's. Monthly limits are the operator's (`salvo accounts update`).
 */
export const subAccountCountries = z.strictObject({
  allowed_countries: allowedCountries.nullable(),
});

/**
 * The countries an account may send to when neither it nor its parent set any:
 * its default country and the regions dialled as national numbers from it (a
 * French account reaches Guadeloupe as 0690…: FR with BL, GF, GP, MF, MQ, RE, YT).
 */
export function defaultAllowedCountries(defaultCountry: string): string[] {
  return nationalRegions(defaultCountry);
}

/**
 * The country a valid E.164 number is sent to, when it is one of `allowed`; null
 * when it is not (a number no country claims, `+800…`, is never allowed).
 */
export function allowedCountryOf(to: string, allowed: ReadonlySet<string>): string | null {
  // Most numbers are told by their calling code alone (+33 is France's only), a
  // parse (several µs) is left for codes shared by regions of which some are allowed.
  const regions = regionsOfCallingCode(to);
  if (regions === undefined || !regions.some((region) => allowed.has(region))) return null;
  if (regions.length === 1) return regions[0] as string;
  const country = countryOfNumber(to);
  return country !== undefined && allowed.has(country) ? country : null;
}

/**
 * Which messages the month's quotas let through, in order: `countries[i]` is
 * message i's country, `remaining` what each limited country has left (a country
 * absent from it has no limit). Returns, per message, true when it goes (taking
 * one from its country's quota, in `remaining`) and false when it is past the
 * limit (`country_limit`): the first ones of a country go, the rest do not.
 */
export function withinCountryLimits(countries: readonly string[], remaining: Map<string, number>): boolean[] {
  return countries.map((country) => {
    const left = remaining.get(country);
    if (left === undefined) return true;
    if (left <= 0) return false;
    remaining.set(country, left - 1);
    return true;
  });
}
