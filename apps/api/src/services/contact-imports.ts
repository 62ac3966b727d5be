import {
  detectDelimiter,
  InvalidParameterError,
  importColumns,
  newId,
  PayloadTooLargeError,
} from "@salvo/core";
import type { Account, ContactImport, Store } from "@salvo/db";
import { enqueueImport, type OpenQueue } from "@salvo/queue";
import type { Logger } from "@salvo/runtime";
import { parse } from "csv-parse/sync";

/** A file is stored in parts of about this many bytes (one row of contact_import_parts each). */
const PART_BYTES = 1024 * 1024;
/** The longest header line read before the file is refused: no real header is near it. */
const MAX_HEADER_BYTES = 64 * 1024;

const NEWLINE = 0x0a;
const QUOTE = 0x22;

/** What receiving an import uses. */
export interface ImportIntake {
  store: Store;
  imports: OpenQueue<"imports">;
  logger: Logger;
  /** The largest file taken, in bytes (413 past it). */
  maxBytes: number;
}

// Where the header's line ends (the first newline outside quotes), or -1 when it has not come yet.
function headerEnd(bytes: Buffer): number {
  let quoted = false;
  for (let at = 0; at < bytes.length; at++) {
    const byte = bytes[at];
    if (byte === QUOTE) quoted = !quoted;
    else if (byte === NEWLINE && !quoted) return at;
  }
  return -1;
}

/** Reads a file's header line: its separator and columns, or a 400 saying what is wrong. */
function readHeader(bytes: Buffer, numberColumn: string | undefined) {
  // The bytes were checked as UTF-8 already; the decoder drops a BOM.
  const line = new TextDecoder().decode(bytes).replace(/\r?\n$/, "");
  if (line.trim() === "")
    throw new InvalidParameterError("The file is empty: its first line must name its columns.");
  const delimiter = detectDelimiter(line);
  let header: string[];
  try {
    [header = []] = parse(line, { delimiter, relax_column_count: true }) as string[][];
  } catch (error) {
    throw new InvalidParameterError(`The file's header cannot be read as CSV: ${(error as Error).message}`);
  }
  return { delimiter, ...importColumns(header, numberColumn) };
}

/**
 * Takes a CSV file as it arrives (`file`: its bytes, in order) for an import
 * into the account's list: the header is read first (a bad one refuses the file
 * before anything is stored), then the file is stored in parts, never whole in
 * memory, and the import is queued for a worker. A file past `maxBytes`, not
 * UTF-8, or cut short leaves nothing behind. If Redis is down, the import stays
 * queued in PostgreSQL and the workers' requeue-stalled-imports job enqueues it.
 */
export async function receiveImport(
  intake: ImportIntake,
  account: Account,
  listId: string,
  file: AsyncIterable<Buffer>,
  options: { numberColumn?: string | undefined },
): Promise<ContactImport> {
  const { store, maxBytes } = intake;
  await store.contactLists.find(account.id, listId);
  const id = newId("imp");
  const decoder = new TextDecoder("utf-8", { fatal: true });
  let pending: Buffer[] = [];
  let pendingBytes = 0;
  let size = 0;
  let parts = 0;
  let created = false;
  const flush = async () => {
    if (pendingBytes === 0) return;
    const data = Buffer.concat(pending, pendingBytes);
    pending = [];
    pendingBytes = 0;
    await store.contactImports.storePart(id, parts++, data);
  };
  const start = async (head: Buffer) => {
    const header = readHeader(head, options.numberColumn);
    await store.contactImports.create({ id, accountId: account.id, listId, ...header });
    created = true;
  };
  try {
    for await (const chunk of file) {
      size += chunk.length;
      if (size > maxBytes) throw new PayloadTooLargeError(`The file is larger than ${maxBytes} bytes.`);
      try {
        decoder.decode(chunk, { stream: true });
      } catch {
        throw new InvalidParameterError("The file is not UTF-8 text: save it as CSV UTF-8.");
      }
      pending.push(chunk);
      pendingBytes += chunk.length;
      if (!created) {
        const head = Buffer.concat(pending, pendingBytes);
        const end = headerEnd(head);
        if (end < 0 && head.length <= MAX_HEADER_BYTES) continue;
        if (end < 0) throw new InvalidParameterError("The file's first line (its header) is too long.");
        await start(head.subarray(0, end + 1));
      }
      if (pendingBytes >= PART_BYTES) await flush();
    }
    try {
      decoder.decode();
    } catch {
      throw new InvalidParameterError("The file is not UTF-8 text: save it as CSV UTF-8.");
    }
    if (!created) await start(Buffer.concat(pending, pendingBytes));
    await flush();
    await store.contactImports.queue(id, size);
  } catch (error) {
    if (created) await store.contactImports.discard(id).catch(() => {});
    throw error;
  }
  await enqueueImport(intake.imports, id).catch((error: Error) =>
    intake.logger.warn(
      { importId: id, err: error.message },
      "import stored but not enqueued; the requeue-stalled-imports job will",
    ),
  );
  return store.contactImports.find(account.id, listId, id);
}
