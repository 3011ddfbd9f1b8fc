/**
 * Subjects as the Confluent Schema Registry API sees them.
 *
 * Two kinds of subject share one id space:
 * - A table's subject (see `subject-naming.ts`) lists the table's versions: version N of the
 *   subject is version N of the table, and its id is that version's id. Only `evolve` adds
 *   versions to it. Registering a schema there succeeds, returning the existing id, when the
 *   schema equals one of the table's versions (so producers and tools that "register before
 *   use" work), and is refused with 409 otherwise: a table's history follows its events, and a
 *   schema no event produced would describe no row. Names of that shape are reserved, so nothing
 *   can be registered under a table's subject before the table exists.
 * - Any other subject is a plain Confluent subject: registering appends a version when the
 *   schema is new to the subject and passes the subject's compatibility level (else 409), and the
 *   same schema text gets the same id in every plain subject.
 * A subject name Postgres cannot store (a NUL, a lone surrogate) names no subject: reads answer
 * SUBJECT_NOT_FOUND and writes BAD_REQUEST, never a database error.
 */
import { isStorableText } from "@schematizer/schema";
import { sql, type Kysely } from "kysely";
import {
  asCompatibilityLevel,
  DEFAULT_COMPATIBILITY,
  isCompatible,
  type CompatibilityLevel,
} from "./avro-compatibility.ts";
import { confluentError } from "./confluent-errors.ts";
import type { RegistryDatabase } from "./database.ts";
import type { ImmutableCache } from "./schema-cache.ts";
import type { SchemaStore } from "./schema-store.ts";
import { checkWritable, parseSchema, schemaNotFound, subjectNotFound, versionNotFound } from "./subject-errors.ts";
import { isTableSubjectName } from "./subject-naming.ts";
import { levelOf, plainVersions } from "./subject-queries.ts";
import type { SchemaVersion, TableRef } from "./table-versions.ts";

/** One version of one subject, as `GET /subjects/{s}/versions/{v}` answers it. */
export interface SubjectVersion {
  readonly subject: string;
  readonly version: number;
  readonly id: number;
  readonly schema: string;
}

/** A version selector: a number from 1, or the latest. */
export type VersionSelector = number | "latest";

