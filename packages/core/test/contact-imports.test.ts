import { describe, expect, it } from "vitest";
import { detectDelimiter, importColumns, importRowFields } from "../src/contact-imports";
import { InvalidParameterError } from "../src/errors";

describe("detectDelimiter", () => {
  it.each([
    ["phone,first_name,city", ","],
    ["phone;first_name;city", ";"],
    ["phone\tfirst_name\tcity", "\t"],
    ["phone", ","],
    ['"a,b";c', ";"],
    ['"Nom; prénom",tel', ","],
    ["a;b,c", ","],
  ])("reads %j as separated by %j", (line, delimiter) => {
    expect(detectDelimiter(line)).toBe(delimiter);
  });
});

describe("importColumns", () => {
  it.each([
    [["Phone", "first_name"], 0],
    [["first_name", "Phone Number"], 1],
    [["name", "MOBILE"], 1],
    [["name", "Téléphone"], 1],
    [["name", "N° portable"], 1],
    [["msisdn"], 0],
    [["name", "gsm", "tel"], 1],
    [["numéro", "tel"], 0],
  ])("finds the numbers' column of %j at %i", (header, index) => {
    expect(importColumns(header).numberColumn).toBe(index);
  });

  it("maps the other columns to fields, trimmed, and ignores unnamed ones", () => {
    expect(importColumns([" first_name ", "phone", "", "city"])).toEqual({
      numberColumn: 1,
      columns: ["first_name", null, null, "city"],
    });
  });

  it("takes the column it is given, in any case", () => {
    expect(importColumns(["phone", "Contact"], "contact")).toEqual({
      numberColumn: 1,
      columns: ["phone", null],
    });
  });

  it.each([
    [["first_name", "city"], undefined, /no column of phone numbers/],
    [["phone"], "mobile", /no column "mobile"/],
    [["phone", ...Array.from({ length: 11 }, (_, i) => `f${i}`)], undefined, /at most 10 fields/],
    [["phone", "first name"], undefined, /not a field name/],
    [["phone", "1st"], undefined, /not a field name/],
    [["phone", "city", "city"], undefined, /appears twice/],
  ])("refuses %j (number_column %j)", (header, numberColumn, message) => {
    expect(() => importColumns(header, numberColumn)).toThrow(InvalidParameterError);
    expect(() => importColumns(header, numberColumn)).toThrow(message);
  });
});

describe("importRowFields", () => {
  const columns = [null, "first_name", "city"];

  it("takes the row's non-empty values as fields", () => {
    expect(importRowFields(["0612345678", "Ana", ""], columns)).toEqual({ fields: { first_name: "Ana" } });
    expect(importRowFields(["0612345678", " ", "Paris"], columns)).toEqual({ fields: { city: "Paris" } });
    expect(importRowFields(["0612345678"], columns)).toEqual({ fields: {} });
    // Empty values past the header's columns (a trailing separator) are no problem.
    expect(importRowFields(["0612345678", "Ana", "Paris", ""], columns)).toEqual({
      fields: { first_name: "Ana", city: "Paris" },
    });
  });

  it.each([
    [["0612345678", "Ana", "Paris", "extra"], "too_many_values"],
    [["0612345678", "x".repeat(256), ""], "field_too_long"],
    [["0612345678", "A\u0000na", ""], "not_storable"],
  ])("refuses %j: %s", (cells, problem) => {
    expect(importRowFields(cells, columns)).toEqual({ problem });
  });
});
