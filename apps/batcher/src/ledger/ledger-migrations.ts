/**
 * The ledger's tables, in the batcher's own schema of the control database, as migrations (run by
 * `migrateLedger`, under Kysely's lock, so many replicas may start at once):
 * - `partition_ledger (topic, partition) → end_offset`: the fence (range-fence.ts).
 * - `ranges`: every committed range, with the offsets it covered without a record (`unseen`).
 * - `batch_ledger`: one row per file: keys, columns, rows, offsets, and its state
 *   `pending` → `loaded`, or `parked` with a code and reason (waiting for an operator).
 * - `rejected_records`: records that could not be decoded, with where their bytes were kept.
 * - `set_aside_rows`: rows the warehouse refused, with their reason and exact CSV.
 * - `archive_files`: one row per file of the raw archive, `writing` from before its upload until
 *   its range commits (`archived`); the archive is the files named here as `archived`.
 *
 * Table and column names keep the word "batch" for a file (`batch_ledger`, `batch_key` in the
 * warehouse): they are stored, and operators query them.
 */
import { quoteIdent } from "@schematizer/postgres";
import { Kysely, Migrator, PostgresDialect, sql, type Migration } from "kysely";
import type pg from "pg";
import { batcherError } from "../batcher-codes.ts";

/**
 * The ledger's migrations, by name in the order they apply.
 *
 * @example
 * ```ts
 * Object.keys(ledgerMigrations("batcher")); // ["0001_ledger", "0002_set_aside", "0003_archive"]
 * ```
 */
