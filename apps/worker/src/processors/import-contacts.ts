// Imports a CSV file into a contact list: its stored parts are read in order and
// parsed as a stream, a slice of rows at a time; each slice's numbers are
// judged with the list's country (off the main thread), and its contacts and the
// import's checkpoint written in one transaction. A run that stops anywhere
// (killed, shut down) is resumed by the next from the last checkpoint: rows
// before it are parsed again only to know which numbers the file already had.
import { Readable } from "node:stream";
import {
  IMPORT_ROW_PROBLEMS,
  type ImportRowProblem,
  importRowFields,
  MAX_IMPORT_ROWS,
  MAX_REPORTED_INVALID_ROWS,
} from "@salvo/core";
import { type ContactImport, type InvalidImportRow, StaleImportCheckpointError } from "@salvo/db";
import { type Job, WaitingError } from "bullmq";
import { CsvError, parse } from "csv-parse";
import type { WorkContext } from "../context";
import { releaseJob } from "../release";

/** Rows judged and written at once: one transaction, one upsert statement. */
const SLICE_ROWS = 10_000;

/** The longest text of an invalid row's number reported back. */
const MAX_REPORTED_NUMBER_LENGTH = 64;

type ImportDeps = Pick<WorkContext, "store" | "numbers" | "logger" | "stopping"> & {
  /** The most rows a file may have (MAX_IMPORT_ROWS; tests lower it). */
  maxRows?: number;
};

/** The file's bytes, part after part, each read when the parser wants more. */
function storedFile(ctx: ImportDeps, importId: string): Readable {
  let part = 0;
  return Readable.from(
    (async function* () {
      for (;;) {
        const data = await ctx.store.contactImports.part(importId, part++);
        if (!data) return;
        yield data;
      }
    })(),
    // One part read ahead of the parser, not sixteen (object mode's default): 1 MB, not 16.
    { highWaterMark: 1 },
  );
}

interface Row {
  /** Position in the file, the header being row 1 (empty lines not counted). */
  row: number;
  number: string;
  cells: string[];
}

/** Thrown to end an import as failed: its reason is the import's failure. */
class ImportFailure extends Error {}

/**
 * Runs an import (the `imports` job, id = the import's). A finished or deleted
 * import is left as it is. On shutdown, the job goes back to its queue between
 * two slices. A file that cannot be parsed, or has more than MAX_IMPORT_ROWS
 * rows, fails the import with the reason (rows before the fault stay imported).
 */
export async function importContacts(
  ctx: ImportDeps,
  importId: string,
  job?: Job,
  token?: string,
): Promise<void> {
  const loaded = await ctx.store.contactImports.loadForWork(importId);
  if (!loaded || (loaded.status !== "queued" && loaded.status !== "running")) return;
  if (!(await ctx.store.contactImports.start(importId))) return;
  try {
    await readRows(ctx, loaded, job, token);
    await ctx.store.contactImports.finish(importId, { status: "completed" });
    ctx.logger.info({ importId, listId: loaded.listId }, "contact import completed");
  } catch (error) {
    if (error instanceof StaleImportCheckpointError) {
      // Another run wrote past this one's start (this run's lock lapsed): it goes on alone.
      ctx.logger.warn({ importId }, "a contact import progressed in another run; this one stopped");
      return;
    }
    if (!(error instanceof ImportFailure)) {
      // The last attempt (not a release on shutdown): the import says it failed, rather than stay running for ever.
      if (!(error instanceof WaitingError) && job && job.attemptsMade + 1 >= (job.opts.attempts ?? 1)) {
        await ctx.store.contactImports
          .finish(importId, {
            status: "failed",
            failure: "The import could not be completed: import the file again.",
          })
          .catch(() => {});
      }
      throw error;
    }
    await ctx.store.contactImports.finish(importId, { status: "failed", failure: error.message });
    ctx.logger.info({ importId, reason: error.message }, "contact import failed");
  }
}

