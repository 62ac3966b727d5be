// An account's contact lists and their contacts. Contacts are rows of their own,
// keyed (list_id, number), so a send can copy a list as it is in one statement
// while the list stays editable. Each write of a list's contacts locks the list's
// row first: its contact_count stays exact under concurrent writes.
import { NotFoundError, pageCount, pageWindow } from "@salvo/core";
import { accountPage } from "./page";
import { CONTACT_COLUMNS, CONTACT_LIST_COLUMNS, type Contact, type ContactList } from "./rows";
import { atomically, type Queryable, selectList } from "./sql";

const LIST = selectList(CONTACT_LIST_COLUMNS);
const CONTACT = selectList(CONTACT_COLUMNS);

function notFound(id: string): NotFoundError {
  return new NotFoundError(`No contact list ${id}.`);
}

/**
 * Stores a new list. One already stored under this id (an idempotent request
 * retried after its answer was lost) is returned as it was stored.
 */
export async function createContactList(
  sql: Queryable,
  input: { id: string; accountId: string; name: string; country: string },
): Promise<ContactList> {
  await sql.query(
    `INSERT INTO contact_lists (id, account_id, name, country) VALUES ($1, $2, $3, $4)
     ON CONFLICT (id) DO NOTHING`,
    [input.id, input.accountId, input.name, input.country],
  );
  return findContactList(sql, input.accountId, input.id);
}

/** The account's list `id`; another account's is not found. */
export async function findContactList(sql: Queryable, accountId: string, id: string): Promise<ContactList> {
  const { rows } = await sql.query<ContactList>(
    `SELECT ${LIST} FROM contact_lists WHERE id = $1 AND account_id = $2`,
    [id, accountId],
  );
  if (!rows[0]) throw notFound(id);
  return rows[0];
}

/** One page of the account's lists, newest first. */
export async function listContactLists(sql: Queryable, accountId: string, page: number) {
  const { rows, pages } = await accountPage<ContactList>(sql, {
    table: "contact_lists",
    columns: LIST,
    orderBy: "created_at DESC, id DESC",
    accountId,
    page,
  });
  return { lists: rows, pages };
}

/** Renames a list or changes its country (read for numbers added from now on). */
export async function updateContactList(
  sql: Queryable,
  accountId: string,
  id: string,
  changes: { name?: string | undefined; country?: string | undefined },
): Promise<ContactList> {
  const { rows } = await sql.query<ContactList>(
    `UPDATE contact_lists SET name = coalesce($3, name), country = coalesce($4, country), updated_at = now()
      WHERE id = $1 AND account_id = $2 RETURNING ${LIST}`,
    [id, accountId, changes.name ?? null, changes.country ?? null],
  );
  if (!rows[0]) throw notFound(id);
  return rows[0];
}

/** Deletes a list and its contacts. */
export async function deleteContactList(sql: Queryable, accountId: string, id: string): Promise<void> {
  const { rowCount } = await sql.query("DELETE FROM contact_lists WHERE id = $1 AND account_id = $2", [
    id,
    accountId,
  ]);
  if (!rowCount) throw notFound(id);
}

/** Locks the account's list for a write of its contacts (404 when it is not theirs). */
export async function lockList(sql: Queryable, accountId: string, id: string): Promise<void> {
  const { rowCount } = await sql.query(
    "SELECT 1 FROM contact_lists WHERE id = $1 AND account_id = $2 FOR UPDATE",
    [id, accountId],
  );
  if (!rowCount) throw notFound(id);
}

// Keeps the list's count and update time after `change` contacts came (or went).
async function recount(sql: Queryable, id: string, change: number): Promise<void> {
  await sql.query(
    "UPDATE contact_lists SET contact_count = contact_count + $2, updated_at = now() WHERE id = $1",
    [id, change],
  );
}

/**
 * Writes contacts (distinct E.164 numbers) to a list whose row the caller has
 * locked, and counts the list's new ones. A number already on it gets the fields
 * given now. `added` and `updated` count only the contacts not marked `uncounted`
 * (an import's number seen earlier in its file), but every new number counts in
 * the list's contact_count.
 */
