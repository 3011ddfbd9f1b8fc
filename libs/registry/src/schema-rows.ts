/**
 * Rows of `tables` and `schema_versions` as the schema store reads them: the columns it selects,
 * and how a row becomes a TableRef or a SchemaVersion.
 */
import type { AvroSchema } from "@schematizer/contracts";
import type { Column, Dialect, SchemaDiff } from "@schematizer/schema";
import type { SchemaVersion, TableRef } from "./table-versions.ts";

/** A table's columns, with its app's name, from `tables` joined to `apps`. */
export const TABLE_COLUMNS = [
  "tables.id",
  "tables.app_id",
  "tables.name",
  "tables.entype",
  "tables.evname",
  "tables.dialect",
  "tables.subject",
  "tables.created_at",
  "apps.name as app",
] as const;

/** A version's columns, from `schema_versions`. */
export const VERSION_COLUMNS = [
  "schema_versions.id",
  "schema_versions.version",
  "schema_versions.parent_id",
  "schema_versions.columns",
  "schema_versions.avro",
  "schema_versions.diff",
  "schema_versions.fingerprint",
  "schema_versions.created_at",
  "schema_versions.created_by",
] as const;

/** A row as TABLE_COLUMNS selects it. */
interface TableRow {
  id: number;
  app_id: number;
  app: string;
  name: string;
  entype: string;
  evname: string;
  dialect: string;
  subject: string;
  created_at: Date;
}

/** A row as VERSION_COLUMNS selects it. */
interface VersionRow {
  id: number;
  version: number;
  parent_id: number | null;
  columns: Column[];
  avro: string;
  diff: SchemaDiff;
  fingerprint: string;
  created_at: Date;
  created_by: string;
}

/** A table row as the registry uses it. */
export function toTable(row: TableRow): TableRef {
  return {
    id: row.id,
    appId: row.app_id,
    app: row.app,
    name: row.name,
    entype: row.entype,
    evname: row.evname,
    dialect: row.dialect as Dialect,
    subject: row.subject,
    createdAt: row.created_at,
  };
}

/** A version row of a table as the registry hands it out. */
export function toVersion(table: TableRef, row: VersionRow): SchemaVersion {
  return {
    id: row.id,
    app: table.app,
    table: table.name,
    subject: table.subject,
    version: row.version,
    parentId: row.parent_id,
    schema: { table: table.name, dialect: table.dialect, version: row.version, columns: row.columns },
    avro: JSON.parse(row.avro) as AvroSchema,
    diff: row.diff,
    fingerprint: row.fingerprint,
    createdAt: row.created_at,
    createdBy: row.created_by,
  };
}
