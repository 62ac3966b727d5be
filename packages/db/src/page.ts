import { pageCount, pageWindow } from "@salvo/core";
import type { Queryable } from "./sql";

/**
 * One page of an account's rows of `table` in `orderBy` order, with the number
 * of pages: the count and the page are read at once. `table`, `columns`, `where`
 * and `orderBy` are the caller's constants, never user input; `where` may use
 * `values` as `$2`, `$3`….
 */
export async function accountPage<T>(
  sql: Queryable,
  query: {
    table: string;
    columns: string;
    where?: string;
    values?: unknown[];
    orderBy: string;
    accountId: string;
    page: number;
    /** Rows to skip and to read, in place of the page's (the SMSFactor routes' start and length). */
    window?: { skip: number; take: number } | undefined;
  },
): Promise<{ rows: T[]; pages: number; total: number }> {
  const { skip, take } = query.window ?? pageWindow(query.page);
  const where = `account_id = $1${query.where ? ` AND ${query.where}` : ""}`;
  const values = [query.accountId, ...(query.values ?? [])];
  const [counted, listed] = await Promise.all([
    sql.query<{ total: number }>(`SELECT count(*)::int AS total FROM ${query.table} WHERE ${where}`, values),
    sql.query(
      `SELECT ${query.columns} FROM ${query.table} WHERE ${where}
        ORDER BY ${query.orderBy} LIMIT $${values.length + 1} OFFSET $${values.length + 2}`,
      [...values, take, skip],
    ),
  ]);
  const total = counted.rows[0]?.total ?? 0;
  return { rows: listed.rows as T[], pages: pageCount(total), total };
}
