import { NotFoundError } from "@salvo/core";
import { accountPage } from "./page";
import type { Queryable } from "./sql";

/** The account's number lists: `blacklist` (STOP, never send) and `npai` (numbers that do not exist). */
export type NumberList = "blacklist" | "npai";

/** Adds E.164 numbers to a list; numbers already there are kept as they were. Returns how many were new. */
export async function addToList(
  sql: Queryable,
  list: NumberList,
  accountId: string,
  numbers: string[],
): Promise<number> {
  const { rowCount } = await sql.query(
    `INSERT INTO ${list} (account_id, number) SELECT $1, n FROM unnest($2::text[]) AS n ON CONFLICT DO NOTHING`,
    [accountId, numbers],
  );
  return rowCount ?? 0;
}

/** One page of a list, newest first (`window`: rows to skip and read instead), and how many numbers it has. */
export async function listNumbers(
  sql: Queryable,
  list: NumberList,
  accountId: string,
  page: number,
  window?: { skip: number; take: number },
  /** Only numbers holding these digits (a search: `0612`, `33612`). */
  digits?: string,
) {
  const { rows, pages, total } = await accountPage<{ number: string; createdAt: Date }>(sql, {
    table: list,
    columns: `number, created_at AS "createdAt"`,
    ...(digits ? { where: "strpos(number, $2) > 0", values: [digits] } : {}),
    orderBy: "created_at DESC, number",
    accountId,
    page,
    window,
  });
  return { entries: rows, pages, total };
}

/** Removes a number from a list; a number not on it is not found. */
export async function removeFromList(
  sql: Queryable,
  list: NumberList,
  accountId: string,
  number: string,
): Promise<void> {
  const { rowCount } = await sql.query(`DELETE FROM ${list} WHERE account_id = $1 AND number = $2`, [
    accountId,
    number,
  ]);
  if (!rowCount) throw new NotFoundError(`${number} is not on the ${list}.`);
}
