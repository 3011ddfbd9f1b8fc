/**
 * A dimension table on Postgres, inside the load's transaction (Postgres DDL is transactional):
 * created with the event table's rows already loaded, or brought to the event table's version with
 * it, and merged in the statement that inserts the staged rows. A dimension table therefore never
 * exists without the rows its event table had when it was made, nor lags the event table's columns.
 *
 * The latest value is picked with `array_agg(… ORDER BY …) FILTER (WHERE … IS NOT NULL)`; ids are
 * compared with `COLLATE "C"` (byte order) whatever the database's collation.
 */
import { createHash } from "node:crypto";
import { quoteIdent } from "@schematizer/postgres";
import type pg from "pg";
import { ID, KEY, LATE, later, more, names, TS, type Names } from "../dimension/dimension-sql.ts";
import { dimensionOf, type Dimension } from "../dimension/dimension-tables.ts";
import { tableVersion } from "../bookkeeping.ts";
import type { SchemaRef } from "../warehouse.ts";
import { planPostgres } from "./postgres-ddl.ts";
import { setTableVersion } from "./postgres-bookkeeping.ts";

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

/**
 * Brings `dimension` (of the event table's target version, `targetId`) to that version. `base` is
 * the event table's version the dimension was last brought to, if the loader knows one; Postgres
 * plans check the catalog, so an older one is harmless.
 *
 * @example
 * ```ts
 * const dimension = dimensionOf(target.schema);
 * if (dimension !== undefined) await bringPostgresDimension(client, "acme", dimension, target.id, request.dimensionCurrent ?? request.current);
 * ```
 */
export async function bringPostgresDimension(client: pg.ClientBase, schema: string, dimension: Dimension, targetId: number, base: SchemaRef | undefined): Promise<void> {
  const version = (await tableVersion(client, schema, dimension.table))?.version ?? 0;
  if (version >= dimension.schema.version) return;
  const prev = version === 0 || base === undefined ? null : (dimensionOf(base.schema)?.schema ?? null);
  for (const statement of planPostgres(prev, dimension.schema, { schema, primaryKey: dimension.key })) await client.query(statement.sql);
  if (version === 0) {
    await client.query(postgresKeyIndexSql(schema, dimension));
    await client.query(postgresBackfillSql(schema, dimension));
  }
  await setTableVersion(client, schema, dimension.table, dimension.schema.version, targetId);
}