export function ledgerMigrations(schema: string): Record<string, Migration> {
  const s = quoteIdent(schema);
  return {
    "0001_ledger": {
      async up(db: Kysely<unknown>) {
        await sql
          .raw(
            `CREATE TABLE ${s}.partition_ledger (
              topic text NOT NULL,
              partition integer NOT NULL,
              end_offset bigint NOT NULL,
              updated_at timestamptz NOT NULL DEFAULT now(),
              PRIMARY KEY (topic, partition)
            )`,
          )
          .execute(db);
        await sql
          .raw(
            `CREATE TABLE ${s}.ranges (
              topic text NOT NULL,
              partition integer NOT NULL,
              first_offset bigint NOT NULL,
              last_offset bigint NOT NULL CHECK (last_offset >= first_offset),
              unseen_offsets bigint NOT NULL DEFAULT 0,
              files integer NOT NULL,
              rows bigint NOT NULL,
              rejected integer NOT NULL,
              created_at timestamptz NOT NULL DEFAULT now(),
              PRIMARY KEY (topic, partition, first_offset)
            )`,
          )
          .execute(db);
        await sql
          .raw(
            `CREATE TABLE ${s}.batch_ledger (
              id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
              app text NOT NULL,
              table_name text NOT NULL,
              version integer NOT NULL,
              schema_id integer NOT NULL,
              data_key text NOT NULL UNIQUE,
              manifest_key text NOT NULL,
              meta_key text NOT NULL,
              topic text NOT NULL,
              partition integer NOT NULL,
              first_offset bigint NOT NULL,
              last_offset bigint NOT NULL,
              columns jsonb NOT NULL,
              rows bigint NOT NULL,
              csv_bytes bigint NOT NULL,
              gzip_bytes bigint NOT NULL,
              oldest_received_at timestamptz NOT NULL,
              state text NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'loaded', 'parked')),
              attempts integer NOT NULL DEFAULT 0,
              next_attempt_at timestamptz,
              last_error text,
              parked_code text,
              parked_reason text,
              parked_at timestamptz,
              rows_inserted bigint,
              created_at timestamptz NOT NULL DEFAULT now(),
              loaded_at timestamptz
            )`,
          )
          .execute(db);
        await sql.raw(`CREATE INDEX batch_ledger_unloaded ON ${s}.batch_ledger (app, table_name, id) WHERE state <> 'loaded'`).execute(db);
        await sql
          .raw(
            `CREATE TABLE ${s}.rejected_records (
              topic text NOT NULL,
              partition integer NOT NULL,
              "offset" bigint NOT NULL,
              app text NOT NULL,
              code text NOT NULL,
              reason text NOT NULL,
              object_key text NOT NULL,
              created_at timestamptz NOT NULL DEFAULT now(),
              PRIMARY KEY (topic, partition, "offset")
            )`,
          )
          .execute(db);
      },
    },
    // Rows the warehouse refused (set-aside-ledger.ts keeps them and brings them back),
    // and the columns the loader needs to bound its retries.
    "0002_set_aside": {
      async up(db: Kysely<unknown>) {
        await sql
          .raw(
            `CREATE TABLE ${s}.set_aside_rows (
              id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
              app text NOT NULL,
              table_name text NOT NULL,
              data_key text NOT NULL,
              line integer NOT NULL,
              schema_id integer NOT NULL,
              version integer NOT NULL,
              code text NOT NULL,
              reason text NOT NULL,
              row_csv bytea NOT NULL,
              state text NOT NULL DEFAULT 'set_aside' CHECK (state IN ('set_aside', 'reloaded')),
              reloaded_into text,
              created_at timestamptz NOT NULL DEFAULT now(),
              reloaded_at timestamptz,
              UNIQUE (data_key, line)
            )`,
          )
          .execute(db);
        await sql.raw(`CREATE INDEX set_aside_rows_waiting ON ${s}.set_aside_rows (app, id) WHERE state = 'set_aside'`).execute(db);
        // Failures counted against a batch (while its dependencies answered), and its refused rows.
        await sql.raw(`ALTER TABLE ${s}.batch_ledger ADD COLUMN strikes integer NOT NULL DEFAULT 0, ADD COLUMN rows_set_aside bigint`).execute(db);
        // The loader reads pending batches only: parked ones hold nothing back.
        await sql.raw(`CREATE INDEX batch_ledger_pending ON ${s}.batch_ledger (app, table_name, id) WHERE state = 'pending'`).execute(db);
      },
    },
    // The raw archive's files (archive-ledger.ts). A file is `writing` from before its upload;
    // once a later range of its partition committed, a file still `writing` never will be.
    "0003_archive": {
      async up(db: Kysely<unknown>) {
        await sql
          .raw(
            `CREATE TABLE ${s}.archive_files (
              object_key text PRIMARY KEY,
              app text NOT NULL,
              topic text NOT NULL,
              partition integer NOT NULL,
              range_first bigint NOT NULL,
              first_offset bigint NOT NULL,
              last_offset bigint NOT NULL CHECK (last_offset >= first_offset),
              events integer NOT NULL,
              bytes bigint NOT NULL,
              hour timestamptz NOT NULL,
              oldest_received_at timestamptz NOT NULL,
              newest_received_at timestamptz NOT NULL,
              state text NOT NULL DEFAULT 'writing' CHECK (state IN ('writing', 'archived')),
              created_at timestamptz NOT NULL DEFAULT now()
            )`,
          )
          .execute(db);
        await sql.raw(`CREATE INDEX archive_files_by_hour ON ${s}.archive_files (app, hour) WHERE state = 'archived'`).execute(db);
        await sql.raw(`CREATE INDEX archive_files_writing ON ${s}.archive_files (topic, partition, range_first) WHERE state = 'writing'`).execute(db);
      },
    },
  };
}

/**
 * Creates the batcher's schema if needed and runs its migrations; safe from many replicas at once.
 *
 * @example
 * ```ts
 * await migrateLedger(pool, "batcher");
 * ```
 */
export async function migrateLedger(pool: pg.Pool, schema: string): Promise<void> {
  await pool.query(`CREATE SCHEMA IF NOT EXISTS ${quoteIdent(schema)}`).catch((error: unknown) => {
    // Two replicas creating the schema at once: the loser sees a unique violation; the schema exists.
    if ((error as { code?: string }).code !== "23505") throw error;
  });
  const db = new Kysely<unknown>({ dialect: new PostgresDialect({ pool: pool as never }) });
  const migrator = new Migrator({
    db,
    provider: { getMigrations: () => Promise.resolve(ledgerMigrations(schema)) },
    migrationTableSchema: schema,
    migrationTableName: "batcher_migrations",
    migrationLockTableName: "batcher_migrations_lock",
  });
  const { error } = await migrator.migrateToLatest();
  // Kysely's destroy would end the caller's pool; the migrator holds nothing else.
  if (error !== undefined) {
    throw batcherError("BATCHER_MIGRATION_FAILED", `ledger migrations failed in ${schema}`, { cause: error });
  }
}
