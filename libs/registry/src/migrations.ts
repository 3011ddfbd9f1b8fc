/**
 * The registry's tables, created and evolved by migrations the registry runs itself at start.
 *
 * Every table lives in one Postgres schema whose name is an option, so environments and tests
 * share a database without sharing a registry. Migrations run under Kysely's Migrator, which
 * takes a Postgres advisory lock: any number of replicas may start at once, one migrates and the
 * others find the work done. Migrations are append-only: never edit one that has shipped.
 */
import { Kysely, Migrator, sql, type Migration } from "kysely";
import { registryError } from "./registry-errors.ts";

/** Registry schema names are interpolated into DDL, so they are kept to plain identifiers. */
export const SCHEMA_NAME_PATTERN = /^[a-z_][a-z0-9_]{0,62}$/;

/**
 * The migrations, by name in the order they apply, for a registry in `schema`.
 *
 * @example
 * ```ts
 * Object.keys(registryMigrations("registry")); // ["0001_registry", "0002_any_key_path", "0003_app_key_lookup"]
 * ```
 */
export function registryMigrations(schema: string): Record<string, Migration> {
  checkSchemaName(schema);
  const s = `"${schema}"`;
  return {
    "0001_registry": {
      async up(db: Kysely<unknown>) {
        // One sequence numbers table versions and plain subject schemas alike, so an id names
        // one schema registry-wide, as Confluent's ids do (and fits its 4-byte wire format).
        await sql.raw(`CREATE SEQUENCE ${s}.schema_ids AS integer`).execute(db);
        await sql
          .raw(
            `CREATE TABLE ${s}.apps (
              id integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
              name text NOT NULL UNIQUE,
              key_hash bytea NOT NULL CHECK (length(key_hash) = 32),
              previous_key_hash bytea CHECK (length(previous_key_hash) = 32),
              previous_key_expires_at timestamptz,
              key_rotated_at timestamptz NOT NULL DEFAULT now(),
              dialect text NOT NULL CHECK (dialect IN ('postgres', 'redshift')),
              max_columns integer NOT NULL CHECK (max_columns BETWEEN 7 AND 1600),
              max_tables integer NOT NULL CHECK (max_tables >= 1),
              disabled_at timestamptz,
              created_at timestamptz NOT NULL DEFAULT now()
            )`,
          )
          .execute(db);
        await sql
          .raw(
            `CREATE TABLE ${s}.tables (
              id integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
              app_id integer NOT NULL REFERENCES ${s}.apps (id),
              name text NOT NULL,
              entype text NOT NULL,
              evname text NOT NULL,
              dialect text NOT NULL,
              subject text NOT NULL UNIQUE,
              created_at timestamptz NOT NULL DEFAULT now(),
              UNIQUE (app_id, name)
            )`,
          )
          .execute(db);
        // The unique (table_id, version) is the optimistic-concurrency fence: of two writers that
        // both read version N, only one can insert N + 1. The foreign key from (table_id,
        // version − 1) makes histories contiguous whatever code writes here.
        await sql
          .raw(
            `CREATE TABLE ${s}.schema_versions (
              id integer PRIMARY KEY DEFAULT nextval('${s}.schema_ids'),
              table_id integer NOT NULL REFERENCES ${s}.tables (id),
              version integer NOT NULL CHECK (version >= 1),
              parent_version integer GENERATED ALWAYS AS (nullif(version - 1, 0)) STORED,
              parent_id integer REFERENCES ${s}.schema_versions (id),
              columns jsonb NOT NULL,
              avro text NOT NULL,
              avro_fingerprint text NOT NULL,
              diff jsonb NOT NULL,
              fingerprint text NOT NULL,
              created_at timestamptz NOT NULL DEFAULT now(),
              created_by text NOT NULL,
              CONSTRAINT schema_versions_table_version UNIQUE (table_id, version),
              CONSTRAINT schema_versions_contiguous FOREIGN KEY (table_id, parent_version)
                REFERENCES ${s}.schema_versions (table_id, version),
              CONSTRAINT schema_versions_parent CHECK ((version = 1) = (parent_id IS NULL))
            )`,
          )
          .execute(db);
        await sql
          .raw(`CREATE INDEX schema_versions_avro ON ${s}.schema_versions (table_id, avro_fingerprint)`)
          .execute(db);
        // Subjects registered through the API that no table owns: Confluent's plain semantics.
        await sql
          .raw(
            `CREATE TABLE ${s}.plain_schemas (
              id integer PRIMARY KEY DEFAULT nextval('${s}.schema_ids'),
              avro text NOT NULL,
              avro_fingerprint text NOT NULL UNIQUE,
              created_at timestamptz NOT NULL DEFAULT now()
            )`,
          )
          .execute(db);
        await sql
          .raw(
            `CREATE TABLE ${s}.subject_versions (
              subject text NOT NULL,
              version integer NOT NULL CHECK (version >= 1),
              schema_id integer NOT NULL REFERENCES ${s}.plain_schemas (id),
              created_at timestamptz NOT NULL DEFAULT now(),
              PRIMARY KEY (subject, version),
              UNIQUE (subject, schema_id)
            )`,
          )
          .execute(db);
        await sql.raw(`CREATE INDEX subject_versions_schema ON ${s}.subject_versions (schema_id)`).execute(db);
        // Compatibility levels: one row per subject that has its own, and '' for the registry's.
        await sql
          .raw(
            `CREATE TABLE ${s}.compatibility (
              subject text PRIMARY KEY,
              level text NOT NULL,
              updated_at timestamptz NOT NULL DEFAULT now()
            )`,
          )
          .execute(db);
      },
    },
    "0002_any_key_path": {
      async up(db: Kysely<unknown>) {
        // A version's columns and diff carry the body's key paths, and a JSON key may hold any
        // escape: jsonb refuses \u0000 and lone surrogates (22P05, 22P02), json keeps the text as
        // written and reads back to the same strings. Nothing queries inside these documents.
        await sql
          .raw(
            `ALTER TABLE ${s}.schema_versions
              ALTER COLUMN columns TYPE json USING columns::json,
              ALTER COLUMN diff TYPE json USING diff::json`,
          )
          .execute(db);
      },
    },
    "0003_app_key_lookup": {
      async up(db: Kysely<unknown>) {
        // The tracking API finds the app from its write key alone: by the key's hash, which is
        // unique (256 random bits), current or within its rotation grace.
        await sql.raw(`CREATE UNIQUE INDEX apps_key_hash ON ${s}.apps (key_hash)`).execute(db);
        await sql
          .raw(`CREATE INDEX apps_previous_key_hash ON ${s}.apps (previous_key_hash) WHERE previous_key_hash IS NOT NULL`)
          .execute(db);
        // Web origins whose pages may send the app's events (see app-origins.ts); none at first.
        await sql.raw(`ALTER TABLE ${s}.apps ADD COLUMN allowed_origins text[] NOT NULL DEFAULT '{}'`).execute(db);
      },
    },
  };
}

