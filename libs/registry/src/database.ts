/**
 * The registry's tables as Kysely sees them. The DDL lives in `migrations.ts`.
 */
import type { ColumnType, Generated } from "kysely";
import type { Column, SchemaDiff } from "@schematizer/schema";

/** The production default for the registry's Postgres schema. */
export const DEFAULT_REGISTRY_SCHEMA = "registry";

/** json: read as parsed JSON, written as JSON text (pg would send a JS array as a Postgres array). */
type Json<T> = ColumnType<T, string, string>;

export interface AppsTable {
  id: Generated<number>;
  name: string;
  key_hash: Buffer;
  previous_key_hash: Buffer | null;
  previous_key_expires_at: Date | null;
  key_rotated_at: Generated<Date>;
  dialect: string;
  max_columns: number;
  max_tables: number;
  disabled_at: Date | null;
  created_at: Generated<Date>;
  /** Canonical web origins (app-origins.ts) whose pages may send events. */
  allowed_origins: Generated<string[]>;
}

export interface TablesTable {
  id: Generated<number>;
  app_id: number;
  name: string;
  entype: string;
  evname: string;
  dialect: string;
  subject: string;
  created_at: Generated<Date>;
}

export interface SchemaVersionsTable {
  id: Generated<number>;
  table_id: number;
  version: number;
  parent_version: ColumnType<number | null, never, never>;
  parent_id: number | null;
  columns: Json<Column[]>;
  avro: string;
  avro_fingerprint: string;
  diff: Json<SchemaDiff>;
  fingerprint: string;
  created_at: Generated<Date>;
  created_by: string;
}

export interface PlainSchemasTable {
  id: Generated<number>;
  avro: string;
  avro_fingerprint: string;
  created_at: Generated<Date>;
}

export interface SubjectVersionsTable {
  subject: string;
  version: number;
  schema_id: number;
  created_at: Generated<Date>;
}

export interface CompatibilityTable {
  subject: string;
  level: string;
  updated_at: Generated<Date>;
}

export interface RegistryDatabase {
  apps: AppsTable;
  tables: TablesTable;
  schema_versions: SchemaVersionsTable;
  plain_schemas: PlainSchemasTable;
  subject_versions: SubjectVersionsTable;
  compatibility: CompatibilityTable;
}

/** SQLSTATE unique_violation. */
export const UNIQUE_VIOLATION = "23505";

/** The Postgres error code and constraint of a failed statement, if it is one. */
export function pgErrorOf(error: unknown): { code: string; constraint?: string } | undefined {
  if (error === null || typeof error !== "object" || !("code" in error)) return undefined;
  const { code, constraint } = error as { code: unknown; constraint?: unknown };
  if (typeof code !== "string") return undefined;
  return typeof constraint === "string" ? { code, constraint } : { code };
}
