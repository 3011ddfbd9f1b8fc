/**
 * The registry: apps, table schema histories and the Confluent view, over one Postgres schema.
 */
import { hostname } from "node:os";
import { createKysely } from "@schematizer/postgres";
import type { ObservedRow } from "@schematizer/schema";
import type { Kysely } from "kysely";
import type pg from "pg";
import { createAppStore, type AppStore } from "./app-store.ts";
import { resolveAppSettings, type AppSettings } from "./app-settings.ts";
import { DEFAULT_REGISTRY_SCHEMA, type RegistryDatabase } from "./database.ts";
import { createEvolver, type EvolveResult, type EvolveRetryOptions, type EvolveStats } from "./evolve.ts";
import { buildLineage, type Lineage } from "./lineage.ts";
import { migrateRegistry } from "./migrations.ts";
import { ImmutableCache } from "./schema-cache.ts";
import { createSchemaStore } from "./schema-store.ts";
import { createSubjectStore, type SubjectStore } from "./subject-store.ts";
import type { SchemaVersion, TableInfo } from "./table-versions.ts";

export interface RegistryOptions {
  /** The registry's Postgres. The caller owns it and ends it after the registry's last use. */
  readonly pool: pg.Pool;
  /** Postgres schema holding every registry table (default `registry`); created if absent. */
  readonly schema?: string;
  /** Topic prefix of the environment, part of every table's subject (default none). */
  readonly topicPrefix?: string;
  /** Who this process is, recorded on the versions it writes (default `<hostname>:<pid>`). */
  readonly createdBy?: string;
  /** Settings of apps created without them. */
  readonly appDefaults?: Partial<AppSettings>;
  /** How `evolve` retries lost races. */
  readonly retry?: Partial<EvolveRetryOptions>;
  readonly cache?: {
    /** Tables whose latest version is kept in memory (default 50,000). */
    readonly latestVersions?: number;
    /** Schema versions kept by id (default 100,000); immutable, so only evicted for room. */
    readonly schemaIds?: number;
    /** How long an app's settings are trusted before they are read again (default 10 s). */
    readonly appSettingsMs?: number;
  };
  /** Run the migrations first (default true). */
  readonly migrate?: boolean;
}

export interface Registry {
  /** The Postgres schema in use. */
  readonly schema: string;
  readonly apps: AppStore;
  /** The Confluent view, for `confluentApi`. */
  readonly subjects: SubjectStore;
  /**
   * Makes sure a table's schema holds an observed row, creating the table or its next version
   * as needed, and returns the version to encode the row with. Answers from memory, with no
   * query, when the row fits the cached version. Throws REGISTRY_UNKNOWN_APP,
   * REGISTRY_TABLE_LIMIT, or REGISTRY_CONFLICT (retriable) when other writers kept winning.
   *
   * @example
   * ```ts
   * const { version } = await registry.evolve("acme", "user", "pass_mission", observe(event.body));
   * const message = confluentEncode(version.id, version.schema, coerce(event, version.schema, meta).row);
   * ```
   */
  evolve(app: string, entype: string, evname: string, observed: ObservedRow): Promise<EvolveResult>;
  /**
   * An app's name and settings, cached for good (settings never change). Throws
   * REGISTRY_UNKNOWN_APP.
   *
   * @example
   * ```ts
   * (await registry.app("acme")).settings.dialect; // "redshift"
   * ```
   */
  app(name: string): Promise<{ readonly name: string; readonly settings: AppSettings }>;
  /**
   * The latest version this process knows of an event kind's table (reading it if it knows
   * none), or undefined when the table does not exist yet.
   *
   * @example
   * ```ts
   * const version = await registry.current("acme", "user", "pass_mission");
   * ```
   */
  current(app: string, entype: string, evname: string): Promise<SchemaVersion | undefined>;
  /**
   * A table version by its id (the Confluent schema id in a row's framing); cached for good.
   *
   * @example
   * ```ts
   * const version = await registry.schemaById(confluentFrame(message)!.schemaId);
   * ```
   */
  schemaById(id: number): Promise<SchemaVersion | undefined>;
  /**
   * One version of a table by number, or `"latest"` read from the database.
   *
   * @example
   * ```ts
   * await registry.version("acme", "_e_user__pass_mission", 3);
   * ```
   */
  version(app: string, table: string, version: number | "latest"): Promise<SchemaVersion | undefined>;
  /**
   * A table's history with each version's diff, or undefined for an unknown table.
   *
   * @example
   * ```ts
   * (await registry.lineage("acme", "_e_user__pass_mission"))?.versions.map((v) => v.changes);
   * ```
   */
  lineage(app: string, table: string): Promise<Lineage | undefined>;
  /**
   * An app's tables, by name. Throws REGISTRY_UNKNOWN_APP.
   *
   * @example
   * ```ts
   * (await registry.listTables("acme")).map((t) => t.subject);
   * ```
   */
  listTables(app: string): Promise<TableInfo[]>;
  /**
   * Counters of `evolve` since the registry opened.
   *
   * @example
   * ```ts
   * registry.stats().conflictsRetried;
   * ```
   */
  stats(): EvolveStats;
}