export async function writeContacts(
  client: Queryable,
  listId: string,
  contacts: { number: string; fields: Record<string, string>; uncounted?: boolean }[],
): Promise<{ added: number; updated: number }> {
  if (contacts.length === 0) return { added: 0, updated: 0 };
  // xmax is 0 on a row this statement inserted, the updating transaction's id otherwise.
  const { rows } = await client.query<{ inserted: number; added: number; updated: number }>(
    `WITH given AS (SELECT * FROM unnest($2::text[], $3::text[], $4::bool[]) AS c(n, f, counted)),
     written AS (
       INSERT INTO contacts (list_id, number, fields)
       SELECT $1, n, f::jsonb FROM given
       ON CONFLICT (list_id, number) DO UPDATE SET fields = EXCLUDED.fields, updated_at = now()
       RETURNING number, (xmax = 0) AS inserted
     )
     SELECT count(*) FILTER (WHERE inserted)::int AS inserted,
            count(*) FILTER (WHERE inserted AND counted)::int AS added,
            count(*) FILTER (WHERE NOT inserted AND counted)::int AS updated
       FROM written JOIN given ON given.n = written.number`,
    [
      listId,
      contacts.map((c) => c.number),
      contacts.map((c) => JSON.stringify(c.fields)),
      contacts.map((c) => !c.uncounted),
    ],
  );
  const { inserted, added, updated } = rows[0] ?? { inserted: 0, added: 0, updated: 0 };
  await recount(client, listId, inserted);
  return { added, updated };
}

/**
 * Adds contacts (distinct E.164 numbers) to a list; a number already on it gets
 * the fields given now in place of its old ones. Returns how many were added and
 * how many updated.
 */
export async function upsertContacts(
  sql: Queryable,
  accountId: string,
  listId: string,
  contacts: { number: string; fields: Record<string, string> }[],
): Promise<{ added: number; updated: number }> {
  return atomically(sql, async (client) => {
    await lockList(client, accountId, listId);
    return writeContacts(client, listId, contacts);
  });
}