/**
 * Brings the registry's tables in `schema` up to date; safe to call from every replica at
 * start. Throws REGISTRY_MIGRATION_FAILED, with the failing migration, when one fails.
 *
 * @example
 * ```ts
 * await migrateRegistry(db, "registry");
 * ```
 */
export async function migrateRegistry(db: Kysely<unknown>, schema: string): Promise<void> {
  checkSchemaName(schema);
  const migrations = registryMigrations(schema);
  const migrator = new Migrator({
    db,
    provider: { getMigrations: () => Promise.resolve(migrations) },
    migrationTableSchema: schema,
    migrationTableName: "migrations",
    migrationLockTableName: "migrations_lock",
  });
  const { error, results } = await migrator.migrateToLatest();
  if (error !== undefined) {
    const failed = results?.find((r) => r.status === "Error")?.migrationName;
    throw registryError(
      "REGISTRY_MIGRATION_FAILED",
      `registry migration ${failed ?? "setup"} failed in schema ${schema}: ${(error as Error).message}`,
      { schema, migration: failed },
      error,
    );
  }
}

function checkSchemaName(schema: string): void {
  if (!SCHEMA_NAME_PATTERN.test(schema)) {
    throw registryError(
      "REGISTRY_INVALID_OPTIONS",
      `registry schema name ${JSON.stringify(schema)} must match ${String(SCHEMA_NAME_PATTERN)}`,
      { schema },
    );
  }
}
