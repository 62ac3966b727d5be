import { describe, expect, it } from "vitest";
import {
  allowedCountries,
  allowedCountryOf,
  countryLimits,
  defaultAllowedCountries,
  subAccountCountries,
  withinCountryLimits,
} from "../src/countries";

describe("allowedCountryOf", () => {
  const allowed = new Set(["FR", "BE"]);
  it.each([
    ["+33612345678", "FR"],
    ["+32470123456", "BE"],
    ["+14155552671", null],
    // Guadeloupe is a country of its own, as SMSFactor counts them.
    ["+590690112233", null],
    // No country claims it: never allowed.
    ["+80012345678", null],
  ])("%s → %s", (to, expected) => {
    expect(allowedCountryOf(to, allowed)).toBe(expected);
  });
});

describe("defaultAllowedCountries", () => {
  it.each([
    ["FR", ["BL", "FR", "GF", "GP", "MF", "MQ", "RE", "YT"]],
    ["BE", ["BE"]],
    ["US", ["US"]],
  ])("%s → %j", (country, expected) => {
    expect(defaultAllowedCountries(country)).toEqual(expected);
  });
});

describe("withinCountryLimits", () => {
  it("lets the first of each limited country through, up to what is left, and every other", () => {
    const remaining = new Map([
      ["BE", 2],
      ["ES", 0],
    ]);
    expect(withinCountryLimits(["BE", "FR", "BE", "ES", "BE", "FR"], remaining)).toEqual([
      true,
      true,
      true,
      false,
      false,
      true,
    ]);
    expect(remaining).toEqual(
      new Map([
        ["BE", 0],
        ["ES", 0],
      ]),
    );
  });

  it("takes nothing with no limits", () => {
    expect(withinCountryLimits(["FR", "US"], new Map())).toEqual([true, true]);
  });
});

describe("settings", () => {
  it("reads allowed countries in any case, without repeats, sorted", () => {
    expect(allowedCountries.parse(["be", "FR", "fr"])).toEqual(["BE", "FR"]);
  });

  it.each([[[]], [["XX"]], [["FRA"]], [[1]]])("refuses the allowed countries %j", (value) => {
    expect(allowedCountries.safeParse(value).success).toBe(false);
  });

  it("takes monthly limits per country code", () => {
    expect(countryLimits.parse({ BE: 1000, ES: 0 })).toEqual({ BE: 1000, ES: 0 });
  });

  it.each([[{ XX: 1 }], [{ be: 1 }], [{ BE: -1 }], [{ BE: 1.5 }], [{ BE: "1" }]])(
    "refuses the monthly limits %j",
    (value) => {
      expect(countryLimits.safeParse(value).success).toBe(false);
    },
  );

  it("sets a sub-account's allowed countries, null giving back its parent's", () => {
    expect(subAccountCountries.parse({ allowed_countries: null })).toEqual({ allowed_countries: null });
    expect(subAccountCountries.parse({ allowed_countries: ["be"] })).toEqual({ allowed_countries: ["BE"] });
    expect(subAccountCountries.safeParse({}).success).toBe(false);
    expect(subAccountCountries.safeParse({ allowed_countries: ["FR"], monthly_limits: {} }).success).toBe(
      false,
    );
  });
});

describe("allowedCountryOf on a calling code shared by regions", () => {
  it("tells them apart when some are allowed", () => {
    const us = new Set(["US"]);
    expect(allowedCountryOf("+14155552671", us)).toBe("US");
    // Toronto: +1 too, but Canada.
    expect(allowedCountryOf("+14165550123", us)).toBe(null);
    expect(allowedCountryOf("+14165550123", new Set(["CA"]))).toBe("CA");
  });
});
