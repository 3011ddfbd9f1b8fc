/**
 * A dimension table's DDL on Postgres, inside the load's transaction (Postgres DDL is
 * transactional): created with the event table's rows already loaded, or brought to the event
 * table's version with it. A dimension table therefore never exists without the rows its event
 * table had when it was made, nor lags the event table's columns.
 */
import { quoteIdent } from "@schematizer/postgres";
import { planPostgres } from "@schematizer/schema";
import type pg from "pg";
import { postgresBackfillSql, postgresKeyIndexSql } from "./dimension-sql.ts";
import { dimensionOf, type Dimension } from "./dimension-tables.ts";
import type { SchemaRef } from "./warehouse.ts";

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
export async function bringPostgresDimension(client: pg.PoolClient, schema: string, dimension: Dimension, targetId: number, base: SchemaRef | undefined): Promise<void> {
  const s = quoteIdent(schema);
  const applied = await client.query<{ version: number }>(`SELECT version FROM ${s}."_sz_tables" WHERE table_name = $1`, [dimension.table]);
  const version = applied.rows[0]?.version ?? 0;
  if (version >= dimension.schema.version) return;
  const prev = version === 0 || base === undefined ? null : (dimensionOf(base.schema)?.schema ?? null);
  for (const statement of planPostgres(prev, dimension.schema, { schema, primaryKey: dimension.key })) await client.query(statement.sql);
  if (version === 0) {
    await client.query(postgresKeyIndexSql(schema, dimension));
    await client.query(postgresBackfillSql(schema, dimension));
  }
  await client.query(
    `INSERT INTO ${s}."_sz_tables" (table_name, version, schema_id) VALUES ($1, $2, $3)
     ON CONFLICT (table_name) DO UPDATE SET version = EXCLUDED.version, schema_id = EXCLUDED.schema_id, updated_at = now()`,
    [dimension.table, dimension.schema.version, targetId],
  );
}