export interface SubjectStore {
  /**
   * Every subject with at least one version, by name; only those starting with `prefix`.
   *
   * @example
   * ```ts
   * await subjects.listSubjects("sql.acme-"); // ["sql.acme-schematizer._e_user__login", …]
   * ```
   */
  listSubjects(prefix?: string): Promise<string[]>;
  /**
   * A subject's version numbers; SUBJECT_NOT_FOUND when it has none.
   *
   * @example
   * ```ts
   * await subjects.versions("sql.acme-schematizer._e_user__login"); // [1, 2, 3]
   * ```
   */
  versions(subject: string): Promise<number[]>;
  /**
   * One version of a subject; SUBJECT_NOT_FOUND or VERSION_NOT_FOUND.
   *
   * @example
   * ```ts
   * (await subjects.version("payments-value", "latest")).id; // 12
   * ```
   */
  version(subject: string, version: VersionSelector): Promise<SubjectVersion>;
  /**
   * The schema text of an id, table version or plain; cached for good (ids are immutable).
   *
   * @example
   * ```ts
   * JSON.parse((await subjects.schemaById(12)) ?? "null");
   * ```
   */
  schemaById(id: number): Promise<string | undefined>;
  /**
   * Where an id is used: subject and version pairs.
   *
   * @example
   * ```ts
   * await subjects.subjectsOfSchema(12); // [{ subject: "payments-value", version: 1 }]
   * ```
   */
  subjectsOfSchema(id: number): Promise<{ subject: string; version: number }[]>;
  /**
   * The version of a subject whose schema equals `schema` (canonically); INVALID_SCHEMA,
   * SUBJECT_NOT_FOUND or SCHEMA_NOT_FOUND.
   *
   * @example
   * ```ts
   * (await subjects.lookup("payments-value", text)).version; // 1
   * ```
   */
  lookup(subject: string, schema: string): Promise<SubjectVersion>;
  /**
   * Registers a schema under a subject (see the module comment for what a table's subject
   * accepts); INVALID_SCHEMA or INCOMPATIBLE_SCHEMA.
   *
   * @example
   * ```ts
   * await subjects.register("payments-value", '{"type":"record","name":"Payment","fields":[]}'); // { id: 13 }
   * ```
   */
  register(subject: string, schema: string): Promise<{ id: number }>;
  /**
   * Whether `schema` may follow one version of the subject under its compatibility level.
   *
   * @example
   * ```ts
   * await subjects.testCompatibility("payments-value", "latest", text); // true
   * ```
   */
  testCompatibility(subject: string, version: VersionSelector, schema: string): Promise<boolean>;
  /**
   * The subject's own level (undefined when it has none), or the registry's with no subject.
   *
   * @example
   * ```ts
   * (await subjects.compatibility("payments-value")) ?? (await subjects.compatibility()) ?? "BACKWARD";
   * ```
   */
  compatibility(subject?: string): Promise<CompatibilityLevel | undefined>;
  /**
   * Sets the subject's level, or the registry's with no subject. A table's subject stores and
   * answers its level, but its versions follow the type lattice, not the level.
   *
   * @example
   * ```ts
   * await subjects.setCompatibility("FULL", "payments-value");
   * ```
   */
  setCompatibility(level: CompatibilityLevel, subject?: string): Promise<CompatibilityLevel>;
  /**
   * Removes the subject's own level and returns it (undefined when it had none).
   *
   * @example
   * ```ts
   * await subjects.deleteCompatibility("payments-value"); // "FULL"
   * ```
   */
  deleteCompatibility(subject: string): Promise<CompatibilityLevel | undefined>;
}

export interface SubjectStoreDeps {
  readonly db: Kysely<RegistryDatabase>;
  readonly store: SchemaStore;
  /** Shared with evolve, so ids it wrote are answered without a query. */
  readonly byId: ImmutableCache<number, SchemaVersion>;
  readonly topicPrefix?: string;
  /** Schema text by id for plain subjects; ids are immutable, so never invalidated. */
  readonly plainById?: ImmutableCache<number, string>;
}

/** The key of the registry-wide compatibility level in the compatibility table. */
const GLOBAL = "";

/**
 * The Confluent view of the registry.
 *
 * @example
 * ```ts
 * const subjects = createSubjectStore({ db, store, byId });
 * await subjects.version("sql.acme-schematizer._e_user__login", "latest");
 * ```
 */
