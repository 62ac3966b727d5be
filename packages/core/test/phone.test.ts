import { type CountryCode, getCountryCallingCode } from "libphonenumber-js/max";
import metadata from "libphonenumber-js/metadata.max.json";
import examples from "libphonenumber-js/mobile/examples";
import { describe, expect, it } from "vitest";
import {
  INVALID_NUMBER_REASONS,
  invalidNumberReason,
  isCountryCode,
  normalizeByLibrary,
  normalizePhoneNumber,
  validE164Text,
} from "../src/phone";

describe("normalizePhoneNumber", () => {
  it.each([
    // France: international forms, with or without a default country
    ["+33 6 12 34 56 78", undefined, "+33612345678"],
    ["+33612345678", "US", "+33612345678"],
    ["+33 (0)6 12 34 56 78", undefined, "+33612345678"],
    ["+33-6-12-34-56-78", undefined, "+33612345678"],
    ["0033612345678", "FR", "+33612345678"],
    ["0033 6 12 34 56 78", "FR", "+33612345678"],
    // France: national forms
    ["06 12 34 56 78", "FR", "+33612345678"],
    ["06.12.34.56.78", "FR", "+33612345678"],
    ["06-12-34-56-78", "FR", "+33612345678"],
    ["0612345678", "FR", "+33612345678"],
    ["07 56 12 34 56", "FR", "+33756123456"],
    ["01 23 45 67 89", "FR", "+33123456789"],
    ["09 12 34 56 78", "FR", "+33912345678"],
    ["\t06 12 34 56 78\r\n", "FR", "+33612345678"],
    ["\u00a006 12 34 56 78\u00a0", "FR", "+33612345678"],
    // French overseas: national numbers need their own country
    ["0690 11 22 33", "GP", "+590690112233"],
    ["0692 12 34 56", "RE", "+262692123456"],
    ["+596 696 12 34 56", undefined, "+596696123456"],
    ["+594 694 12 34 56", "FR", "+594694123456"],
    // French overseas, dialled nationally from France: the same 10-digit plan, other calling codes
    ["0690112233", "FR", "+590690112233"], // Guadeloupe (and Saint-Barthélemy, Saint-Martin)
    ["0690 11 22 33", "FR", "+590690112233"],
    ["0590 27 12 34", "FR", "+590590271234"], // Saint-Barthélemy's fixed lines
    ["0696123456", "FR", "+596696123456"], // Martinique
    ["0694 20 12 34", "FR", "+594694201234"], // Guyane
    ["0692123456", "FR", "+262692123456"], // Réunion
    ["0262123456", "FR", "+262262123456"],
    ["0639 01 23 45", "FR", "+262639012345"], // Mayotte
    ["0696 12 34 56", "GP", "+596696123456"], // Martinique, from Guadeloupe
    // …and a French number dialled from an overseas region is French, not the region's
    ["06 12 34 56 78", "GP", "+33612345678"],
    ["06 12 34 56 78", "RE", "+33612345678"],
    // Several regions under one calling code: libphonenumber validates against all of them
    ["01481 256789", "GB", "+441481256789"], // Guernsey
    ["01534 456789", "GB", "+441534456789"], // Jersey
    ["07624 123456", "GB", "+447624123456"], // Isle of Man
    ["787 234 5678", "US", "+17872345678"], // Puerto Rico
    ["671 300 1234", "US", "+16713001234"], // Guam
    ["0639 01 23 45", "RE", "+262639012345"], // Mayotte, from Réunion
    // United States
    ["+1 (415) 555-2671", undefined, "+14155552671"],
    ["(415) 555-2671", "US", "+14155552671"],
    ["415.555.2671", "US", "+14155552671"],
    ["1 415 555 2671", "US", "+14155552671"],
    // United Kingdom
    ["+44 7400 123456", undefined, "+447400123456"],
    ["07400 123456", "GB", "+447400123456"],
    ["020 7946 0958", "GB", "+442079460958"],
    // Germany
    ["+49 1512 3456789", undefined, "+4915123456789"],
    ["01512 3456789", "DE", "+4915123456789"],
    ["030 901820", "DE", "+4930901820"],
    // Belgium, Switzerland, Spain
    ["+32 470 12 34 56", undefined, "+32470123456"],
    ["0470 12 34 56", "BE", "+32470123456"],
    ["+41 78 123 45 67", undefined, "+41781234567"],
    ["078 123 45 67", "CH", "+41781234567"],
    ["+34 612 34 56 78", undefined, "+34612345678"],
    ["612 34 56 78", "ES", "+34612345678"],
  ])("%j (default %s) is %s", (raw, country, e164) => {
    expect(normalizePhoneNumber(raw, country)).toBe(e164);
  });

  it.each([
    ["", "FR"],
    ["   ", "FR"],
    ["+", undefined],
    ["+", "FR"],
    ["++33612345678", undefined],
    ["📱", "FR"],
    ["06 12 34 56 78 📱", "FR"],
    ["hello", "FR"],
    ["abc0612345678", "FR"],
    ["Call 06 12 34 56 78 now", "FR"],
    ["+33 6 12 34 56 7a", undefined],
    ["1-800-FLOWERS", "US"],
    ["06 12 34 56 7", "FR"],
    ["06 12 34 56 789", "FR"],
    ["+33 6 12 34 56", undefined],
    ["+33 6 12 34 56 789", undefined],
    ["+1 415 555 267", undefined],
    ["+1234567890123456", undefined],
    ["+999 123 456 789", undefined],
    ["07 12 34 56 78", "FR"], // 071: an unallocated French range, possible but not valid
    ["06 12 34 56 78", undefined], // a national number needs a country
    ["+33 690 11 22 33", undefined], // Guadeloupe's range under France's calling code
    ["+33 690 11 22 33", "FR"], // written with +33: not read as a national number
    ["0033 690 11 22 33", "FR"],
    ["0712345605", "FR"], // unallocated in France and in every overseas region
    ["0690 11 22 33", "GB"], // only France shares its plan with the overseas regions
    ["0690 11 22 33", "BE"],
    ["06\u000012 34 56 78", "FR"],
    ["0612345678\u0000", "FR"],
    ["06 12 34 56 78 ext. 12", "FR"], // an extension cannot receive an SMS
    ["+33612345678;ext=12", undefined],
    ["(+33) 6 12 34 56 78", undefined], // a bracketed country code is not understood
    ["tel:+33612345678", undefined], // a URI, not a number
  ])("%j (default %s) is not a valid number", (raw, country) => {
    expect(normalizePhoneNumber(raw, country)).toBeNull();
  });

  it.each(["DE", "GB", "BE", "CH", "MA", "EH", "DZ", "AF", "LK", "US"])(
    "reads 0690 11 22 33 with %s as anything but Guadeloupe's: only the French plan spans the overseas regions",
    (country) => {
      expect(normalizePhoneNumber("0690 11 22 33", country)).not.toBe("+590690112233");
    },
  );

  describe("digits without `+`", () => {
    // libphonenumber reads "590690112233" with FR as the French national number
    // 590690112233 (invalid: too long) and with no country not at all, so a
    // failed national reading of 10+ digits not starting with 0 is retried as +….
    it.each([
      ["590690112233", "FR", "+590690112233"], // Guadeloupe, as the single-message API receives it
      ["590690112233", "GP", "+590690112233"], // libphonenumber strips GP's own calling code
      ["590690112233", undefined, "+590690112233"],
      ["33612345678", "FR", "+33612345678"], // libphonenumber strips FR's own calling code
      ["33612345678", undefined, "+33612345678"],
      ["33612345678", "DE", "+4933612345678"], // valid in Germany's long numbering: national wins
      ["14155552671", "FR", "+14155552671"],
      ["4155552671", "US", "+14155552671"], // the national reading wins when valid
      ["447400123456", "GB", "+447400123456"],
      ["0033612345678", undefined, "+33612345678"], // 00 as the international prefix, with no country
      ["0033612345678", "US", "+33612345678"], // …and where it is not (US dials 011)
      ["01133612345678", "US", "+33612345678"], // libphonenumber knows 011 for the US
    ])("%j (default %s) is %s", (raw, country, e164) => {
      expect(normalizePhoneNumber(raw, country)).toBe(e164);
    });

    it.each([
      ["612345678", undefined], // 9 digits: too short to be read as international
      ["0612345678", undefined], // a leading 0 is a trunk prefix, never a country code
      ["590 690 11 22 33", "FR"], // spaced digits are a national reading only
      ["4155552671", "FR"], // not +41 (Switzerland) 55 552 671 either
      ["0590690112233", "FR"],
    ])("%j (default %s) stays invalid", (raw, country) => {
      expect(normalizePhoneNumber(raw, country)).toBeNull();
    });
  });

  describe("unicode digits", () => {
    // libphonenumber reads Arabic-Indic, Eastern Arabic-Indic and fullwidth
    // digits as ASCII ones; other scripts' digits (Devanagari) are refused, as
    // is a fullwidth plus followed by ASCII digits. We keep its behaviour.
    it.each([
      ["+٣٣٦١٢٣٤٥٦٧٨", undefined, "+33612345678"],
      ["+۳۳۶۱۲۳۴۵۶۷۸", undefined, "+33612345678"],
      ["+３３６１２３４５６７８", undefined, "+33612345678"],
      ["０６ １２ ３４ ５６ ７８", "FR", "+33612345678"],
      ["٠٦١٢٣٤٥٦٧٨", "FR", "+33612345678"],
      ["+३३६१२३४५६७८", undefined, null],
      ["＋33612345678", undefined, null],
    ])("%j (default %s) is %s", (raw, country, e164) => {
      expect(normalizePhoneNumber(raw, country)).toBe(e164);
    });
  });

  describe("default country", () => {
    it.each([
      ["an unknown code", "ZZ"],
      ["a lower-case code", "fr"],
      ["a calling code", "33"],
      ["an empty string", ""],
      ["an object key", "__proto__"],
    ])("%s is treated as none", (_, country) => {
      expect(normalizePhoneNumber("06 12 34 56 78", country)).toBeNull();
      expect(normalizePhoneNumber("+33 6 12 34 56 78", country)).toBe("+33612345678");
    });
  });

  describe("hostile input", () => {
    it.each([
      ["65 characters", `+33612345678${" ".repeat(53)}`],
      ["10 KB of digits", "6".repeat(10_240)],
      ["10 KB of spaces around a number", `${" ".repeat(5_000)}0612345678${" ".repeat(5_000)}`],
    ])("refuses %s", (_, raw) => {
      expect(normalizePhoneNumber(raw, "FR")).toBeNull();
    });

    it("accepts a padded number of exactly 64 characters", () => {
      const raw = `+33612345678${" ".repeat(52)}`;
      expect(raw).toHaveLength(64);
      expect(normalizePhoneNumber(raw, "FR")).toBe("+33612345678");
    });

    it.each([
      ["a number", 33612345678],
      ["null", null],
      ["undefined", undefined],
      ["an object", { to: "+33612345678" }],
    ])("refuses %s given where a string is expected", (_, raw) => {
      expect(normalizePhoneNumber(raw as unknown as string, "FR")).toBeNull();
    });

    it("never throws on random characters", () => {
      // A seeded generator keeps failures reproducible.
      let seed = 42;
      const random = () => {
        seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
        return seed / 2 ** 31;
      };
      const alphabet = [..."0123456789+-.() #*;x/\t\n\r\u0000\u00a0٣۳３＋ext=tel:a😀", "\ud800", "\udfff"];
      for (let i = 0; i < 20_000; i++) {
        const length = Math.floor(random() * 24);
        let raw = "";
        for (let j = 0; j < length; j++) raw += alphabet[Math.floor(random() * alphabet.length)];
        for (const country of ["FR", "US", undefined, "ZZ"]) {
          const e164 = normalizePhoneNumber(raw, country);
          if (e164 !== null) expect(e164).toMatch(/^\+[1-9]\d{6,14}$/);
        }
      }
    });
  });
});