// `q` as a LIKE pattern matching it anywhere, its own % and _ taken literally.
const containing = (q: string) => `%${q.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;

/**
 * One page of a list's contacts in number order; with `q`, those whose number or
 * a field's value contains it (case-insensitive). `window` (the SMSFactor routes'
 * start and length) takes the place of the page; `total` counts every match.
 */
export async function listContacts(
  sql: Queryable,
  accountId: string,
  listId: string,
  query: { page: number; q?: string | undefined; window?: { skip: number; take: number } },
): Promise<{ contacts: Contact[]; pages: number; total: number }> {
  await findContactList(sql, accountId, listId);
  const { skip, take } = query.window ?? pageWindow(query.page);
  const where = query.q
    ? `list_id = $1 AND (number ILIKE $2 OR EXISTS (SELECT 1 FROM jsonb_each_text(fields) AS f WHERE f.value ILIKE $2))`
    : "list_id = $1";
  const values = query.q ? [listId, containing(query.q)] : [listId];
  const [counted, listed] = await Promise.all([
    sql.query<{ total: number }>(`SELECT count(*)::int AS total FROM contacts WHERE ${where}`, values),
    sql.query<Contact>(
      `SELECT ${CONTACT} FROM contacts WHERE ${where} ORDER BY number
        LIMIT $${values.length + 1} OFFSET $${values.length + 2}`,
      [...values, take, skip],
    ),
  ]);
  const total = counted.rows[0]?.total ?? 0;
  return { contacts: listed.rows, pages: pageCount(total), total };
}

/**
 * Sets some fields of a list's contact in one statement, keeping its others;
 * null when the number is not on the list (nothing is added). The list must be
 * the account's (else not found).
 */
export async function updateContactFields(
  sql: Queryable,
  accountId: string,
  listId: string,
  number: string,
  changes: Record<string, string>,
  newNumber: string | null = null,
): Promise<Contact | null | "taken"> {
  await findContactList(sql, accountId, listId);
  try {
    const { rows } = await sql.query<Contact>(
      `UPDATE contacts SET number = COALESCE($4, number), fields = fields || $3::jsonb, updated_at = now()
        WHERE list_id = $1 AND number = $2 RETURNING ${CONTACT}`,
      [listId, number, JSON.stringify(changes), newNumber],
    );
    return rows[0] ?? null;
  } catch (error) {
    // The new number is on the list already: one contact per number.
    if ((error as { code?: string }).code === "23505") return "taken";
    throw error;
  }
}

/**
 * Up to `limit` contacts of a list after number `after` (keyset order), for
 * reading a whole list a page at a time. The list must be the account's.
 */
export async function contactsAfter(
  sql: Queryable,
  accountId: string,
  listId: string,
  after: string,
  limit: number,
): Promise<Contact[]> {
  const { rows } = await sql.query<Contact>(
    `SELECT ${CONTACT} FROM contacts
      WHERE list_id = (SELECT id FROM contact_lists WHERE id = $1 AND account_id = $2) AND number > $3
      ORDER BY number LIMIT $4`,
    [listId, accountId, after, limit],
  );
  return rows;
}

/** The field names used by a list's contacts, sorted. */
export async function contactFieldNames(
  sql: Queryable,
  accountId: string,
  listId: string,
): Promise<string[]> {
  await findContactList(sql, accountId, listId);
  const { rows } = await sql.query<{ name: string }>(
    `SELECT DISTINCT k AS name FROM contacts, jsonb_object_keys(fields) AS k WHERE list_id = $1 ORDER BY k`,
    [listId],
  );
  return rows.map((row) => row.name);
}

/** A field name used by contacts of an account's lists: when a contact first and last wrote it. */
interface AccountContactField {
  name: string;
  createdAt: Date;
  updatedAt: Date;
}

/**
 * The field names the contacts of all an account's lists use, sorted, each with
 * the earliest creation and the latest update of a contact that has it (a field
 * name has no row of its own). Reads every contact of the account's lists.
 */
export async function accountContactFields(
  sql: Queryable,
  accountId: string,
): Promise<AccountContactField[]> {
  const { rows } = await sql.query<AccountContactField>(
    `SELECT k AS name, min(c.created_at) AS "createdAt", max(c.updated_at) AS "updatedAt"
       FROM contact_lists l
       JOIN contacts c ON c.list_id = l.id
       CROSS JOIN LATERAL jsonb_object_keys(c.fields) AS k
      WHERE l.account_id = $1
      GROUP BY k ORDER BY k`,
    [accountId],
  );
  return rows;
}

/** Which of `names` a contact of one of the account's lists has as a field (each search stops at its first contact). */
export async function usedContactFields(
  sql: Queryable,
  accountId: string,
  names: string[],
): Promise<string[]> {
  if (names.length === 0) return [];
  const { rows } = await sql.query<{ name: string }>(
    `SELECT u.field AS name FROM unnest($2::text[]) AS u(field)
      WHERE EXISTS (SELECT 1 FROM contact_lists l JOIN contacts c ON c.list_id = l.id
                     WHERE l.account_id = $1 AND c.fields ? u.field)`,
    [accountId, names],
  );
  return rows.map((row) => row.name);
}

/** Removes a number from a list; a number not on it is not found. */
export async function removeContact(
  sql: Queryable,
  accountId: string,
  listId: string,
  number: string,
): Promise<void> {
  await atomically(sql, async (client) => {
    await lockList(client, accountId, listId);
    const { rowCount } = await client.query("DELETE FROM contacts WHERE list_id = $1 AND number = $2", [
      listId,
      number,
    ]);
    if (!rowCount) throw new NotFoundError(`${number} is not on the contact list ${listId}.`);
    await recount(client, listId, -1);
  });
}

/** Removes from a list the numbers on the account's NPAI list; answers how many went. */
export async function removeNpaiContacts(sql: Queryable, accountId: string, listId: string): Promise<number> {
  return atomically(sql, async (client) => {
    await lockList(client, accountId, listId);
    const { rowCount } = await client.query(
      `DELETE FROM contacts c USING npai n WHERE c.list_id = $1 AND n.account_id = $2 AND n.number = c.number`,
      [listId, accountId],
    );
    await recount(client, listId, -(rowCount ?? 0));
    return rowCount ?? 0;
  });
}

/**
 * Removes from a list the numbers given as invalid, then those on the account's
 * blacklist, then those on its NPAI list; answers how many of each went (a
 * number on both lists counts as blacklisted).
 */
export async function cleanContactList(
  sql: Queryable,
  accountId: string,
  listId: string,
  invalidNumbers: string[],
): Promise<{ invalid: number; blacklisted: number; npai: number }> {
  return atomically(sql, async (client) => {
    await lockList(client, accountId, listId);
    const invalid = await client.query(
      "DELETE FROM contacts WHERE list_id = $1 AND number = ANY($2::text[])",
      [listId, invalidNumbers],
    );
    const blacklisted = await client.query(
      `DELETE FROM contacts c USING blacklist b
        WHERE c.list_id = $1 AND b.account_id = $2 AND b.number = c.number`,
      [listId, accountId],
    );
    const npai = await client.query(
      `DELETE FROM contacts c USING npai n WHERE c.list_id = $1 AND n.account_id = $2 AND n.number = c.number`,
      [listId, accountId],
    );
    const counts = {
      invalid: invalid.rowCount ?? 0,
      blacklisted: blacklisted.rowCount ?? 0,
      npai: npai.rowCount ?? 0,
    };
    await recount(client, listId, -(counts.invalid + counts.blacklisted + counts.npai));
    return counts;
  });
}
