/**
 * The exactly-once load, written once for both warehouses. On a connection of its own, in one
 * transaction:
 *
 * 1. check `_sz_loads` for the load's files;
 * 2. load the files it lacks (the dialect's part: DDL, COPY, the insert of new ids, dimensions);
 * 3. hand the rows the warehouse refused to the loader, to be set aside;
 * 4. record the files in `_sz_loads`.
 *
 * A crash before COMMIT leaves nothing behind; after it, the next attempt finds every file in
 * `_sz_loads` and loads none again, whatever the control database believes. A failed load's
 * connection is dropped, not returned to the pool (one that failed mid-COPY is not reused), and its
 * error is classified (load-errors.ts).
 */
import { inTransaction } from "@schematizer/postgres";
import type { ObjectStore } from "@schematizer/s3";
import type { Dialect } from "@schematizer/schema";
import type pg from "pg";
import { bookkeepingStatements, createBookkeeping, loadedKeys, recordLoads, tableVersion, type BookkeepingTypes } from "./bookkeeping.ts";
import { classifyLoadError } from "./load-errors.ts";
import { probeWarehouse } from "./probe.ts";
import type { LoadFile, LoadRequest, LoadResult, RefusedRow, Warehouse } from "./warehouse.ts";

/** One load, as a dialect sees it. */
export interface TableLoad {
  /** The app's warehouse schema. */
  readonly schema: string;
  readonly request: LoadRequest;
}

/** What loading the missing files gave. */
export interface FilesLoaded {
  /** Rows inserted per file key. */
  readonly inserted: ReadonlyMap<string, number>;
  /** Rows the warehouse refused, to be set aside; the rest of their files loaded. */
  readonly refused: readonly RefusedRow[];
}

/** A warehouse's part of the load sequence. */
export interface DialectLoad {
  readonly dialect: Dialect;
  readonly bookkeeping: BookkeepingTypes;
  /** On the load's connection, before its transaction: DDL that cannot run inside one (Redshift). */
  beforeTransaction?(client: pg.PoolClient, load: TableLoad): Promise<void>;
  /** The transaction's first statements, before `_sz_loads` is read (Postgres: the table's lock). */
  begin?(client: pg.PoolClient, load: TableLoad): Promise<void>;
  /** Loads the files `_sz_loads` lacks, inside the transaction. */
  loadFiles(client: pg.PoolClient, load: TableLoad, files: readonly LoadFile[]): Promise<FilesLoaded>;
  /** A failure, after the rollback, with what the warehouse can tell of it (Redshift's load errors). */
  explain?(client: pg.PoolClient, error: unknown): Promise<unknown>;
}

/** Where a warehouse's loads go and read from. */
export interface WarehouseConnection {
  readonly pool: pg.Pool;
  readonly store: ObjectStore;
  /** Prepended to each app's schema name. */
  readonly schemaPrefix?: string;
}

/**
 * A warehouse of a dialect: bookkeeping made once per app, each load run by `loadExactlyOnce`.
 *
 * @example
 * ```ts
 * const warehouse = dialectWarehouse({ pool, store, schemaPrefix: "" }, postgresLoad);
 * ```
 */
export function dialectWarehouse(connection: WarehouseConnection, dialect: DialectLoad): Warehouse {
  const { pool, store } = connection;
  const prefix = connection.schemaPrefix ?? "";
  const schemaOf = (app: string) => `${prefix}${app}`;
  /** Loads of several tables of an app ask at the same moment: one run. */
  const prepare = oncePerKey((app) => createBookkeeping(pool, bookkeepingStatements(dialect.dialect, dialect.bookkeeping, schemaOf(app))));
  return {
    dialect: dialect.dialect,
    schemaOf,
    async appliedVersion(app, table) {
      await prepare(app);
      return tableVersion(pool, schemaOf(app), table);
    },
    async load(request) {
      await prepare(request.app);
      return loadExactlyOnce(pool, dialect, { schema: schemaOf(request.app), request });
    },
    probe: () => probeWarehouse(pool, store),
    close: () => pool.end(),
  };
}

/**
 * Runs one load, exactly once (see the module comment).
 *
 * @example
 * ```ts
 * const result = await loadExactlyOnce(pool, postgresLoad, { schema: "acme", request });
 * ```
 */
export async function loadExactlyOnce(pool: pg.Pool, dialect: DialectLoad, load: TableLoad): Promise<LoadResult> {
  const client = await pool.connect();
  let broken: Error | undefined;
  try {
    await dialect.beforeTransaction?.(client, load);
    return await inTransaction(client, () => loadMissingFiles(client, dialect, load));
  } catch (error) {
    const explained = dialect.explain === undefined ? error : await dialect.explain(client, error);
    broken = explained instanceof Error ? explained : new Error(String(explained));
    throw classifyLoadError(explained);
  } finally {
    client.release(broken);
  }
}

async function loadMissingFiles(client: pg.PoolClient, dialect: DialectLoad, load: TableLoad): Promise<LoadResult> {
  const { schema, request } = load;
  await dialect.begin?.(client, load);
  const alreadyLoaded = await loadedKeys(client, schema, request.files.map((f) => f.key));
  const todo = request.files.filter((f) => !alreadyLoaded.includes(f.key));
  if (todo.length === 0) return { inserted: new Map(), alreadyLoaded, refused: new Map() };
  const { inserted, refused } = await dialect.loadFiles(client, load, todo);
  if (refused.length > 0) await request.setAside(refused);
  await recordLoads(client, schema, request.target.schema.table, request.fileVersion.schema.version, todo, inserted);
  request.beforeCommit?.();
  return { inserted, alreadyLoaded, refused: byKey(refused) };
}

/**
 * Refused rows grouped by their file's key, as LoadResult holds them.
 *
 * @example
 * ```ts
 * byKey([{ key: "a", line: 2, … }, { key: "a", line: 5, … }]).get("a")?.length; // 2
 * ```
 */
export function byKey(rows: readonly RefusedRow[]): Map<string, RefusedRow[]> {
  const grouped = new Map<string, RefusedRow[]>();
  for (const row of rows) {
    const list = grouped.get(row.key);
    if (list === undefined) grouped.set(row.key, [row]);
    else list.push(row);
  }
  return grouped;
}

/**
 * `run` once per key in this process, shared by every caller that comes while it runs; a run that
 * failed is forgotten, so the next caller tries again. For the bookkeeping of an app, which the
 * loads of several of its tables ask for at the same moment.
 *
 * @example
 * ```ts
 * const prepare = oncePerKey((app: string) => createBookkeeping(pool, statementsOf(app)));
 * await Promise.all([prepare("acme"), prepare("acme")]); // one run
 * ```
 */
export function oncePerKey(run: (key: string) => Promise<void>): (key: string) => Promise<void> {
  const runs = new Map<string, Promise<void>>();
  return (key) => {
    let done = runs.get(key);
    if (done === undefined) {
      done = run(key);
      runs.set(key, done);
      done.catch(() => runs.delete(key));
    }
    return done;
  };
}
