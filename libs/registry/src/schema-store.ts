/**
 * Tables and their schema versions in Postgres: the reads and writes `evolve`, lineage and the
 * Confluent API are built from. No caching here, and no merging. What they return is described
 * in table-versions.ts; how a row becomes one, in schema-rows.ts.
 */
import { APP_NAME_PATTERN, avroSchema } from "@schematizer/contracts";
import {
  fingerprint,
  isStorableText,
  type Column,
  type Dialect,
  type SchemaDiff,
  type TableSchema,
} from "@schematizer/schema";
import { sql, type Kysely } from "kysely";
import { canonicalAvro, fingerprintOf } from "./avro-canonical.ts";
import { pgErrorOf, UNIQUE_VIOLATION, type RegistryDatabase } from "./database.ts";
import { registryError } from "./registry-errors.ts";
import { TABLE_COLUMNS, toTable, toVersion, VERSION_COLUMNS } from "./schema-rows.ts";
import { tableSubject } from "./subject-naming.ts";
import type { AppRef, SchemaVersion, TableRef } from "./table-versions.ts";

export interface SchemaStoreDeps {
  readonly db: Kysely<RegistryDatabase>;
  /** Topic prefix of the environment, part of every table's subject. */
  readonly topicPrefix?: string;
}

export interface SchemaStore {
  findApp(name: string): Promise<AppRef | undefined>;
  findTable(appId: number, name: string): Promise<TableRef | undefined>;
  findTableBySubject(subject: string): Promise<TableRef | undefined>;
  /** Creates the table if it does not exist; throws REGISTRY_TABLE_LIMIT when the app is full. */
  ensureTable(app: AppRef, name: string, entype: string, evname: string): Promise<TableRef>;
  listTables(appId: number): Promise<TableRef[]>;
  /**
   * The table's latest version. When it is `known` (same id), `known` itself comes back and
   * the version's columns are not sent: the common case of a writer whose cache is current.
   */
  latestVersion(table: TableRef, known?: SchemaVersion): Promise<SchemaVersion | undefined>;
  version(table: TableRef, version: number): Promise<SchemaVersion | undefined>;
  versions(table: TableRef): Promise<SchemaVersion[]>;
  versionById(id: number): Promise<SchemaVersion | undefined>;
  /** Version numbers whose Avro has this canonical fingerprint. */
  versionsByAvro(table: TableRef, avroFingerprint: string): Promise<SchemaVersion[]>;
  /**
   * Inserts `next` as the version after `parent` (none: version 1). Throws REGISTRY_CONFLICT
   * when another writer got there first.
   */
  insertVersion(
    table: TableRef,
    parent: SchemaVersion | undefined,
    next: { schema: TableSchema; diff: SchemaDiff },
    createdBy: string,
  ): Promise<SchemaVersion>;
}

/**
 * The schema store over the registry's database.
 *
 * @example
 * ```ts
 * const store = createSchemaStore({ db: kysely.withSchema("registry") });
 * const table = await store.ensureTable(app, "_e_user__login", "user", "login");
 * ```
 */
