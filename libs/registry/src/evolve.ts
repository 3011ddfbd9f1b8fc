/**
 * Schema evolution under optimistic concurrency: many sqlizer replicas merge observed rows into
 * one table's history at once, and all converge.
 *
 * `evolve` merges against the cached latest version; when the row fits, that is the answer and
 * no query runs. Otherwise it reads the latest version from the database, merges with
 * libs/schema, and inserts version N + 1 where the table's unique (table, version) key is the
 * fence: if another writer inserted N + 1 first, the insert fails, and the writer re-reads,
 * re-merges (the winner's version may already hold the row) and tries again after a jittered
 * backoff. No lock is held while merging. Because the merge is order-independent and only
 * grows a schema, no writer's change is lost: it is either in a winner's version or written
 * on a later try.
 */
import { retry } from "@schematizer/errors";
import {
  emptySchema,
  isPlainName,
  mergeSchema,
  nameProblem,
  tableName,
  type Dialect,
  type Limits,
  type ObservedRow,
} from "@schematizer/schema";
import { isConflict, registryError } from "./registry-errors.ts";
import { ImmutableCache, KeyedQueue, LatestVersionCache } from "./schema-cache.ts";
import type { SchemaStore } from "./schema-store.ts";
import type { AppRef, SchemaVersion, TableRef } from "./table-versions.ts";

/** How `evolve` retries a lost race. */
export interface EvolveRetryOptions {
  /** Tries in all, the first included, before REGISTRY_CONFLICT. */
  readonly attempts: number;
  /** Upper bound of the first backoff; it doubles per try up to `maxDelayMs` (full jitter). */
  readonly baseDelayMs: number;
  readonly maxDelayMs: number;
}

export const DEFAULT_EVOLVE_RETRY: EvolveRetryOptions = { attempts: 12, baseDelayMs: 2, maxDelayMs: 250 };

export interface EvolveResult {
  /**
   * A version that holds the observed row: the cached one when the row fits it (possibly behind
   * the latest, which holds the row too), else the latest after merging.
   */
  readonly version: SchemaVersion;
  /** Whether this call wrote that version. */
  readonly created: boolean;
}

/** Counters since the registry opened. */
export interface EvolveStats {
  /** Calls answered from the cache, with no query. */
  readonly cachedEvolves: number;
  /** Calls that read the database. */
  readonly slowEvolves: number;
  readonly versionsCreated: number;
  /** Lost races that were retried. */
  readonly conflictsRetried: number;
  /** Calls that ran out of tries (REGISTRY_CONFLICT). */
  readonly conflictsExhausted: number;
}

export interface Evolver {
  evolve(app: string, entype: string, evname: string, observed: ObservedRow): Promise<EvolveResult>;
  current(app: string, entype: string, evname: string): Promise<SchemaVersion | undefined>;
  app(name: string): Promise<AppRef>;
  table(app: AppRef, name: string): Promise<TableRef | undefined>;
  /** Offers a version read elsewhere to the caches; returns the cached object for its id. */
  remember(version: SchemaVersion, appId: number): SchemaVersion;
  stats(): EvolveStats;
}

export interface EvolverDeps {
  readonly store: SchemaStore;
  /** Recorded on every version this process writes. */
  readonly createdBy: string;
  readonly retry?: Partial<EvolveRetryOptions>;
  /** Most tables whose latest version is kept in memory. */
  readonly latestCacheSize?: number;
  /** Schema id → version, shared with the rest of the registry. */
  readonly byId: ImmutableCache<number, SchemaVersion>;
  /** How long an app's settings are trusted before they are read again (`apps set` changes them in place). */
  readonly appSettingsTtlMs?: number;
}

/** How long an app's settings are kept by default: a changed cap applies within this. */
export const APP_SETTINGS_TTL_MS = 10_000;

/**
 * The evolver: `evolve` and the caches behind it.
 *
 * @example
 * ```ts
 * const evolver = createEvolver({ store, createdBy: "sqlizer-1", byId: new ImmutableCache(100_000) });
 * const { version } = await evolver.evolve("acme", "user", "login", observe(body));
 * confluentEncode(version.id, version.schema, row);
 * ```
 */
