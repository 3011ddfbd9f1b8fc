/**
 * The Postgres warehouse: each batch file is streamed from S3 through gunzip into COPY FROM STDIN
 * (no temp file; memory bounded by the streams' buffers), in one transaction with the table's DDL
 * and the `_sz_loads` row.
 *
 * Rows whose `_sz_id` is already in the table are skipped by the table's primary key. A file is
 * first copied straight into the table inside a savepoint: when no id repeats — the usual case —
 * that is the whole load, at the speed of a bare COPY. When one does (a replayed batch, a client
 * retry), the savepoint is rolled back and the file goes through a staging table instead:
 * `INSERT … SELECT … ORDER BY <file order> ON CONFLICT (_sz_id) DO NOTHING` keeps the first
 * occurrence of each new id and skips the ids already there. Either way the table gains exactly the
 * rows whose id is new.
 *
 * A table with a dimension (dimension-tables.ts: identifies and groups) always loads through
 * staging, and the insert from staging also merges its new rows into the dimension table, in the
 * same statement (dimension-sql.ts): the dimension changes exactly when the rows land.
 *
 * Each file loads inside a savepoint of its own. When Postgres refuses rows of it (a value its
 * column cannot hold, a row too big, a constraint added by hand), the file's savepoint is rolled
 * back and the file is loaded again without them (postgres-set-aside.ts): they are handed to the
 * loader to be set aside, the rest commits with the other files.
 */
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { createGunzip } from "node:zlib";
import { createPool, quoteIdent } from "@schematizer/postgres";
import type { ObjectStore } from "@schematizer/s3";
import { planPostgres, SYSTEM_COLUMNS } from "@schematizer/schema";
import pg from "pg";
import { from as copyFrom } from "pg-copy-streams";
import { batcherError } from "./batcher-codes.ts";
import { postgresStagedLoadSql } from "./dimension-sql.ts";
import { dimensionOf } from "./dimension-tables.ts";
import { bringPostgresDimension } from "./postgres-dimension.ts";
import { isRowError, loadAcceptedRows } from "./postgres-set-aside.ts";
import { byKey, oncePerKey, probeWarehouse, withLoadConnection, type LoadRequest, type LoadResult, type RefusedRow, type Warehouse } from "./warehouse.ts";

export interface PostgresWarehouseOptions {
  readonly pool: pg.Pool;
  readonly store: ObjectStore;
  /** Prepended to each app's schema name. */
  readonly schemaPrefix?: string;
  /** After a duplicate id, how many loads of that table go straight to staging. */
  readonly stagingStreak?: number;
  /** Rows of one file that may be set aside; beyond, its batch is parked (default 1000). */
  readonly maxSetAsideRows?: number;
}

