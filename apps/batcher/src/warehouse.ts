/**
 * The warehouse as the loader sees it: a Postgres and a Redshift implementation. Each load is
 * exactly once by the warehouse's own ledger, `<schema>._sz_loads`, written in the same
 * transaction as the rows: a batch key found there is never loaded again, whatever the control
 * database says.
 */
import type { ObjectStore } from "@schematizer/s3";
import type { Dialect, TableSchema } from "@schematizer/schema";
import type pg from "pg";
import type { BatcherCode } from "./batcher-codes.ts";
import { classifyLoadError } from "./load-error-classes.ts";
import { answers } from "./probe.ts";

/** A schema version with its registry id. */
export interface SchemaRef {
  readonly id: number;
  readonly schema: TableSchema;
}

/** One file of a load. */
export interface LoadFile {
  /** The batch key recorded in `_sz_loads` (the data object's key). */
  readonly key: string;
  readonly manifestKey: string;
  readonly rows: number;
  readonly gzipBytes: number;
}

/** A row of a file the warehouse refused; the rest of its file loads without it. */
export interface RefusedRow {
  /** The file's batch key. */
  readonly key: string;
  /** Its record number in the file (1-based). */
  readonly line: number;
  readonly code: BatcherCode;
  readonly reason: string;
  /** Its CSV, without the final newline. */
  readonly csv: Buffer;
}

export interface LoadRequest {
  readonly app: string;
  /** The table's version after the load: the newer of the table's and the files'. */
  readonly target: SchemaRef;
  /** The files' own version; their CSV holds its columns, in its order. */
  readonly files: SchemaRef;
  /** The version the table has now, if it exists. */
  readonly current: SchemaRef | undefined;
  readonly batches: readonly LoadFile[];
  /**
   * Keeps the rows the warehouse refused, before the load commits (so none is lost, whatever
   * crashes when); it may be called again with the same rows after a crash.
   */
  readonly setAside: (rows: readonly RefusedRow[]) => Promise<void>;
  /**
   * For a table with a dimension (dimension-tables.ts): the table's version its dimension table
   * was last brought to, undefined while it has none. The dimension table is created, filled and
   * kept in the load's transaction.
   */
  readonly dimensionCurrent?: SchemaRef;
  /** Called just before the load's transaction commits (the tests' `before-warehouse-commit` crash point). */
  readonly beforeCommit?: () => void;
}

export interface LoadResult {
  /** Rows inserted per batch key (0 when all its ids were in the table already). */
  readonly inserted: ReadonlyMap<string, number>;
  /** Keys `_sz_loads` already held: loaded by an earlier attempt whose ledger update was lost. */
  readonly alreadyLoaded: readonly string[];
  /** Rows refused and set aside, per batch key (keys with none are absent). */
  readonly refused: ReadonlyMap<string, readonly RefusedRow[]>;
}

export interface Warehouse {
  readonly dialect: Dialect;
  /** The warehouse schema of an app. */
  schemaOf(app: string): string;
  /** The version a table was last brought to, with its registry id; undefined when it does not exist. */
  appliedVersion(app: string, table: string): Promise<{ version: number; schemaId: number } | undefined>;
  /** Brings the table to `target` if needed and loads the files, exactly once. */
  load(request: LoadRequest): Promise<LoadResult>;
  /** Whether the warehouse and the bucket answer now (see probeWarehouse). */
  probe(): Promise<boolean>;
  close(): Promise<void>;
}

/**
 * Refused rows grouped by their file's batch key, as LoadResult holds them.
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
 * Whether a warehouse and the bucket its loads read answer now: `select 1`, and a HEAD in the
 * bucket (a missing key is an answer). Failures while they do not answer are an outage, counted
 * against no batch. Neither may take longer than `timeoutMs`.
 *
 * @example
 * ```ts
 * if (!(await probeWarehouse(pool, store))) log.warn("warehouse or bucket down: waiting");
 * ```
 */
export function probeWarehouse(pool: pg.Pool, store: ObjectStore, timeoutMs = 5_000): Promise<boolean> {
  return answers([pool.query("SELECT 1"), store.head("_sz_probe")], timeoutMs);
}

/**
 * Runs one load on a connection of its own. On failure it rolls back whatever transaction is
 * open, throws the failure classified (see classifyLoadError), and drops the connection
 * rather than return it to the pool: one that failed mid-COPY is not reused.
 *
 * @example
 * ```ts
 * return withLoadConnection(pool, async (client) => { await client.query("BEGIN"); ...; await client.query("COMMIT"); return result; });
 * ```
 */
export async function withLoadConnection<T>(pool: pg.Pool, work: (client: pg.PoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  let broken: Error | undefined;
  try {
    return await work(client);
  } catch (error) {
    broken = error instanceof Error ? error : new Error(String(error));
    await client.query("ROLLBACK").catch(() => undefined);
    throw classifyLoadError(error);
  } finally {
    client.release(broken);
  }
}

/**
 * `run` once per key in this process, shared by every caller that comes while it runs; a run that
 * failed is forgotten, so the next caller tries again. For the bookkeeping of an app, which the
 * loads of several of its tables ask for at the same moment.
 *
 * @example
 * ```ts
 * const prepare = oncePerKey((app: string) => createBookkeeping(app));
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