async function readRows(
  ctx: ImportDeps,
  imported: ContactImport & { country: string },
  job: Job | undefined,
  token: string | undefined,
): Promise<void> {
  const parser = storedFile(ctx, imported.id).pipe(
    parse({
      delimiter: imported.delimiter,
      bom: true,
      relax_column_count: true,
      skip_empty_lines: true,
    }),
  );
  const checkpoint = imported.rowsRead;
  const maxRows = ctx.maxRows ?? MAX_IMPORT_ROWS;
  // Numbers of the file written so far (those before the checkpoint found again on a resume),
  // as numbers: E.164's 15 digits at most are exact in a double, and a million take far less memory.
  const seen = new Set<number>();
  const key = (number: string) => Number(number.slice(1));
  let reported = imported.invalidRows.length;
  let rowsRead = 0;
  let header = true;
  let slice: Row[] = [];
  let replayed: string[] = [];

  // Rows before the checkpoint are written: only their numbers are wanted, for `seen`.
  const replay = async () => {
    const judged = await ctx.numbers.normalize(replayed, imported.country);
    for (const number of judged) if (number.startsWith("+")) seen.add(key(number));
    replayed = [];
  };
  // The last slice's transaction: it runs while the next slice is parsed and judged.
  let writing: Promise<void> = Promise.resolve();
  const write = async () => {
    const rows = slice;
    slice = [];
    const upTo = rowsRead;
    const judged = await ctx.numbers.normalize(
      rows.map((row) => row.number),
      imported.country,
    );
    // Slices are written in order, each from the checkpoint the one before committed.
    await writing;
    if (ctx.stopping.aborted && job && token) {
      ctx.logger.info(
        { importId: imported.id, rowsRead: upTo - rows.length },
        "released a contact import on shutdown",
      );
      await releaseJob(job, token);
    }
    const invalidRows: InvalidImportRow[] = [];
    let invalid = 0;
    let duplicates = 0;
    const refuse = (row: Row, reason: ImportRowProblem) => {
      invalid++;
      if (reported + invalidRows.length < MAX_REPORTED_INVALID_ROWS) {
        // As written in the file, cut short: a "number" may be any text.
        const number = row.number.slice(0, MAX_REPORTED_NUMBER_LENGTH);
        invalidRows.push({ row: row.row, number, reason, message: IMPORT_ROW_PROBLEMS[reason] });
      }
    };
    // By number: the last fields the file gives it; counted unless the file had it before this slice.
    const contacts = new Map<
      string,
      { number: string; fields: Record<string, string>; uncounted: boolean }
    >();
    for (const [at, row] of rows.entries()) {
      const number = judged[at] as string;
      if (!number.startsWith("+")) {
        refuse(row, number as ImportRowProblem);
        continue;
      }
      const values = importRowFields(row.cells, imported.columns);
      if ("problem" in values) {
        refuse(row, values.problem);
        continue;
      }
      const earlier = contacts.get(number);
      if (earlier) {
        duplicates++;
        contacts.delete(number);
        contacts.set(number, { number, fields: values.fields, uncounted: earlier.uncounted });
        continue;
      }
      const repeated = seen.has(key(number));
      if (repeated) duplicates++;
      contacts.set(number, { number, fields: values.fields, uncounted: repeated });
    }
    for (const number of contacts.keys()) seen.add(key(number));
    reported += invalidRows.length;
    writing = ctx.store.contactImports
      .importSlice(imported, upTo - rows.length, [...contacts.values()], {
        rowsRead: upTo,
        invalid,
        invalidRows,
        duplicates,
      })
      .then(() => {});
    // Awaited by the next slice or at the end; a failure must not go unheard meanwhile.
    writing.catch(() => {});
  };

  // What is read but not written yet is written (a resume's replay writes nothing).
  const writePending = async () => {
    if (replayed.length > 0) await replay();
    if (rowsRead >= checkpoint) await write();
    await writing;
  };

  try {
    for await (const record of parser as AsyncIterable<string[]>) {
      if (header) {
        header = false;
        continue;
      }
      // A line of separators only (",,,") is as empty as an empty line.
      if (record.every((cell) => cell.trim() === "")) continue;
      if (rowsRead === maxRows) {
        await writePending();
        throw new ImportFailure(
          `The file has more than ${maxRows.toLocaleString("en")} rows: the first ${maxRows.toLocaleString("en")} were imported.`,
        );
      }
      rowsRead++;
      const number = record[imported.numberColumn] ?? "";
      if (rowsRead <= checkpoint) {
        replayed.push(number);
        if (replayed.length >= SLICE_ROWS || rowsRead === checkpoint) await replay();
        continue;
      }
      slice.push({ row: rowsRead + 1, number, cells: record });
      if (slice.length >= SLICE_ROWS) await write();
    }
  } catch (error) {
    if (!(error instanceof CsvError)) throw error;
    await writePending();
    throw new ImportFailure(
      `The file cannot be read as CSV from line ${error.lines ?? "?"} (${error.code}); the rows before were imported.`,
    );
  }
  await writePending();
}
