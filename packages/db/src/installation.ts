import type { Queryable } from "./sql";

// The row is made by the migration that created the table; one deleted by hand is made again.
const FIND_INSTALLATION = `
  WITH existing AS (SELECT id FROM installation ORDER BY created_at, id LIMIT 1),
       made AS (INSERT INTO installation (id) SELECT gen_random_uuid()
                 WHERE NOT EXISTS (SELECT 1 FROM existing) RETURNING id)
  SELECT id::text AS id, current_database() AS database FROM existing
  UNION ALL SELECT id::text, current_database() FROM made`;

/**
 * What tells this installation from any other: the id its migrations made, and
 * its database's name (a copy of a database, `CREATE DATABASE … TEMPLATE`, has
 * the same id under another name).
 */
export async function findInstallation(sql: Queryable): Promise<string> {
  const { rows } = await sql.query<{ id: string; database: string }>(FIND_INSTALLATION);
  const row = rows[0];
  if (!row) throw new Error("the installation table has no row and none could be made");
  return `database ${row.database}, installation ${row.id}`;
}
