/**
 * The SQL that keeps a dimension table (dimension-tables.ts) in the load's transaction, for both
 * warehouses, as pure functions of their inputs so the text can be checked without a cluster.
 * Each does what dimension-rule.ts's `mergeLoad` does:
 *
 * 1. L: the event table's rows this load brought, with a key.
 * 2. Late keys: entities with a row in L at or before their dimension row's watermark
 *    (`_sz_ts`, then `_sz_id` in byte order).
 * 3. For the others, each trait's latest non-null value in L, else the dimension's own; for late
 *    keys, each trait's latest non-null value over all the entity's rows in the event table.
 * 4. Those rows replace the entities' rows.
 *
 * Postgres picks the latest value with `array_agg(… ORDER BY …) FILTER (WHERE … IS NOT NULL)`;
 * Redshift, which has no ordered array_agg, with `LAST_VALUE(…) IGNORE NULLS` over the entity's
 * rows. Postgres compares ids with `COLLATE "C"` (byte order) whatever the database's collation.
 */
import { createHash } from "node:crypto";
import { quoteIdent, SYSTEM_COLUMNS } from "@schematizer/schema";
import type { Dimension } from "./dimension-tables.ts";

const KEY = quoteIdent("_sz_key");
const LATE = quoteIdent("_sz_late");
const TS = quoteIdent(SYSTEM_COLUMNS.ts);
const ID = quoteIdent(SYSTEM_COLUMNS.id);

interface Names {
  readonly source: string;
  readonly table: string;
  readonly key: string;
  readonly traits: readonly string[];
}

function names(schema: string, dimension: Dimension): Names {
  const s = quoteIdent(schema);
  return {
    source: `${s}.${quoteIdent(dimension.source)}`,
    table: `${s}.${quoteIdent(dimension.table)}`,
    key: quoteIdent(dimension.key),
    traits: dimension.traits.map(quoteIdent),
  };
}

/** `a, b, c` with the leading comma when there is anything to list. */
function more(items: readonly string[]): string {
  return items.length === 0 ? "" : `, ${items.join(", ")}`;
}

/** `r` later than `d` by (`_sz_ts`, `_sz_id`); the ids compared byte by byte when `collate` says how. */
function later(r: string, d: string, collate: string): string {
  return `(${r}.${TS} > ${d}.${TS} OR (${r}.${TS} = ${d}.${TS} AND ${r}.${ID}${collate} > ${d}.${ID}${collate}))`;
}

// ── Postgres ─────────────────────────────────────────────────────────────────────────────────

const C = ` COLLATE "C"`;
const NEWEST = `ORDER BY ${TS} DESC, ${ID}${C} DESC`;

/** Each trait's latest non-null value per key, with the latest row's `_sz_ts` and `_sz_id`. */
function postgresLatest(n: Names): string[] {
  return [
    `(array_agg(${TS} ${NEWEST}))[1] AS ${TS}`,
    `(array_agg(${ID} ${NEWEST}))[1] AS ${ID}`,
    ...n.traits.map((t) => `(array_agg(${t} ${NEWEST}) FILTER (WHERE ${t} IS NOT NULL))[1] AS ${t}`),
  ];
}

function postgresUpsert(n: Names): string {
  const set = [TS, ID, ...n.traits].map((c) => `${c} = EXCLUDED.${c}`).join(", ");
  return `ON CONFLICT (${n.key}) DO UPDATE SET ${set}`;
}

/**
 * For a table with a dimension, the staged file's insert into the event table and the merge of
 * its new rows into the dimension, as one statement (its data-modifying WITH sees one snapshot:
 * the event table's rows before this insert come from the table, the new ones from RETURNING).
 * It returns one row, `inserted`: the rows the event table gained.
 *
 * @example
 * ```ts
 * const { rows } = await client.query(postgresStagedLoadSql("acme", dimension, ["_sz_id", "_sz_ts", …]));
 * rows[0].inserted; // "12"
 * ```
 */
