// The countries an account may send to and its monthly limits per country, and
// the month's usage those limits count (country_usage). A setting left null on an
// account is its parent's, else the default: its own default country for the
// allowed countries, no limit for the monthly limits. Usage is counted per
// account (a sub-account that inherits its parent's limit has a quota of its own)
// by UTC calendar month, as sub-account usage is.
import { defaultAllowedCountries, withinCountryLimits } from "@salvo/core";
import { atomically, type Queryable } from "./sql";

// An account's settings as they apply (alias `a`): its own, else its parent's,
// else (see withAllowedCountries for the allowed countries) the defaults. Scalar
// subqueries, so a query reading them needs no join.
const PARENT = "(SELECT p.%s FROM accounts p WHERE p.id = a.parent_id)";
export const ALLOWED_COUNTRIES_SQL = `COALESCE(a.allowed_countries, ${PARENT.replace("%s", "allowed_countries")})::text[]`;
export const COUNTRY_LIMITS_SQL = `COALESCE(a.country_limits, ${PARENT.replace("%s", "country_limits")}, '{}'::jsonb)`;

// The first day of this month in UTC (country_usage.month).
const THIS_MONTH = "(date_trunc('month', now() AT TIME ZONE 'UTC'))::date";

/** A row read with ALLOWED_COUNTRIES_SQL, null (none set) read as the default of its `defaultCountry`. */
export function withAllowedCountries<T extends { allowedCountries: string[] | null; defaultCountry: string }>(
  row: T,
): T & { allowedCountries: string[] } {
  return { ...row, allowedCountries: row.allowedCountries ?? defaultAllowedCountries(row.defaultCountry) };
}

/** Where a setting that applies to an account comes from. */
type SettingSource = "account" | "parent" | "default";

export interface CountrySettings {
  /** Countries it may send to, sorted. */
  allowedCountries: string[];
  allowedCountriesFrom: SettingSource;
  /** Most messages this month per country; a country absent has no limit. */
  monthlyLimits: Record<string, number>;
  monthlyLimitsFrom: SettingSource;
  /** This month's first day (UTC), `YYYY-MM-01`. */
  month: string;
  /** Messages this month (handed off or about to be) to each limited country. */
  usage: Record<string, number>;
}

/** An account's country settings as they apply now, with this month's usage; null when there is no account. */
export async function findCountrySettings(
  sql: Queryable,
  accountId: string,
): Promise<CountrySettings | null> {
  const { rows } = await sql.query<
    Omit<CountrySettings, "allowedCountries"> & { allowedCountries: string[] | null; defaultCountry: string }
  >(
    `SELECT ${ALLOWED_COUNTRIES_SQL} AS "allowedCountries", a.default_country AS "defaultCountry",
            CASE WHEN a.allowed_countries IS NOT NULL THEN 'account'
                 WHEN ${PARENT.replace("%s", "allowed_countries")} IS NOT NULL THEN 'parent'
                 ELSE 'default' END AS "allowedCountriesFrom",
            ${COUNTRY_LIMITS_SQL} AS "monthlyLimits",
            CASE WHEN a.country_limits IS NOT NULL THEN 'account'
                 WHEN ${PARENT.replace("%s", "country_limits")} IS NOT NULL THEN 'parent'
                 ELSE 'default' END AS "monthlyLimitsFrom",
            to_char(${THIS_MONTH}, 'YYYY-MM-DD') AS month,
            (SELECT COALESCE(jsonb_object_agg(u.country, u.count), '{}'::jsonb) FROM country_usage u
              WHERE u.account_id = a.id AND u.month = ${THIS_MONTH}) AS usage
       FROM accounts a WHERE a.id = $1`,
    [accountId],
  );
  const row = rows[0];
  if (!row) return null;
  const { defaultCountry: _, ...settings } = withAllowedCountries(row);
  // Usage of every limited country, 0 when none was sent; none of a country no longer limited.
  const usage: Record<string, number> = {};
  for (const country of Object.keys(settings.monthlyLimits).sort())
    usage[country] = settings.usage[country] ?? 0;
  settings.allowedCountries.sort();
  return { ...settings, usage };
}

