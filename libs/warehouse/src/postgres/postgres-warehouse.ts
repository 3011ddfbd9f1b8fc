/**
 * The Postgres warehouse: its part of the exactly-once sequence (../load-sequence.ts). In the
 * load's transaction it takes the table's lock, brings the table (and its dimension) to the
 * target version — Postgres DDL is transactional, so a plan commits with the rows it was run for —
 * and copies the files in (postgres-copy.ts).
 */
import { createPool, quoteIdent } from "@schematizer/postgres";
import pg from "pg";
import { tableVersion } from "../bookkeeping.ts";
import { dimensionOf } from "../dimension/dimension-tables.ts";
import { dialectWarehouse, type DialectLoad, type WarehouseConnection } from "../load-sequence.ts";
import type { Warehouse } from "../warehouse.ts";
import { POSTGRES_BOOKKEEPING, setTableVersion } from "./postgres-bookkeeping.ts";
import { copyFiles } from "./postgres-copy.ts";
import { planPostgres } from "./postgres-ddl.ts";
import { bringPostgresDimension } from "./postgres-dimension.ts";

export interface PostgresWarehouseOptions extends WarehouseConnection {
  /** After a duplicate id, how many loads of that table go straight to staging. */
  readonly stagingStreak?: number;
  /** Rows of one file that may be set aside; beyond, its batch is parked (default 1000). */
  readonly maxSetAsideRows?: number;
}

const UNIQUE_VIOLATION = "23505";
const DUPLICATE_DATABASE = "42P04";

/**
 * Creates a database on the server of `url` unless it exists (the local default warehouse).
 *
 * @example
 * ```ts
 * await ensureDatabase("postgres://postgres:postgres@127.0.0.1:54329/warehouse");
 * ```
 */
export async function ensureDatabase(url: string): Promise<void> {
  const name = decodeURIComponent(new URL(url).pathname.slice(1));
  const admin = new URL(url);
  admin.pathname = "/postgres";
  const client = new pg.Client({ connectionString: admin.toString() });
  await client.connect();
  try {
    const { rowCount } = await client.query("SELECT 1 FROM pg_database WHERE datname = $1", [name]);
    if (rowCount === 0) {
      await client.query(`CREATE DATABASE ${quoteIdent(name)}`).catch((error: unknown) => {
        const code = (error as { code?: string }).code;
        if (code !== DUPLICATE_DATABASE && code !== UNIQUE_VIOLATION) throw error;
      });
    }
  } finally {
    await client.end();
  }
}

/**
 * The Postgres warehouse over a pool to the warehouse database.
 *
 * @example
 * ```ts
 * const warehouse = postgresWarehouse({ pool: createPool({ connectionString: WAREHOUSE_URL }), store });
 * await warehouse.load({ app: "acme", target, fileVersion: target, current: undefined, files, setAside });
 * ```
 */
export function postgresWarehouse(options: PostgresWarehouseOptions): Warehouse {
  /** Tables whose recent loads met duplicate ids, with how many more loads use staging first. */
  const stagingFirst = new Map<string, number>();
  const load: DialectLoad = {
    dialect: "postgres",
    bookkeeping: POSTGRES_BOOKKEEPING,
    async begin(client, { schema, request }) {
      // Text of timestamps without a zone (widened dates) means UTC, as in the DDL's conversions.
      await client.query("SET LOCAL TIME ZONE 'UTC'");
      // One writer per table at a time, whichever replica thinks it leads.
      await client.query("SELECT pg_advisory_xact_lock(hashtext($1))", [`${schema}.${request.target.schema.table}`]);
    },
    async loadFiles(client, { schema, request }, files) {
      const { target } = request;
      const table = target.schema.table;
      if (((await tableVersion(client, schema, table))?.version ?? 0) < target.schema.version) {
        // Every statement checks the catalog, so planning from an older `current` is harmless.
        for (const statement of planPostgres(request.current?.schema ?? null, target.schema, { schema })) await client.query(statement.sql);
        await setTableVersion(client, schema, table, target.schema.version, target.id);
      }
      const dimension = dimensionOf(target.schema);
      if (dimension !== undefined) await bringPostgresDimension(client, schema, dimension, target.id, request.dimensionCurrent ?? request.current);
      return copyFiles(
        client,
        {
          store: options.store,
          schema,
          table,
          columns: request.fileVersion.schema.columns.map((c) => c.name),
          dimension,
          stagingFirst,
          streak: options.stagingStreak ?? 8,
          maxSetAsideRows: options.maxSetAsideRows ?? 1000,
        },
        files,
      );
    },
  };
  return dialectWarehouse(options, load);
}

/**
 * A pool for a Postgres warehouse.
 *
 * @example
 * ```ts
 * const pool = warehousePool("postgres://postgres:postgres@127.0.0.1:54329/warehouse", 4);
 * ```
 */
export function warehousePool(url: string, max: number): pg.Pool {
  return createPool({ connectionString: url, max, applicationName: "schematizer-batcher" });
}