export function createEvolver(deps: EvolverDeps): Evolver {
  const { store } = deps;
  const retryOptions = { ...DEFAULT_EVOLVE_RETRY, ...deps.retry };
  // Table rows never change: cached for good. App settings can (`apps set`): read again after a while.
  const settingsTtlMs = deps.appSettingsTtlMs ?? APP_SETTINGS_TTL_MS;
  const apps = new Map<string, { ref: AppRef; limits: Pick<Limits, "maxColumns">; readAt: number }>();
  const tables = new Map<string, TableRef>();
  const latest = new LatestVersionCache<SchemaVersion>(deps.latestCacheSize ?? 50_000);
  const queue = new KeyedQueue();
  const counters = { cachedEvolves: 0, slowEvolves: 0, versionsCreated: 0, conflictsRetried: 0, conflictsExhausted: 0 };

  const isFresh = (entry: { readAt: number }) => performance.now() - entry.readAt < settingsTtlMs;
  /** The app's cached entry while its settings are fresh. */
  function freshApp(name: string) {
    const hit = apps.get(name);
    return hit !== undefined && isFresh(hit) ? hit : undefined;
  }

  async function appEntry(name: string) {
    const known = apps.get(name);
    if (known !== undefined && isFresh(known)) return known;
    let ref: AppRef | undefined;
    try {
      ref = await store.findApp(name);
    } catch (error) {
      // The registry away: the settings read last stay in force (events that fit their tables go
      // on), and are read again one period later.
      if (known === undefined) throw error;
      known.readAt = performance.now();
      return known;
    }
    if (ref === undefined) throw registryError("REGISTRY_UNKNOWN_APP", `no app named ${name}`, { app: name });
    const entry = { ref, limits: { maxColumns: ref.settings.maxColumns }, readAt: performance.now() };
    apps.set(name, entry);
    return entry;
  }

  async function table(app: AppRef, name: string): Promise<TableRef | undefined> {
    const key = keyOf(app.id, name);
    const hit = tables.get(key);
    if (hit !== undefined) return hit;
    const found = await store.findTable(app.id, name);
    if (found !== undefined) tables.set(key, found);
    return found;
  }

  function remember(version: SchemaVersion, appId: number): SchemaVersion {
    // Downstream code caches compiled work per schema object: hand out one object per version.
    const known = deps.byId.get(version.id) ?? deps.byId.set(version.id, version);
    latest.offer(keyOf(appId, known.table), known);
    return known;
  }

  // Table names are pure but not free (normalization with several regular expressions), and
  // the hot path asks for the same few again and again.
  const names = new Map<string, string>();
  function nameOf(entype: string, evname: string, dialect: Dialect): string {
    const key = `${dialect}:${entype.length}:${entype}${evname}`;
    let name = names.get(key);
    if (name === undefined) {
      // Names the envelope refuses would make distinct-looking kinds of one table, or fail in
      // Postgres (a NUL in tables.entype) on every attempt: refused here too, once, with a code.
      checkEventName("entype", entype);
      checkEventName("evname", evname);
      if (names.size >= 100_000) names.clear();
      name = tableName(entype, evname, dialect);
      names.set(key, name);
    }
    return name;
  }

  async function evolve(app: string, entype: string, evname: string, observed: ObservedRow): Promise<EvolveResult> {
    const entry = freshApp(app) ?? (await appEntry(app));
    const name = nameOf(entype, evname, entry.ref.settings.dialect);
    const key = keyOf(entry.ref.id, name);
    const cached = latest.get(key);
    if (cached !== undefined && !mergeSchema(cached.schema, observed, entry.limits).changed) {
      counters.cachedEvolves++;
      return { version: cached, created: false };
    }
    return queue.run(key, () => evolveSlowly(entry.ref, entry.limits, name, entype, evname, observed));
  }

  async function evolveSlowly(
    app: AppRef,
    limits: Pick<Limits, "maxColumns">,
    name: string,
    entype: string,
    evname: string,
    observed: ObservedRow,
  ): Promise<EvolveResult> {
    const key = keyOf(app.id, name);
    // An earlier task of this process may have moved the cache while this one waited its turn.
    const cached = latest.get(key);
    if (cached !== undefined && !mergeSchema(cached.schema, observed, limits).changed) {
      counters.cachedEvolves++;
      return { version: cached, created: false };
    }
    counters.slowEvolves++;
    let ref = await table(app, name);
    if (ref === undefined) {
      ref = await store.ensureTable(app, name, entype, evname);
      tables.set(key, ref);
    }
    const target = ref;
    try {
      return await retry(
        async () => {
          const read = await store.latestVersion(target, latest.get(key));
          const current = read === undefined ? undefined : remember(read, app.id);
          const merged = mergeSchema(current?.schema ?? emptySchema(name, app.settings.dialect), observed, limits);
          if (!merged.changed) {
            if (current !== undefined) return { version: current, created: false };
            // libs/schema promises a first version for any row; guard against that changing.
            throw new Error(`merging into the empty schema of ${app.name}.${name} produced no version`);
          }
          const inserted = await store.insertVersion(target, current, merged, deps.createdBy);
          counters.versionsCreated++;
          return { version: remember(inserted, app.id), created: true };
        },
        {
          attempts: retryOptions.attempts,
          baseDelayMs: retryOptions.baseDelayMs,
          maxDelayMs: retryOptions.maxDelayMs,
          retryIf: isConflict,
          onRetry: () => {
            counters.conflictsRetried++;
          },
        },
      );
    } catch (error) {
      if (!isConflict(error)) throw error;
      counters.conflictsExhausted++;
      throw registryError(
        "REGISTRY_CONFLICT",
        `gave up evolving ${app.name}.${name} after ${retryOptions.attempts} lost races; other writers keep changing it`,
        { app: app.name, table: name, attempts: retryOptions.attempts },
        error,
      );
    }
  }

  async function current(app: string, entype: string, evname: string): Promise<SchemaVersion | undefined> {
    const entry = await appEntry(app);
    const name = nameOf(entype, evname, entry.ref.settings.dialect);
    const cached = latest.get(keyOf(entry.ref.id, name));
    if (cached !== undefined) return cached;
    const ref = await table(entry.ref, name);
    if (ref === undefined) return undefined;
    const read = await store.latestVersion(ref);
    return read === undefined ? undefined : remember(read, entry.ref.id);
  }

  return {
    evolve,
    current,
    app: async (name) => (await appEntry(name)).ref,
    table,
    remember,
    stats: () => ({ ...counters }),
  };
}

function checkEventName(field: "entype" | "evname", name: string): void {
  if (isPlainName(name)) return;
  throw registryError(
    "REGISTRY_INVALID_EVENT_NAME",
    `${field} ${JSON.stringify(name)} ${nameProblem(name) ?? "is not a plain name"}`,
    { field, name },
  );
}

function keyOf(appId: number, table: string): string {
  return `${appId}/${table}`;
}
