/**
 * A dimension table on Redshift, in the load's transaction: a new one is created and filled from
 * its event table there, and each load merges its rows in after they are in the event table.
 * Redshift has no ordered array_agg: the latest value is picked with `LAST_VALUE(…) IGNORE NULLS`
 * over the entity's rows; and no upsert: an entity's row is deleted and inserted again.
 */
import type { Dimension } from "../dimension/dimension-tables.ts";
import { ID, KEY, LATE, later, more, names, TS, type Names } from "../dimension/dimension-sql.ts";

const WHOLE = `ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING`;

/** The latest row per key of `rows` (a subquery with `_sz_key`), each trait its latest non-null value. */
function redshiftLatest(n: Names, rows: string, extra: readonly string[]): string {
  const window = `PARTITION BY ${KEY} ORDER BY ${TS}, ${ID} ${WHOLE}`;
  return [
    `SELECT ${KEY}, ${TS}, ${ID}${more(extra)}${more(n.traits.map((t) => `LAST_VALUE(${t}) IGNORE NULLS OVER (${window}) AS ${t}`))},`,
    `  ROW_NUMBER() OVER (PARTITION BY ${KEY} ORDER BY ${TS} DESC, ${ID} DESC) AS "_sz_rn"`,
    `FROM (${rows}) s`,
  ].join("\n");
}

/**
 * The merge of one load into the dimension, after its rows are in the event table and while
 * `_sz_stage` still holds the load's COPY: L is the event table's rows whose id the load
 * carried (a redelivered row is at or before its watermark, so its entity is computed again).
 * Redshift has no upsert: the entities' rows are deleted and inserted again.
 *
 * @example
 * ```ts
 * for (const sql of redshiftMergeSql("acme", dimension)) await client.query(sql);
 * ```
 */
export function redshiftMergeSql(schema: string, dimension: Dimension): string[] {
  const n = names(schema, dimension);
  const carried = [TS, ID, ...n.traits];
  const columns = `${n.key}, ${TS}, ${ID}${more(n.traits)}`;
  return [
    [
      `CREATE TEMP TABLE "_sz_dim_rows" AS`,
      `SELECT ${n.key} AS ${KEY}, ${carried.join(", ")} FROM ${n.source}`,
      `WHERE ${ID} IN (SELECT ${ID} FROM "_sz_stage") AND ${n.key} IS NOT NULL`,
    ].join("\n"),
    [
      `CREATE TEMP TABLE "_sz_dim_late" AS`,
      `SELECT DISTINCT r.${KEY} FROM "_sz_dim_rows" r JOIN ${n.table} d ON d.${n.key} = r.${KEY}`,
      `WHERE NOT ${later("r", "d", "")}`,
    ].join("\n"),
    [
      `CREATE TEMP TABLE "_sz_dim_next" AS`,
      `SELECT w.${KEY}, w.${TS}, w.${ID}${more(n.traits.map((t) => `CASE WHEN w.${LATE} THEN w.${t} ELSE COALESCE(w.${t}, d.${t}) END AS ${t}`))}`,
      `FROM (`,
      redshiftLatest(
        n,
        [
          `SELECT ${KEY}, ${carried.join(", ")}, false AS ${LATE} FROM "_sz_dim_rows" WHERE ${KEY} NOT IN (SELECT ${KEY} FROM "_sz_dim_late")`,
          `  UNION ALL`,
          `  SELECT ${n.key}, ${carried.join(", ")}, true FROM ${n.source} WHERE ${n.key} IN (SELECT ${KEY} FROM "_sz_dim_late")`,
        ].join("\n"),
        [LATE],
      ),
      `) w LEFT JOIN ${n.table} d ON d.${n.key} = w.${KEY}`,
      `WHERE w."_sz_rn" = 1`,
    ].join("\n"),
    `DELETE FROM ${n.table} WHERE ${n.key} IN (SELECT ${KEY} FROM "_sz_dim_next")`,
    `INSERT INTO ${n.table} (${columns}) SELECT ${KEY}, ${carried.join(", ")} FROM "_sz_dim_next"`,
    `DROP TABLE "_sz_dim_rows", "_sz_dim_late", "_sz_dim_next"`,
  ];
}

/**
 * Fills a new dimension table from every row already in its event table (replacing anything
 * in it, so running it again is harmless).
 *
 * @example
 * ```ts
 * for (const sql of redshiftBackfillSql("acme", dimension)) await client.query(sql);
 * ```
 */
export function redshiftBackfillSql(schema: string, dimension: Dimension): string[] {
  const n = names(schema, dimension);
  const carried = [TS, ID, ...n.traits];
  return [
    `DELETE FROM ${n.table}`,
    [
      `INSERT INTO ${n.table} (${n.key}, ${carried.join(", ")})`,
      `SELECT ${KEY}, ${carried.join(", ")} FROM (`,
      redshiftLatest(n, `SELECT ${n.key} AS ${KEY}, ${carried.join(", ")} FROM ${n.source} WHERE ${n.key} IS NOT NULL`, []),
      `) w WHERE w."_sz_rn" = 1`,
    ].join("\n"),
  ];
}