describe("invalidNumberReason", () => {
  it.each([
    ["0712345605", "FR", "unallocated_range"], // well formed, not allocated today
    ["07 12 34 56 78", "FR", "unallocated_range"],
    ["+33 690 11 22 33", undefined, "unallocated_range"],
    ["+1 555 555 5555", undefined, "unallocated_range"],
    ["+33 700 000 000", undefined, "unallocated_range"],
    ["06 12 34 56 7", "FR", "too_short"],
    ["061234567", "FR", "too_short"],
    ["+33 6 12 34 56", undefined, "too_short"],
    ["+1 415 555 267", undefined, "too_short"],
    ["06 12 34 56 789", "FR", "too_long"],
    ["+1234567890123456", undefined, "too_long"],
    ["0590690112233", "FR", "too_long"],
    [`+33612345678${" ".repeat(60)}`, "FR", "too_long"],
    ["+508 12 34 567", undefined, "invalid_length"], // Saint-Pierre-et-Miquelon: 6 or 9 digits
    ["+999 123 456 789", undefined, "invalid_country_code"],
    ["06 12 34 56 78", undefined, "invalid_country_code"], // a national number needs a country
    ["hello", "FR", "not_a_number"],
    ["", "FR", "not_a_number"],
    ["   ", "FR", "not_a_number"],
    ["abc0612345678", "FR", "not_a_number"],
    ["Call 06 12 34 56 78 now", "FR", "not_a_number"],
    ["1-800-FLOWERS", "US", "not_a_number"],
    ["tel:+33612345678", undefined, "not_a_number"],
    ["06 12 34 56 78 ext. 12", "FR", "extension"],
    ["+33612345678;ext=12", undefined, "extension"],
  ])("%j (default %s) is %s", (raw, country, reason) => {
    expect(normalizePhoneNumber(raw, country)).toBeNull();
    expect(invalidNumberReason(raw, country)).toBe(reason);
  });

  it("says not_a_number for what is not a string", () => {
    expect(invalidNumberReason(33612345678 as unknown as string, "FR")).toBe("not_a_number");
  });

  it("has a description for every reason, none saying never", () => {
    for (const description of Object.values(INVALID_NUMBER_REASONS)) expect(description).not.toMatch(/never/);
  });

  it("gives a reason for every refused number of the random run", () => {
    const alphabet = [..."0123456789+-.() #*;x/\t\u0000٣＋ext=tel:a"];
    let seed = 7;
    for (let i = 0; i < 5_000; i++) {
      let raw = "";
      for (let j = 0; j < 14; j++) {
        seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
        raw += alphabet[seed % alphabet.length];
      }
      if (normalizePhoneNumber(raw, "FR") === null)
        expect(Object.keys(INVALID_NUMBER_REASONS)).toContain(invalidNumberReason(raw, "FR"));
    }
  });
});

