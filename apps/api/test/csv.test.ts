// CSV exports against formula injection: what neutralizeFormula quotes, and what it leaves.
import { describe, expect, it } from "vitest";
import { neutralizeFormula } from "../src/http/csv";

describe("neutralizeFormula", () => {
  it("quotes a cell a spreadsheet would read as a formula", () => {
    for (const cell of [
      "=1+1",
      '=HYPERLINK("https://evil.example","click")',
      "@SUM(A1:A2)",
      "+cmd|' /C calc'!A0",
      "-2+3",
      "+33 6 12 34 56 78",
      "-",
      "+",
      "\t=1",
      "\r=1",
    ]) {
      expect(neutralizeFormula(cell)).toBe(`'${cell}`);
    }
  });

  it("leaves numbers written with their sign, and every other cell, as they are", () => {
    for (const cell of [
      "+33612345678",
      "-12",
      "-12.5",
      "+0",
      "",
      "Jean",
      "a=b",
      "0033612345678",
      '{"a":"=1"}',
    ]) {
      expect(neutralizeFormula(cell)).toBe(cell);
    }
  });
});
