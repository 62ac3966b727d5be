/**
 * A text cell that a spreadsheet would read as a formula, quoted by a leading
 * `'` (OWASP's advice against CSV injection): one that starts with `=`, `@`, a
 * tab or a carriage return, or with `+` or `-` unless the whole cell is a signed
 * number. So an E.164 number (`+33612345678`) or `-12.5` stays as it is, and
 * `+HYPERLINK(…)`, `-2+3` or `=cmd|…` do not. csv-stringify's own
 * `escape_formulas` would quote every number written with its `+`.
 */
export function neutralizeFormula(value: string): string {
  switch (value[0]) {
    case "=":
    case "@":
    case "\t":
    case "\r":
      return `'${value}`;
    case "+":
    case "-":
      return SIGNED_NUMBER.test(value) ? value : `'${value}`;
    default:
      return value;
  }
}

const SIGNED_NUMBER = /^[+-]\d+(\.\d+)?$/;

/** The options every CSV export passes csv-stringify: its text cells neutralized (see neutralizeFormula). */
export const CSV_EXPORT = { cast: { string: neutralizeFormula } } as const;
