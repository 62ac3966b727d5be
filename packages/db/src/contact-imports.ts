// Imports of CSV files into contact lists. The file is stored as it arrives, in
// parts (never whole in memory), then read by a worker a slice of rows at a
// time: each slice's contacts and the import's progress (its checkpoint) are
// written in one transaction, so a worker killed mid-import resumes exactly
// where the last commit left it. The parts are deleted when the import ends.
import { MAX_REPORTED_INVALID_ROWS, NotFoundError } from "@salvo/core";
import { findContactList, lockList, writeContacts } from "./contact-lists";
import { accountPage } from "./page";
import { CONTACT_IMPORT_COLUMNS, type ContactImport, type InvalidImportRow } from "./rows";
import { atomically, type Queryable, selectList } from "./sql";

const IMPORT = selectList(CONTACT_IMPORT_COLUMNS);

function notFound(id: string): NotFoundError {
  return new NotFoundError(`No contact import ${id}.`);
}

/** A checkpoint written by another run of the same import: this run must start again from it. */
export class StaleImportCheckpointError extends Error {
  constructor(importId: string) {
    super(`the import ${importId} progressed elsewhere`);
    this.name = "StaleImportCheckpointError";
  }
}

/** Starts an import of a file into the account's list (404 when it is not theirs), its file still to come. */
export async function createImport(
  sql: Queryable,
  input: {
    id: string;
    accountId: string;
    listId: string;
    delimiter: string;
    numberColumn: number;
    columns: (string | null)[];
  },
): Promise<void> {
  const { rowCount } = await sql.query(
    `INSERT INTO contact_imports (id, account_id, list_id, delimiter, number_column, columns)
     SELECT $1, $2, id, $4, $5, $6::jsonb FROM contact_lists WHERE id = $3 AND account_id = $2`,
    [
      input.id,
      input.accountId,
      input.listId,
      input.delimiter,
      input.numberColumn,
      JSON.stringify(input.columns),
    ],
  );
  if (!rowCount) throw new NotFoundError(`No contact list ${input.listId}.`);
}

/** Stores the next part of an import's file (parts are numbered from 0, in the file's order). */
export async function storeImportPart(
  sql: Queryable,
  importId: string,
  part: number,
  data: Buffer,
): Promise<void> {
  await sql.query("INSERT INTO contact_import_parts (import_id, part, data) VALUES ($1, $2, $3)", [
    importId,
    part,
    data,
  ]);
}

/** The whole file is stored: the import waits for a worker. */
export async function queueImport(sql: Queryable, importId: string, sizeBytes: number): Promise<void> {
  await sql.query(
    "UPDATE contact_imports SET status = 'queued', size_bytes = $2, updated_at = now() WHERE id = $1",
    [importId, sizeBytes],
  );
}

/** Forgets an import whose file never fully arrived, with its parts. */
export async function discardImport(sql: Queryable, importId: string): Promise<void> {
  await sql.query("DELETE FROM contact_imports WHERE id = $1 AND status = 'receiving'", [importId]);
}

/** The account's import `importId` into its list `listId`; another account's is not found. */
export async function findImport(
  sql: Queryable,
  accountId: string,
  listId: string,
  importId: string,
): Promise<ContactImport> {
  const { rows } = await sql.query<ContactImport>(
    `SELECT ${IMPORT} FROM contact_imports WHERE id = $1 AND list_id = $2 AND account_id = $3`,
    [importId, listId, accountId],
  );
  if (!rows[0]) throw notFound(importId);
  return rows[0];
}

/** One page of a list's imports, newest first (404 when the list is not the account's). */
export async function listImports(sql: Queryable, accountId: string, listId: string, page: number) {
  await findContactList(sql, accountId, listId);
  const { rows, pages } = await accountPage<ContactImport>(sql, {
    table: "contact_imports",
    columns: IMPORT,
    where: "list_id = $2",
    values: [listId],
    orderBy: "created_at DESC, id DESC",
    accountId,
    page,
  });
  return { imports: rows, pages };
}

/** An import as a worker reads it: with its list's country, or null once it is gone. */
export async function loadImportForWork(
  sql: Queryable,
  importId: string,
): Promise<(ContactImport & { country: string }) | null> {
  const { rows } = await sql.query<ContactImport & { country: string }>(
    `SELECT ${selectList(CONTACT_IMPORT_COLUMNS, { prefix: "i." })}, l.country AS "country"
       FROM contact_imports i JOIN contact_lists l ON l.id = i.list_id WHERE i.id = $1`,
    [importId],
  );
  return rows[0] ?? null;
}