export function postgresStagedLoadSql(schema: string, dimension: Dimension, columns: readonly string[]): string {
  const n = names(schema, dimension);
  const cols = columns.map(quoteIdent).join(", ");
  const carried = [TS, ID, ...n.traits];
  return [
    `WITH "_sz_new" AS (`,
    `  INSERT INTO ${n.source} (${cols}) SELECT ${cols} FROM "_sz_stage" ORDER BY "_sz_ord"`,
    `  ON CONFLICT (${ID}) DO NOTHING`,
    `  RETURNING ${n.key} AS ${KEY}, ${carried.join(", ")}`,
    `), "_sz_late_keys" AS (`,
    `  SELECT DISTINCT r.${KEY} FROM "_sz_new" r JOIN ${n.table} d ON d.${n.key} = r.${KEY}`,
    `  WHERE NOT ${later("r", "d", C)}`,
    `), "_sz_rows" AS (`,
    `  SELECT ${KEY}, ${carried.join(", ")}, ${KEY} IN (SELECT ${KEY} FROM "_sz_late_keys") AS ${LATE} FROM "_sz_new" WHERE ${KEY} IS NOT NULL`,
    `  UNION ALL`,
    `  SELECT ${n.key}, ${carried.join(", ")}, true FROM ${n.source} WHERE ${n.key} IN (SELECT ${KEY} FROM "_sz_late_keys")`,
    `), "_sz_next" AS (`,
    `  SELECT ${KEY}, bool_or(${LATE}) AS ${LATE}, ${postgresLatest(n).join(", ")}`,
    `  FROM "_sz_rows" GROUP BY ${KEY}`,
    `), "_sz_merged" AS (`,
    `  INSERT INTO ${n.table} (${n.key}, ${TS}, ${ID}${more(n.traits)})`,
    `  SELECT r.${KEY}, r.${TS}, r.${ID}${more(n.traits.map((t) => `CASE WHEN r.${LATE} THEN r.${t} ELSE COALESCE(r.${t}, d.${t}) END`))}`,
    `  FROM "_sz_next" r LEFT JOIN ${n.table} d ON d.${n.key} = r.${KEY}`,
    `  ${postgresUpsert(n)}`,
    `)`,
    `SELECT count(*) AS inserted FROM "_sz_new"`,
  ].join("\n");
}

/**
 * Fills a new dimension table from every row already in its event table.
 *
 * @example
 * ```ts
 * await client.query(postgresBackfillSql("acme", dimension));
 * ```
 */
export function postgresBackfillSql(schema: string, dimension: Dimension): string {
  const n = names(schema, dimension);
  return [
    `INSERT INTO ${n.table} (${n.key}, ${TS}, ${ID}${more(n.traits)})`,
    `SELECT ${n.key}, ${postgresLatest(n).join(", ")}`,
    `FROM ${n.source} WHERE ${n.key} IS NOT NULL GROUP BY ${n.key}`,
    postgresUpsert(n),
  ].join("\n");
}

/**
 * An index of the event table on the dimension's key, so a late row's entity is read back by
 * its key rather than by a scan. Its name is the pipeline's (`_sz_`), never an event table's.
 *
 * @example
 * ```ts
 * postgresKeyIndexSql("acme", dimension); // CREATE INDEX IF NOT EXISTS "_sz_dk_…" ON "acme"."_e_user__identifies" ("_sz_enid")
 * ```
 */
export function postgresKeyIndexSql(schema: string, dimension: Dimension): string {
  const n = names(schema, dimension);
  const name = `_sz_dk_${createHash("sha256").update(`${dimension.source}\0${dimension.key}`).digest("hex").slice(0, 16)}`;
  return `CREATE INDEX IF NOT EXISTS ${quoteIdent(name)} ON ${n.source} (${n.key})`;
}

// ── Redshift ─────────────────────────────────────────────────────────────────────────────────

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
