import Papa from "papaparse";

const NUMBER_COLUMNS = ["number", "phone", "to", "mobile", "numero", "destinataire"];

/** Numbers of a CSV file: the column named like a number (number, phone, to…), else the first one. */
export function numbersFromCsv(text: string): string[] {
  const rows = Papa.parse<string[]>(text.trim(), { skipEmptyLines: true }).data;
  if (rows.length === 0) return [];
  const header = rows[0]!.map((cell) => cell.trim().toLowerCase());
  const named = header.findIndex((cell) => NUMBER_COLUMNS.includes(cell));
  const hasHeader = named >= 0 || !/\d/.test(header[0] ?? "");
  const column = Math.max(named, 0);
  return (hasHeader ? rows.slice(1) : rows).map((row) => (row[column] ?? "").trim()).filter(Boolean);
}