const UNIQUE_VIOLATION = "23505";
const DUPLICATE_DATABASE = "42P04";
/** unique_violation, duplicate_schema, duplicate_table. */
const ALREADY_EXISTS = new Set([UNIQUE_VIOLATION, "42P06", "42P07"]);

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
 * await warehouse.load({ app: "acme", target, files: target, current: undefined, batches });
 * ```
 */
export function postgresWarehouse(options: PostgresWarehouseOptions): Warehouse {
  const { pool, store } = options;
  const prefix = options.schemaPrefix ?? "";
  const streak = options.stagingStreak ?? 8;
  const maxSetAsideRows = options.maxSetAsideRows ?? 1000;
  /** Tables whose recent loads met duplicate ids, with how many more loads use staging first. */
  const stagingFirst = new Map<string, number>();

  const schemaOf = (app: string) => `${prefix}${app}`;

  async function createBookkeeping(app: string): Promise<void> {
    const s = quoteIdent(schemaOf(app));
    for (const statement of [
      `CREATE SCHEMA IF NOT EXISTS ${s}`,
      `CREATE TABLE IF NOT EXISTS ${s}."_sz_loads" (
        batch_key text PRIMARY KEY,
        table_name text NOT NULL,
        version integer NOT NULL,
        rows_in_file bigint NOT NULL,
        rows_inserted bigint NOT NULL,
        loaded_at timestamptz NOT NULL DEFAULT now()
      )`,
      `CREATE TABLE IF NOT EXISTS ${s}."_sz_tables" (
        table_name text PRIMARY KEY,
        version integer NOT NULL,
        schema_id integer NOT NULL,
        updated_at timestamptz NOT NULL DEFAULT now()
      )`,
    ]) {
      await pool.query(statement).catch((error: unknown) => {
        // IF NOT EXISTS run at the same moment by another process can still collide in the catalog
        // (a unique violation, or "already exists"): the object exists then.
        if (!ALREADY_EXISTS.has((error as { code?: string }).code ?? "")) throw error;
      });
    }
  }
  /** Loads of several tables of an app ask at the same moment: one run. */
  const prepare = oncePerKey(createBookkeeping);

  /** The rows of a batch file, as gzip CSV from the bucket or CSV already in memory. */
  type Source = { readonly key: string } | { readonly csv: Buffer };

  async function copyInto(client: pg.PoolClient, table: string, columns: string, source: Source): Promise<number> {
    const statement = `COPY ${table} (${columns}) FROM STDIN WITH (FORMAT csv)`;
    if ("csv" in source) {
      const copy = client.query(copyFrom(statement));
      await pipeline(Readable.from([source.csv]), copy);
      return copy.rowCount;
    }
    const { key } = source;
    // The file first: a COPY started without its data would hold the connection.
    const body = await store.getStream(key);
    if (body === undefined) throw batcherError("BATCHER_FILE_MISSING", `batch file ${key} is not in the bucket`, { context: { key } });
    const copy = client.query(copyFrom(statement));
    try {
      await pipeline(body, createGunzip(), copy);
    } catch (error) {
      if (typeof (error as { code?: unknown }).code === "string" && (error as { code: string }).code.startsWith("Z_")) {
        throw batcherError("BATCHER_FILE_CORRUPT", `batch file ${key} is not valid gzip`, { cause: error, context: { key } });
      }
      throw error;
    }
    return copy.rowCount;
  }

  async function load(request: LoadRequest): Promise<LoadResult> {
    const { app, target, files } = request;
    await prepare(app);
    const schema = schemaOf(app);
    const s = quoteIdent(schema);
    const tableName = target.schema.table;
    const table = `${s}.${quoteIdent(tableName)}`;
    const columns = files.schema.columns.map((c) => quoteIdent(c.name)).join(", ");
    const dimension = dimensionOf(target.schema);
    return withLoadConnection(pool, async (client) => {
      await client.query("BEGIN");
      // Text of timestamps without a zone (widened dates) means UTC, as in the DDL's conversions.
      await client.query("SET LOCAL TIME ZONE 'UTC'");
      // One writer per table at a time, whichever replica thinks it leads.
      await client.query("SELECT pg_advisory_xact_lock(hashtext($1))", [`${schema}.${tableName}`]);
      const keys = request.batches.map((b) => b.key);
      const done = await client.query<{ batch_key: string }>(`SELECT batch_key FROM ${s}."_sz_loads" WHERE batch_key = ANY($1::text[])`, [keys]);
      const alreadyLoaded = done.rows.map((r) => r.batch_key);
      const todo = request.batches.filter((b) => !alreadyLoaded.includes(b.key));
      const inserted = new Map<string, number>();
      if (todo.length === 0) {
        await client.query("COMMIT");
        return { inserted, alreadyLoaded, refused: new Map() };
      }

      const applied = await client.query<{ version: number }>(`SELECT version FROM ${s}."_sz_tables" WHERE table_name = $1`, [tableName]);
      const appliedVersion = applied.rows[0]?.version ?? 0;
      if (appliedVersion < target.schema.version) {
        // Every statement checks the catalog, so planning from an older `current` is harmless.
        for (const statement of planPostgres(request.current?.schema ?? null, target.schema, { schema })) await client.query(statement.sql);
        await client.query(
          `INSERT INTO ${s}."_sz_tables" (table_name, version, schema_id) VALUES ($1, $2, $3)
           ON CONFLICT (table_name) DO UPDATE SET version = EXCLUDED.version, schema_id = EXCLUDED.schema_id, updated_at = now()`,
          [tableName, target.schema.version, target.id],
        );
      }
      if (dimension !== undefined) await bringPostgresDimension(client, schema, dimension, target.id, request.dimensionCurrent ?? request.current);

      let staged = false;
      const stage = async () => {
        if (staged) {
          // Rolling back to a savepoint set before it was created (a file whose rows were refused) drops it.
          const found = await client.query<{ present: boolean }>(`SELECT to_regclass('pg_temp."_sz_stage"') IS NOT NULL AS present`);
          if (found.rows[0]?.present === true) {
            await client.query(`TRUNCATE "_sz_stage"`);
            return;
          }
        }
        await client.query(`CREATE TEMP TABLE "_sz_stage" (LIKE ${table}) ON COMMIT DROP`);
        await client.query(`ALTER TABLE "_sz_stage" ADD COLUMN "_sz_ord" bigint GENERATED ALWAYS AS IDENTITY`);
        staged = true;
      };
      const viaStaging = async (source: Source): Promise<{ copied: number; inserted: number }> => {
        await stage();
        const copied = await copyInto(client, `"_sz_stage"`, columns, source);
        if (dimension !== undefined) {
          const merged = await client.query<{ inserted: string }>(postgresStagedLoadSql(schema, dimension, files.schema.columns.map((c) => c.name)));
          return { copied, inserted: Number(merged.rows[0]?.inserted ?? 0) };
        }
        const result = await client.query(
          `INSERT INTO ${table} (${columns}) SELECT ${columns} FROM "_sz_stage" ORDER BY "_sz_ord"
           ON CONFLICT (${quoteIdent(SYSTEM_COLUMNS.id)}) DO NOTHING`,
        );
        return { copied, inserted: result.rowCount ?? 0 };
      };
      /** Straight into the table, or through staging when an id repeats. */
      const directOrStaged = async (source: Source, streakKey: string): Promise<{ copied: number; inserted: number }> => {
        const left = stagingFirst.get(streakKey) ?? 0;
        if (left > 0 || dimension !== undefined) {
          if (left > 0) stagingFirst.set(streakKey, left - 1);
          return viaStaging(source);
        }
        await client.query("SAVEPOINT sz_direct");
        try {
          const copied = await copyInto(client, table, columns, source);
          await client.query("RELEASE SAVEPOINT sz_direct");
          return { copied, inserted: copied };
        } catch (error) {
          if ((error as { code?: string }).code !== UNIQUE_VIOLATION) throw error;
          await client.query("ROLLBACK TO SAVEPOINT sz_direct");
          stagingFirst.set(streakKey, streak);
          return viaStaging(source);
        }
      };

      const streakKey = `${schema}.${tableName}`;
      const refused: RefusedRow[] = [];
      for (const batch of todo) {
        let outcome: { copied: number; inserted: number };
        await client.query("SAVEPOINT sz_file");
        try {
          outcome = await directOrStaged({ key: batch.key }, streakKey);
          await client.query("RELEASE SAVEPOINT sz_file");
        } catch (error) {
          if (!isRowError(error)) throw error;
          // Postgres refused rows of this file: load it again without them.
          await client.query("ROLLBACK TO SAVEPOINT sz_file");
          const gzip = await store.get(batch.key);
          if (gzip === undefined) throw batcherError("BATCHER_FILE_MISSING", `batch file ${batch.key} is not in the bucket`, { context: { key: batch.key } });
          const accepted = await loadAcceptedRows(client, { key: batch.key, gzip }, async (csv) => (await directOrStaged({ csv }, streakKey)).inserted, maxSetAsideRows);
          refused.push(...accepted.refused);
          outcome = { copied: accepted.copied + accepted.refused.length, inserted: accepted.inserted };
        }
        if (outcome.copied !== batch.rows) {
          throw batcherError("BATCHER_ROW_COUNT_MISMATCH", `${batch.key} holds ${outcome.copied} rows, the ledger says ${batch.rows}`, {
            context: { key: batch.key, copied: outcome.copied, expected: batch.rows },
          });
        }
        inserted.set(batch.key, outcome.inserted);
      }
      if (refused.length > 0) await request.setAside(refused);
      await client.query(
        `INSERT INTO ${s}."_sz_loads" (batch_key, table_name, version, rows_in_file, rows_inserted)
         SELECT * FROM unnest($1::text[], $2::text[], $3::int[], $4::bigint[], $5::bigint[])`,
        [
          todo.map((b) => b.key),
          todo.map(() => tableName),
          todo.map(() => files.schema.version),
          todo.map((b) => b.rows),
          todo.map((b) => inserted.get(b.key) ?? 0),
        ],
      );
      request.beforeCommit?.();
      await client.query("COMMIT");
      return { inserted, alreadyLoaded, refused: byKey(refused) };
    });
  }

  return {
    dialect: "postgres",
    schemaOf,
    async appliedVersion(app, table) {
      await prepare(app);
      const { rows } = await pool.query<{ version: number; schema_id: number }>(
        `SELECT version, schema_id FROM ${quoteIdent(schemaOf(app))}."_sz_tables" WHERE table_name = $1`,
        [table],
      );
      return rows[0] === undefined ? undefined : { version: rows[0].version, schemaId: rows[0].schema_id };
    },
    load,
    probe: () => probeWarehouse(pool, store),
    close: () => pool.end(),
  };
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
