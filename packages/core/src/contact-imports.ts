// Importing a CSV file into a contact list: what its header must say and how a
// row becomes a contact. The API reads the header as the file arrives (a bad one
// is refused before anything is stored); the worker reads the rows with the
// columns the API found.
import { z } from "zod";
import { CONTACT_FIELD_NAME, MAX_CONTACT_FIELD_LENGTH, MAX_CONTACT_FIELDS } from "./contact-lists";
import { InvalidParameterError } from "./errors";
import { INVALID_NUMBER_REASONS } from "./phone";
import { isStorableText } from "./requests";

/** The largest file an import takes, in bytes. */
export const MAX_IMPORT_BYTES = 200 * 1024 * 1024;
/** The most rows (the header and empty lines aside) an import takes. */
export const MAX_IMPORT_ROWS = 1_000_000;
/** The invalid rows an import reports one by one; past them it only counts. */
export const MAX_REPORTED_INVALID_ROWS = 1_000;

/** An import's life: its file arriving, waiting for a worker, being read, then done or failed. */
export const IMPORT_STATUSES = ["receiving", "queued", "running", "completed", "failed"] as const;
export type ImportStatus = (typeof IMPORT_STATUSES)[number];

/** The query (or multipart fields) of `POST /v1/contact-lists/:id/imports`. */
export const newImportOptions = z.strictObject({
  number_column: z
    .string()
    .trim()
    .min(1)
    .max(100)
    .refine(isStorableText, "text without NUL characters")
    .optional(),
});

// Header names read as the numbers' column, compared without case, accents,
// spaces or punctuation ("Phone Number", "N° portable" → "phonenumber", "nportable").
const NUMBER_COLUMN_NAMES = new Set([
  "phone",
  "phones",
  "phonenumber",
  "number",
  "numbers",
  "mobile",
  "mobilephone",
  "mobilenumber",
  "cell",
  "cellphone",
  "gsm",
  "msisdn",
  "tel",
  "telephone",
  "numero",
  "numerodetelephone",
  "portable",
  "nportable",
  "ntel",
  "ntelephone",
  "recipient",
]);

const simplified = (name: string) =>
  name
    .normalize("NFD")
    .replace(/[\u0300-\u036f]/g, "")
    .toLowerCase()
    .replace(/[^a-z0-9]/g, "");

/** The separators a file may use, as detected from its header. */
export type ImportDelimiter = "," | ";" | "\t";

/** The separator the header line uses most outside quotes: `,` unless `;` or a tab is more frequent. */
export function detectDelimiter(headerLine: string): ImportDelimiter {
  const counts = { ",": 0, ";": 0, "\t": 0 };
  let quoted = false;
  for (const char of headerLine) {
    if (char === '"') quoted = !quoted;
    else if (!quoted && (char === "," || char === ";" || char === "\t")) counts[char]++;
  }
  if (counts[";"] > counts[","] && counts[";"] >= counts["\t"]) return ";";
  if (counts["\t"] > counts[","] && counts["\t"] > counts[";"]) return "\t";
  return ",";
}

/** Which column holds the numbers, and the field each other column fills (null: none). */
export interface ImportColumns {
  numberColumn: number;
  columns: (string | null)[];
}

/**
 * Maps a header's cells to columns: the numbers' column is `numberColumn` when
 * given (its name, any case), else the first whose name reads as a phone number;
 * every other named column is a field of that name (trimmed); an unnamed column
 * is ignored. Throws an InvalidParameterError naming what is wrong.
 */
export function importColumns(header: string[], numberColumn?: string): ImportColumns {
  const names = header.map((cell) => cell.trim());
  const wanted = numberColumn?.trim().toLowerCase();
  const index =
    wanted === undefined
      ? names.findIndex((name) => NUMBER_COLUMN_NAMES.has(simplified(name)))
      : names.findIndex((name) => name.toLowerCase() === wanted);
  if (index < 0) {
    throw wanted === undefined
      ? new InvalidParameterError(
          "The file's header has no column of phone numbers (phone, number, mobile, msisdn…): name it, or give number_column.",
          "number_column",
        )
      : new InvalidParameterError(`The file's header has no column "${numberColumn}".`, "number_column");
  }
  const columns = names.map((name, at) => (at === index || name === "" ? null : name));
  const fields = columns.filter((name): name is string => name !== null);
  if (fields.length > MAX_CONTACT_FIELDS) {
    throw new InvalidParameterError(
      `The file has ${fields.length} columns besides the numbers': a contact has at most ${MAX_CONTACT_FIELDS} fields.`,
    );
  }
  const bad = fields.find((name) => !CONTACT_FIELD_NAME.test(name));
  if (bad !== undefined) {
    throw new InvalidParameterError(
      `The column "${bad.slice(0, 40)}" is not a field name: a letter, then letters, digits or _ (at most 32 characters).`,
    );
  }
  const repeated = fields.find((name, at) => fields.indexOf(name) !== at);
  if (repeated !== undefined) throw new InvalidParameterError(`The column "${repeated}" appears twice.`);
  return { numberColumn: index, columns };
}

/** Why a row of a file was not imported: its number's problem, or its values'. */
export const IMPORT_ROW_PROBLEMS = {
  ...INVALID_NUMBER_REASONS,
  too_many_values: "more values than the header has columns",
  field_too_long: `a value longer than ${MAX_CONTACT_FIELD_LENGTH} characters`,
  not_storable: "a value with a NUL character or an unpaired surrogate",
} as const;
export type ImportRowProblem = keyof typeof IMPORT_ROW_PROBLEMS;

/**
 * A row's fields (an empty value leaves its field out), or why the row's values
 * cannot be stored. The numbers' column is read apart.
 */
export function importRowFields(
  cells: string[],
  columns: (string | null)[],
): { fields: Record<string, string> } | { problem: ImportRowProblem } {
  if (cells.length > columns.length && cells.slice(columns.length).some((cell) => cell.trim() !== ""))
    return { problem: "too_many_values" };
  const fields: Record<string, string> = {};
  columns.forEach((name, at) => {
    const value = cells[at];
    if (name === null || value === undefined || value.trim() === "") return;
    fields[name] = value;
  });
  for (const value of Object.values(fields)) {
    if (value.length > MAX_CONTACT_FIELD_LENGTH) return { problem: "field_too_long" };
    if (!isStorableText(value)) return { problem: "not_storable" };
  }
  return { fields };
}