export function createSubjectStore(deps: SubjectStoreDeps): SubjectStore {
  const { db, store } = deps;
  const topicPrefix = deps.topicPrefix ?? "";
  const plainById = deps.plainById;

  async function tableOf(subject: string): Promise<TableRef | undefined> {
    if (!isTableSubjectName(subject, topicPrefix)) return undefined;
    return store.findTableBySubject(subject);
  }

  async function listSubjects(prefix = ""): Promise<string[]> {
    if (!isStorableText(prefix)) return [];
    const pattern = `${prefix.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
    const rows = await db
      .selectFrom("tables")
      .select("subject")
      .where("subject", "like", pattern)
      .where((eb) => eb.exists(eb.selectFrom("schema_versions").select("id").whereRef("table_id", "=", "tables.id")))
      .union(db.selectFrom("subject_versions").select("subject").where("subject", "like", pattern))
      .orderBy("subject")
      .execute();
    return rows.map((r) => r.subject);
  }

  async function versions(subject: string): Promise<number[]> {
    if (!isStorableText(subject)) throw subjectNotFound(subject);
    const table = await tableOf(subject);
    const rows =
      table !== undefined
        ? await db.selectFrom("schema_versions").select("version").where("table_id", "=", table.id).orderBy("version").execute()
        : await db.selectFrom("subject_versions").select("version").where("subject", "=", subject).orderBy("version").execute();
    if (rows.length === 0) throw subjectNotFound(subject);
    return rows.map((r) => r.version);
  }

  async function version(subject: string, selector: VersionSelector): Promise<SubjectVersion> {
    if (!isStorableText(subject)) throw subjectNotFound(subject);
    const table = await tableOf(subject);
    if (table !== undefined) {
      const found = selector === "latest" ? await store.latestVersion(table) : await store.version(table, selector);
      if (found !== undefined) return fromTableVersion(remember(found));
      if (selector === "latest" || (await store.latestVersion(table)) === undefined) throw subjectNotFound(subject);
      throw versionNotFound(subject, selector);
    }
    let query = db
      .selectFrom("subject_versions")
      .innerJoin("plain_schemas", "plain_schemas.id", "subject_versions.schema_id")
      .select(["subject_versions.version", "subject_versions.schema_id", "plain_schemas.avro"])
      .where("subject_versions.subject", "=", subject);
    query = selector === "latest" ? query.orderBy("subject_versions.version", "desc").limit(1) : query.where("subject_versions.version", "=", selector);
    const row = await query.executeTakeFirst();
    if (row !== undefined) return { subject, version: row.version, id: row.schema_id, schema: row.avro };
    if (selector === "latest") throw subjectNotFound(subject);
    const any = await db.selectFrom("subject_versions").select("version").where("subject", "=", subject).executeTakeFirst();
    throw any === undefined ? subjectNotFound(subject) : versionNotFound(subject, selector);
  }

  async function schemaById(id: number): Promise<string | undefined> {
    const cached = deps.byId.get(id);
    if (cached !== undefined) return JSON.stringify(cached.avro);
    const plain = plainById?.get(id);
    if (plain !== undefined) return plain;
    const version = await store.versionById(id);
    if (version !== undefined) return JSON.stringify(remember(version).avro);
    const row = await db.selectFrom("plain_schemas").select("avro").where("id", "=", id).executeTakeFirst();
    if (row === undefined) return undefined;
    plainById?.set(id, row.avro);
    return row.avro;
  }

  async function subjectsOfSchema(id: number): Promise<{ subject: string; version: number }[]> {
    const version = deps.byId.get(id) ?? (await store.versionById(id));
    if (version !== undefined) return [{ subject: version.subject, version: version.version }];
    return db
      .selectFrom("subject_versions")
      .select(["subject", "version"])
      .where("schema_id", "=", id)
      .orderBy("subject")
      .execute();
  }

  async function lookup(subject: string, text: string): Promise<SubjectVersion> {
    const parsed = parseSchema(text);
    if (!isStorableText(subject)) throw subjectNotFound(subject);
    const table = await tableOf(subject);
    if (table !== undefined) {
      const matches = await store.versionsByAvro(table, parsed.fingerprint);
      const first = matches[0];
      if (first !== undefined) return fromTableVersion(remember(first));
      if ((await store.latestVersion(table)) === undefined) throw subjectNotFound(subject);
      throw schemaNotFound(subject);
    }
    const rows = await plainVersions(db, subject);
    if (rows.length === 0) throw subjectNotFound(subject);
    const match = rows.find((r) => r.avro_fingerprint === parsed.fingerprint);
    if (match === undefined) throw schemaNotFound(subject);
    return { subject, version: match.version, id: match.schema_id, schema: match.avro };
  }

  async function register(subject: string, text: string): Promise<{ id: number }> {
    const parsed = parseSchema(text);
    checkWritable(subject);
    if (isTableSubjectName(subject, topicPrefix)) {
      const table = await store.findTableBySubject(subject);
      const match = table === undefined ? undefined : (await store.versionsByAvro(table, parsed.fingerprint))[0];
      if (match !== undefined) return { id: remember(match).id };
      throw confluentError(
        "INCOMPATIBLE_SCHEMA",
        `Schema being registered is incompatible with an earlier schema for subject "${subject}": ` +
          `the subject belongs to a table, whose versions the registry makes from observed events; ` +
          `only a schema equal to one of its versions can be registered`,
        { subject },
      );
    }
    return db.transaction().execute(async (tx) => {
      // Plain registrations are rare and must see each other's versions: one at a time per subject.
      await sql`select pg_advisory_xact_lock(hashtext(${`schema_registry_subject:${subject}`}))`.execute(tx);
      const rows = await plainVersions(tx, subject);
      const same = rows.find((r) => r.avro_fingerprint === parsed.fingerprint);
      if (same !== undefined) return { id: same.schema_id };
      const level = (await levelOf(tx, subject)) ?? (await levelOf(tx, GLOBAL)) ?? DEFAULT_COMPATIBILITY;
      const existing = rows.map((r) => parseSchema(r.avro).type);
      if (!isCompatible(level, parsed.type, existing)) {
        throw confluentError(
          "INCOMPATIBLE_SCHEMA",
          `Schema being registered is incompatible with an earlier schema for subject "${subject}" (compatibility ${level})`,
          { subject, level },
        );
      }
      const stored = JSON.stringify(parsed.json);
      const { id } = await tx
        .insertInto("plain_schemas")
        .values({ avro: stored, avro_fingerprint: parsed.fingerprint })
        // A no-op update, so the id of an already-stored schema comes back as well.
        .onConflict((oc) => oc.column("avro_fingerprint").doUpdateSet({ avro_fingerprint: parsed.fingerprint }))
        .returning("id")
        .executeTakeFirstOrThrow();
      const next = (rows.at(-1)?.version ?? 0) + 1;
      await tx.insertInto("subject_versions").values({ subject, version: next, schema_id: id }).execute();
      return { id };
    });
  }

  async function testCompatibility(subject: string, selector: VersionSelector, text: string): Promise<boolean> {
    const parsed = parseSchema(text);
    const against = await version(subject, selector);
    const level = (await compatibility(subject)) ?? (await compatibility()) ?? DEFAULT_COMPATIBILITY;
    // Against one chosen version, the transitive levels mean the same as their plain forms.
    return isCompatible(level === "NONE" ? "NONE" : (level.replace("_TRANSITIVE", "") as CompatibilityLevel), parsed.type, [
      parseSchema(against.schema).type,
    ]);
  }

  async function compatibility(subject: string = GLOBAL): Promise<CompatibilityLevel | undefined> {
    if (!isStorableText(subject)) return undefined;
    return levelOf(db, subject);
  }

  async function setCompatibility(level: CompatibilityLevel, subject: string = GLOBAL): Promise<CompatibilityLevel> {
    checkWritable(subject);
    await db
      .insertInto("compatibility")
      .values({ subject, level })
      .onConflict((oc) => oc.column("subject").doUpdateSet({ level, updated_at: new Date() }))
      .execute();
    return level;
  }

  async function deleteCompatibility(subject: string): Promise<CompatibilityLevel | undefined> {
    if (!isStorableText(subject)) return undefined;
    const row = await db.deleteFrom("compatibility").where("subject", "=", subject).returning("level").executeTakeFirst();
    return row === undefined ? undefined : asCompatibilityLevel(row.level);
  }

  function remember(version: SchemaVersion): SchemaVersion {
    return deps.byId.get(version.id) ?? deps.byId.set(version.id, version);
  }

  return {
    listSubjects,
    versions,
    version,
    schemaById,
    subjectsOfSchema,
    lookup,
    register,
    testCompatibility,
    compatibility,
    setCompatibility,
    deleteCompatibility,
  };
}

function fromTableVersion(v: SchemaVersion): SubjectVersion {
  return { subject: v.subject, version: v.version, id: v.id, schema: JSON.stringify(v.avro) };
}