export function createSchemaStore(deps: SchemaStoreDeps): SchemaStore {
  const { db } = deps;
  const topicPrefix = deps.topicPrefix ?? "";

  function tables() {
    return db.selectFrom("tables").innerJoin("apps", "apps.id", "tables.app_id").select(TABLE_COLUMNS);
  }

  async function findApp(name: string): Promise<AppRef | undefined> {
    // No app has another name, and a NUL in one would make Postgres refuse the query.
    if (!APP_NAME_PATTERN.test(name)) return undefined;
    const row = await db
      .selectFrom("apps")
      .select(["id", "name", "dialect", "max_columns", "max_tables"])
      .where("name", "=", name)
      .executeTakeFirst();
    if (row === undefined) return undefined;
    return {
      id: row.id,
      name: row.name,
      settings: { dialect: row.dialect as Dialect, maxColumns: row.max_columns, maxTables: row.max_tables },
    };
  }

  async function findTable(appId: number, name: string): Promise<TableRef | undefined> {
    if (!TABLE_NAME.test(name)) return undefined;
    const row = await tables().where("tables.app_id", "=", appId).where("tables.name", "=", name).executeTakeFirst();
    return row === undefined ? undefined : toTable(row);
  }

  async function findTableBySubject(subject: string): Promise<TableRef | undefined> {
    if (!isStorableText(subject)) return undefined;
    const row = await tables().where("tables.subject", "=", subject).executeTakeFirst();
    return row === undefined ? undefined : toTable(row);
  }

  async function ensureTable(app: AppRef, name: string, entype: string, evname: string): Promise<TableRef> {
    const existing = await findTable(app.id, name);
    if (existing !== undefined) return existing;
    // Tables are created once per event kind: a short lock on the app row makes the table cap
    // exact under concurrent creators, and is never held while merging.
    await db.transaction().execute(async (tx) => {
      // The cap as it is now (`apps set` changes it in place), read from the row being locked.
      const { max_tables: maxTables } = await tx.selectFrom("apps").select("max_tables").where("id", "=", app.id).forUpdate().executeTakeFirstOrThrow();
      const present = await tx
        .selectFrom("tables")
        .select("id")
        .where("app_id", "=", app.id)
        .where("name", "=", name)
        .executeTakeFirst();
      if (present !== undefined) return;
      const { count } = await tx
        .selectFrom("tables")
        .select((eb) => eb.fn.countAll<number>().as("count"))
        .where("app_id", "=", app.id)
        .executeTakeFirstOrThrow();
      if (Number(count) >= maxTables) {
        throw registryError(
          "REGISTRY_TABLE_LIMIT",
          `app ${app.name} already has ${count} tables, its limit; events of ${entype}/${evname} have no table`,
          { app: app.name, table: name, limit: maxTables },
        );
      }
      await tx
        .insertInto("tables")
        .values({
          app_id: app.id,
          name,
          entype,
          evname,
          dialect: app.settings.dialect,
          subject: tableSubject(app.name, name, topicPrefix),
        })
        .execute();
    });
    const created = await findTable(app.id, name);
    if (created === undefined) throw new Error(`table ${app.name}.${name} vanished after it was created`);
    return created;
  }

  async function listTables(appId: number): Promise<TableRef[]> {
    const rows = await tables().where("tables.app_id", "=", appId).orderBy("tables.name").execute();
    return rows.map(toTable);
  }

  function versionsOf(table: TableRef) {
    return db.selectFrom("schema_versions").select(VERSION_COLUMNS).where("schema_versions.table_id", "=", table.id);
  }

  async function latestVersion(table: TableRef, known?: SchemaVersion): Promise<SchemaVersion | undefined> {
    if (known === undefined) {
      const row = await versionsOf(table).orderBy("schema_versions.version", "desc").limit(1).executeTakeFirst();
      return row === undefined ? undefined : toVersion(table, row);
    }
    // One round trip either way; the large columns travel only when the version is new.
    const fresh = sql<boolean>`schema_versions.id <> ${known.id}`;
    const row = await db
      .selectFrom("schema_versions")
      .select([
        "schema_versions.id",
        "schema_versions.version",
        "schema_versions.parent_id",
        "schema_versions.fingerprint",
        "schema_versions.created_at",
        "schema_versions.created_by",
        sql<Column[] | null>`case when ${fresh} then schema_versions.columns end`.as("columns"),
        sql<string | null>`case when ${fresh} then schema_versions.avro end`.as("avro"),
        sql<SchemaDiff | null>`case when ${fresh} then schema_versions.diff end`.as("diff"),
      ])
      .where("schema_versions.table_id", "=", table.id)
      .orderBy("schema_versions.version", "desc")
      .limit(1)
      .executeTakeFirst();
    if (row === undefined) return undefined;
    if (row.id === known.id) return known;
    const { columns, avro, diff } = row;
    if (columns === null || avro === null || diff === null) throw new Error(`version ${row.id} came back without its columns`);
    return toVersion(table, { ...row, columns, avro, diff });
  }

  async function version(table: TableRef, n: number): Promise<SchemaVersion | undefined> {
    const row = await versionsOf(table).where("schema_versions.version", "=", n).executeTakeFirst();
    return row === undefined ? undefined : toVersion(table, row);
  }

  async function versions(table: TableRef): Promise<SchemaVersion[]> {
    const rows = await versionsOf(table).orderBy("schema_versions.version").execute();
    return rows.map((row) => toVersion(table, row));
  }

  async function versionsByAvro(table: TableRef, avroFingerprint: string): Promise<SchemaVersion[]> {
    const rows = await versionsOf(table)
      .where("schema_versions.avro_fingerprint", "=", avroFingerprint)
      .orderBy("schema_versions.version")
      .execute();
    return rows.map((row) => toVersion(table, row));
  }

  async function versionById(id: number): Promise<SchemaVersion | undefined> {
    const row = await db
      .selectFrom("schema_versions")
      .innerJoin("tables", "tables.id", "schema_versions.table_id")
      .innerJoin("apps", "apps.id", "tables.app_id")
      .select([
        ...VERSION_COLUMNS,
        "tables.id as table_id",
        "tables.app_id",
        "tables.name",
        "tables.entype",
        "tables.evname",
        "tables.dialect",
        "tables.subject",
        "tables.created_at as table_created_at",
        "apps.name as app",
      ])
      .where("schema_versions.id", "=", id)
      .executeTakeFirst();
    if (row === undefined) return undefined;
    const table = toTable({ ...row, id: row.table_id, created_at: row.table_created_at });
    return toVersion(table, row);
  }

  async function insertVersion(
    table: TableRef,
    parent: SchemaVersion | undefined,
    next: { schema: TableSchema; diff: SchemaDiff },
    createdBy: string,
  ): Promise<SchemaVersion> {
    const avro = avroSchema(next.schema);
    const schemaFingerprint = fingerprint(next.schema);
    const parentVersion = next.schema.version - 1;
    try {
      // Inserts only while the parent is still the latest: a writer that already lost skips the
      // write itself. Two writers past that check at once still meet the unique key, the fence.
      const row = await db
        .insertInto("schema_versions")
        .columns([
          "table_id",
          "version",
          "parent_id",
          "columns",
          "avro",
          "avro_fingerprint",
          "diff",
          "fingerprint",
          "created_by",
        ])
        .expression(
          db
            .selectNoFrom((eb) => [
              eb.val(table.id).as("table_id"),
              eb.val(next.schema.version).as("version"),
              eb.val(parent?.id ?? null).as("parent_id"),
              // JSON.stringify escapes NUL and lone surrogates; json keeps the escapes (see migrations).
              sql<string>`${JSON.stringify(next.schema.columns)}::json`.as("columns"),
              eb.val(JSON.stringify(avro)).as("avro"),
              eb.val(fingerprintOf(canonicalAvro(avro))).as("avro_fingerprint"),
              sql<string>`${JSON.stringify(next.diff)}::json`.as("diff"),
              eb.val(schemaFingerprint).as("fingerprint"),
              eb.val(createdBy).as("created_by"),
            ])
            .where((eb) =>
              eb(
                eb
                  .selectFrom("schema_versions")
                  .select((s) => s.fn.coalesce(s.fn.max("version"), s.lit(0)).as("latest"))
                  .where("table_id", "=", table.id),
                "=",
                parentVersion,
              ),
            ),
        )
        .returning(["id", "created_at"])
        .executeTakeFirst();
      if (row === undefined) throw conflict(table, next.schema.version);
      return {
        id: row.id,
        app: table.app,
        table: table.name,
        subject: table.subject,
        version: next.schema.version,
        parentId: parent?.id ?? null,
        schema: next.schema,
        avro,
        diff: next.diff,
        fingerprint: schemaFingerprint,
        createdAt: row.created_at,
        createdBy,
      };
    } catch (error) {
      if (pgErrorOf(error)?.code === UNIQUE_VIOLATION) throw conflict(table, next.schema.version, error);
      throw error;
    }
  }

  return {
    findApp,
    findTable,
    findTableBySubject,
    ensureTable,
    listTables,
    latestVersion,
    version,
    versions,
    versionById,
    versionsByAvro,
    insertVersion,
  };
}

/** Every table name libs/schema makes has this shape; a name of another shape names no table. */
const TABLE_NAME = /^[a-z_][a-z0-9_]{0,126}$/;

function conflict(table: TableRef, version: number, cause?: unknown) {
  return registryError(
    "REGISTRY_CONFLICT",
    `version ${version} of ${table.app}.${table.name} was written by another writer first`,
    { app: table.app, table: table.name, version },
    cause,
  );
}