/**
 * Opens the registry: runs its migrations (idempotent, safe from many replicas at once) and
 * returns it.
 *
 * @example
 * ```ts
 * const registry = await openRegistry({ pool: createPool({ connectionString: env.DATABASE_URL }) });
 * const { key } = await registry.apps.createApp("acme");
 * ```
 */
export async function openRegistry(options: RegistryOptions): Promise<Registry> {
  const schema = options.schema ?? DEFAULT_REGISTRY_SCHEMA;
  const kysely = createKysely<RegistryDatabase>(options.pool);
  if (options.migrate ?? true) await migrateRegistry(kysely as unknown as Kysely<unknown>, schema);
  const db = kysely.withSchema(schema);
  const topicPrefix = options.topicPrefix ?? "";
  const byId = new ImmutableCache<number, SchemaVersion>(options.cache?.schemaIds ?? 100_000);
  const store = createSchemaStore({ db, topicPrefix });
  const evolver = createEvolver({
    store,
    byId,
    createdBy: options.createdBy ?? `${hostname()}:${process.pid}`,
    retry: options.retry,
    latestCacheSize: options.cache?.latestVersions,
    appSettingsTtlMs: options.cache?.appSettingsMs,
  });
  const apps = createAppStore({ db, defaults: resolveAppSettings(options.appDefaults) });
  const subjects = createSubjectStore({
    db,
    store,
    byId,
    topicPrefix,
    plainById: new ImmutableCache<number, string>(options.cache?.schemaIds ?? 100_000),
  });

  async function schemaById(id: number): Promise<SchemaVersion | undefined> {
    const cached = byId.get(id);
    if (cached !== undefined) return cached;
    const read = await store.versionById(id);
    return read === undefined ? undefined : (byId.get(id) ?? byId.set(id, read));
  }

  async function version(app: string, table: string, n: number | "latest"): Promise<SchemaVersion | undefined> {
    const ref = await evolver.table(await evolver.app(app), table);
    if (ref === undefined) return undefined;
    const read = n === "latest" ? await store.latestVersion(ref) : await store.version(ref, n);
    return read === undefined ? undefined : evolver.remember(read, ref.appId);
  }

  async function lineage(app: string, table: string): Promise<Lineage | undefined> {
    const ref = await evolver.table(await evolver.app(app), table);
    if (ref === undefined) return undefined;
    return buildLineage(ref, await store.versions(ref));
  }

  async function listTables(app: string): Promise<TableInfo[]> {
    const tables = await store.listTables((await evolver.app(app)).id);
    return tables.map(({ app, name, entype, evname, dialect, subject, createdAt }) => ({
      app,
      name,
      entype,
      evname,
      dialect,
      subject,
      createdAt,
    }));
  }

  return {
    schema,
    apps,
    subjects,
    app: async (name) => {
      const { name: found, settings } = await evolver.app(name);
      return { name: found, settings };
    },
    evolve: evolver.evolve,
    current: evolver.current,
    schemaById,
    version,
    lineage,
    listTables,
    stats: evolver.stats,
  };
}