/** Marks a queued (or resumed) import running; answers false when it is no longer to run. */
export async function startImport(sql: Queryable, importId: string): Promise<boolean> {
  const { rowCount } = await sql.query(
    `UPDATE contact_imports SET status = 'running', started_at = coalesce(started_at, now()), updated_at = now()
      WHERE id = $1 AND status IN ('queued', 'running')`,
    [importId],
  );
  return rowCount === 1;
}

/** Part `part` of an import's file, or null past its last. */
export async function importPart(sql: Queryable, importId: string, part: number): Promise<Buffer | null> {
  const { rows } = await sql.query<{ data: Buffer }>(
    "SELECT data FROM contact_import_parts WHERE import_id = $1 AND part = $2",
    [importId, part],
  );
  return rows[0]?.data ?? null;
}

/** What one slice of a file's rows did, beside the contacts it writes. */
export interface ImportSlice {
  /** Rows read so far, this slice's included: the checkpoint once committed. */
  rowsRead: number;
  invalid: number;
  /** Invalid rows to report (the first MAX_REPORTED_INVALID_ROWS of the file, in order). */
  invalidRows: InvalidImportRow[];
  duplicates: number;
}

/**
 * Writes a slice of an import's contacts and its progress in one transaction,
 * under the list's row lock. The import's checkpoint must still be `fromRow`
 * (where this run's slice began): if another run moved it, nothing is written
 * and a StaleImportCheckpointError says so.
 */
export async function importSlice(
  sql: Queryable,
  imported: { id: string; accountId: string; listId: string },
  fromRow: number,
  contacts: { number: string; fields: Record<string, string>; uncounted?: boolean }[],
  slice: ImportSlice,
): Promise<{ added: number; updated: number }> {
  return atomically(sql, async (client) => {
    await lockList(client, imported.accountId, imported.listId);
    const { rows } = await client.query<{ rowsRead: number; reported: number }>(
      `SELECT rows_read AS "rowsRead", jsonb_array_length(invalid_rows) AS reported
         FROM contact_imports WHERE id = $1 AND status = 'running' FOR UPDATE`,
      [imported.id],
    );
    if (rows[0]?.rowsRead !== fromRow) throw new StaleImportCheckpointError(imported.id);
    const { added, updated } = await writeContacts(client, imported.listId, contacts);
    const invalidRows = slice.invalidRows.slice(0, Math.max(0, MAX_REPORTED_INVALID_ROWS - rows[0].reported));
    await client.query(
      `UPDATE contact_imports
          SET rows_read = $2, added = added + $3, updated = updated + $4, invalid = invalid + $5,
              duplicates = duplicates + $6, invalid_rows = invalid_rows || $7::jsonb, updated_at = now()
        WHERE id = $1`,
      [
        imported.id,
        slice.rowsRead,
        added,
        updated,
        slice.invalid,
        slice.duplicates,
        JSON.stringify(invalidRows),
      ],
    );
    return { added, updated };
  });
}

/** Ends an import, `completed` or `failed` with its reason, and deletes its file. */
export async function finishImport(
  sql: Queryable,
  importId: string,
  outcome: { status: "completed" } | { status: "failed"; failure: string },
): Promise<void> {
  await atomically(sql, async (client) => {
    await client.query(
      `UPDATE contact_imports SET status = $2, failure = $3, finished_at = now(), updated_at = now()
        WHERE id = $1 AND status IN ('queued', 'running')`,
      [importId, outcome.status, outcome.status === "failed" ? outcome.failure : null],
    );
    await client.query("DELETE FROM contact_import_parts WHERE import_id = $1", [importId]);
  });
}

/**
 * Imports to run again: queued or running without progress for `idleMs` (their
 * job lost with Redis, or never enqueued because Redis was down when the file
 * came). Their job ids are their ids, so one still in Redis is not doubled.
 */
export async function stalledImports(sql: Queryable, idleMs: number): Promise<string[]> {
  const { rows } = await sql.query<{ id: string }>(
    `SELECT id FROM contact_imports
      WHERE status IN ('queued', 'running') AND updated_at < now() - make_interval(secs => $1::float8 / 1000)
      ORDER BY updated_at LIMIT 1000`,
    [idleMs],
  );
  return rows.map((row) => row.id);
}

/** Deletes imports whose file stopped arriving over `ageMs` ago (an API that died mid-upload). */
export async function purgeAbandonedImports(sql: Queryable, ageMs: number): Promise<number> {
  const { rowCount } = await sql.query(
    `DELETE FROM contact_imports
      WHERE status = 'receiving' AND updated_at < now() - make_interval(secs => $1::float8 / 1000)`,
    [ageMs],
  );
  return rowCount ?? 0;
}