describe("isCountryCode", () => {
  it.each(["FR", "US", "GB", "DE", "GP", "RE", "YT", "XK"])("%s is a country code", (code) => {
    expect(isCountryCode(code)).toBe(true);
  });

  it.each(["fr", "ZZ", "FRA", "F", "", "33", "+33", "001", "__proto__", "hasOwnProperty", " FR"])(
    "%j is not a country code",
    (code) => {
      expect(isCountryCode(code)).toBe(false);
    },
  );
});

describe("normalizePhoneNumber's fast path for numbers written in E.164", () => {
  // libphonenumber-js's own data: every calling code and each region's example mobile number.
  const callingCodes = Object.keys(metadata.country_calling_codes);

  /** A fixed sequence of pseudo-random digits (the test's numbers are the same every run). */
  function digits(seed: number) {
    let state = seed;
    return (count: number) => {
      let text = "";
      for (let i = 0; i < count; i++) {
        state = (Math.imul(state, 1103515245) + 12345) >>> 0;
        text += String((state >>> 16) % 10);
      }
      return text;
    };
  }

  it("answers exactly as libphonenumber's parse, for every calling code, valid numbers and not", () => {
    const next = digits(20261207);
    const numbers: string[] = [];
    for (const callingCode of callingCodes) {
      for (let length = 3; length + callingCode.length <= 15; length++) {
        // Random national numbers, some after the national prefixes most plans use.
        for (let i = 0; i < 12; i++) numbers.push(`+${callingCode}${next(length)}`);
        numbers.push(`+${callingCode}0${next(length - 1)}`, `+${callingCode}1${next(length - 1)}`);
      }
    }
    // Valid ones: each region's example mobile number, and its neighbours.
    for (const [region, national] of Object.entries(examples)) {
      const callingCode = getCountryCallingCode(region as CountryCode);
      numbers.push(`+${callingCode}${national}`);
      for (let i = 0; i < 20; i++) numbers.push(`+${callingCode}${national.slice(0, -2)}${next(2)}`);
    }
    let valid = 0;
    let fast = 0;
    for (const number of numbers) {
      const expected = normalizeByLibrary(number, undefined);
      expect.soft(normalizePhoneNumber(number, undefined), number).toBe(expected);
      expect.soft(normalizePhoneNumber(number, "FR"), number).toBe(normalizeByLibrary(number, "FR"));
      if (expected !== null) valid++;
      if (validE164Text(number) !== undefined) fast++;
    }
    // Both kinds were there, and most valid ones took the fast path.
    expect(numbers.length).toBeGreaterThan(30_000);
    expect(valid).toBeGreaterThan(4_000);
    expect(fast).toBeGreaterThan(valid * 0.8);
  });

  it("is taken by numbers of one region's calling code, not by shared codes or other shapes", () => {
    expect(validE164Text("+33612345678")).toBe("+33612345678");
    expect(validE164Text("+4915123456789")).toBe("+4915123456789");
    // +1 (the US, Canada and the Caribbean) and +44 (the UK and the Crown dependencies): the library decides.
    expect(validE164Text("+12015550123")).toBeUndefined();
    expect(validE164Text("+447400123456")).toBeUndefined();
    // Not E.164 as written, or not valid: the library decides (and refuses the last two).
    expect(validE164Text("+33 6 12 34 56 78")).toBeUndefined();
    expect(validE164Text("0612345678")).toBeUndefined();
    expect(validE164Text("+33012345678")).toBeUndefined();
    expect(validE164Text("+3361234567")).toBeUndefined();
    expect(normalizePhoneNumber("+3361234567", undefined)).toBeNull();
  });
});
