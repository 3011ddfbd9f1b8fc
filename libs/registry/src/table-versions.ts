/**
 * An app's tables and each table's schema versions, as the schema store returns them and
 * evolve, lineage and the Confluent API hand them on.
 */
import type { AvroSchema } from "@schematizer/contracts";
import type { Dialect, SchemaDiff, TableSchema } from "@schematizer/schema";
import type { AppSettings } from "./app-settings.ts";

/** An app as the schema store needs it. */
export interface AppRef {
  readonly id: number;
  readonly name: string;
  readonly settings: AppSettings;
}

/** One table of one app. */
export interface TableInfo {
  readonly app: string;
  /** The warehouse table name, `_e_<entype>__<evname>`. */
  readonly name: string;
  /** The event kind that created the table (other spellings may map to the same name). */
  readonly entype: string;
  readonly evname: string;
  readonly dialect: Dialect;
  /** Its subject in the Confluent API. */
  readonly subject: string;
  readonly createdAt: Date;
}

/** A table row with its database id, for the registry's own use. */
export interface TableRef extends TableInfo {
  readonly id: number;
  readonly appId: number;
}

/** One immutable version of a table's schema. */
export interface SchemaVersion {
  /** Registry-wide id; the Confluent schema id that frames rows encoded with this version. */
  readonly id: number;
  readonly app: string;
  readonly table: string;
  readonly subject: string;
  /** 1, 2, … with no gaps. */
  readonly version: number;
  /** The id of version − 1; null for version 1. */
  readonly parentId: number | null;
  /** The columns with their source paths, as libs/schema merges and coerces against. */
  readonly schema: TableSchema;
  /** The Avro record schema of rows of this version. */
  readonly avro: AvroSchema;
  /** What changed from the parent (for version 1, from the empty schema). */
  readonly diff: SchemaDiff;
  /** libs/schema's fingerprint of the schema. */
  readonly fingerprint: string;
  readonly createdAt: Date;
  /** The writer that made it, e.g. `sqlizer-7f9c:4121`. */
  readonly createdBy: string;
}