/** This month's usage of the account's limited countries, as the limits stand: what each has left. */
export async function countryQuotaLeft(
  sql: Queryable,
  accountId: string,
  limits: Record<string, number>,
): Promise<Map<string, number>> {
  const countries = Object.keys(limits);
  const left = new Map(countries.map((country) => [country, limits[country] as number]));
  if (countries.length === 0) return left;
  const { rows } = await sql.query<{ country: string; count: number }>(
    `SELECT country, count FROM country_usage WHERE account_id = $1 AND month = ${THIS_MONTH} AND country = ANY($2::text[])`,
    [accountId, countries],
  );
  for (const row of rows) left.set(row.country, Math.max(0, (limits[row.country] as number) - row.count));
  return left;
}

/**
 * Takes this month's quota for the messages of a chunk that are about to be
 * handed off (`messages`, in order, with their country) and returns the
 * positions past their country's limit (to be written `country_limit`).
 *
 * Exact under any concurrency: in one transaction, the chunk's row is locked (a
 * second run of the same chunk waits), then the account's usage rows of the
 * month for these countries, in country order (chunks of every batch and worker
 * lock them in the same order: no deadlock); each country gives
 * `least(wanted, limit - count)` and its count grows by that, so a month never
 * counts more than its limit, and exactly the limit once enough were asked.
 * The positions that took quota are kept on the chunk (`quota_taken`): a retried
 * chunk lets them through without taking it again. Quota is not given back when
 * a message is later refused by the provider (`failed`).
 */
export async function takeCountryQuota(
  sql: Queryable,
  batch: { id: string; accountId: string },
  chunk: number,
  messages: { idx: number; country: string }[],
  limits: Record<string, number>,
): Promise<Set<number>> {
  const limited = messages.filter((m) => Object.hasOwn(limits, m.country));
  if (limited.length === 0) return new Set();
  return await atomically(sql, async (tx) => {
    const { rows: chunkRows } = await tx.query<{ quota_taken: number[] | null }>(
      "SELECT quota_taken FROM batch_chunks WHERE batch_id = $1 AND idx = $2 FOR UPDATE",
      [batch.id, chunk],
    );
    const taken = new Set(chunkRows[0]?.quota_taken ?? []);
    const wanting = limited.filter((m) => !taken.has(m.idx));
    if (wanting.length === 0) return new Set<number>();
    const countries = [...new Set(wanting.map((m) => m.country))].sort();
    await tx.query(
      `INSERT INTO country_usage (account_id, month, country)
       SELECT $1, ${THIS_MONTH}, c FROM unnest($2::text[]) AS c ON CONFLICT DO NOTHING`,
      [batch.accountId, countries],
    );
    const { rows } = await tx.query<{ country: string; count: number }>(
      `SELECT country, count FROM country_usage
        WHERE account_id = $1 AND month = ${THIS_MONTH} AND country = ANY($2::text[])
        ORDER BY country FOR UPDATE`,
      [batch.accountId, countries],
    );
    const left = new Map(
      rows.map((row) => [row.country, Math.max(0, (limits[row.country] as number) - row.count)]),
    );
    const goes = withinCountryLimits(
      wanting.map((m) => m.country),
      left,
    );
    const granted = new Map<string, number>();
    const refused = new Set<number>();
    const took: number[] = [];
    wanting.forEach((message, i) => {
      if (!goes[i]) refused.add(message.idx);
      else {
        took.push(message.idx);
        granted.set(message.country, (granted.get(message.country) ?? 0) + 1);
      }
    });
    if (took.length > 0) {
      await tx.query(
        `UPDATE country_usage u SET count = u.count + g.n FROM unnest($2::text[], $3::int[]) AS g(country, n)
          WHERE u.account_id = $1 AND u.month = ${THIS_MONTH} AND u.country = g.country`,
        [batch.accountId, [...granted.keys()], [...granted.values()]],
      );
      await tx.query(
        "UPDATE batch_chunks SET quota_taken = COALESCE(quota_taken, '{}') || $3::int[] WHERE batch_id = $1 AND idx = $2",
        [batch.id, chunk, took],
      );
    }
    return refused;
  });
}
