/**
 * The warehouse as the loader sees it: a Postgres and a Redshift implementation. Each load is
 * exactly once by the warehouse's own ledger, `<schema>._sz_loads`, written in the same
 * transaction as the rows: a batch key found there is never loaded again, whatever the control
 * database says.
 */
import { CodedError } from "@schematizer/errors";
import type { Dialect, TableSchema } from "@schematizer/schema";
import type pg from "pg";

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

export interface LoadRequest {
  readonly app: string;
  /** The table's version after the load: the newer of the table's and the files'. */
  readonly target: SchemaRef;
  /** The files' own version; their CSV holds its columns, in its order. */
  readonly files: SchemaRef;
  /** The version the table has now, if it exists. */
  readonly current: SchemaRef | undefined;
  readonly batches: readonly LoadFile[];
}

export interface LoadResult {
  /** Rows inserted per batch key (0 when all its ids were in the table already). */
  readonly inserted: ReadonlyMap<string, number>;
  /** Keys `_sz_loads` already held: loaded by an earlier attempt whose ledger update was lost. */
  readonly alreadyLoaded: readonly string[];
}

export interface Warehouse {
  readonly dialect: Dialect;
  /** The warehouse schema of an app. */
  schemaOf(app: string): string;
  /** The version a table was last brought to, with its registry id; undefined when it does not exist. */
  appliedVersion(app: string, table: string): Promise<{ version: number; schemaId: number } | undefined>;
  /** Brings the table to `target` if needed and loads the files, exactly once. */
  load(request: LoadRequest): Promise<LoadResult>;
  close(): Promise<void>;
}

/** SQLSTATE classes after which the same statement can succeed later. */
const TRANSIENT_CLASSES = new Set(["08", "40", "53", "55", "57", "58"]);
/** SQLSTATE classes of errors in the data or the statement: trying again cannot help. */
const DATA_CLASSES = new Set(["22", "23", "42", "XX"]);

/**
 * Turns a warehouse failure into a coded error that says whether a retry can help: connection
 * loss, serialization failures, lock timeouts and shutdowns are retriable; data exceptions,
 * constraint violations, bad statements and Redshift load errors (XX000) are not.
 *
 * @example
 * ```ts
 * classifyLoadError({ code: "22P02", message: "invalid input syntax for type bigint" });
 * // CodedError BATCHER_LOAD_DATA_ERROR, retriable: false
 * ```
 */
export function classifyLoadError(error: unknown): CodedError {
  if (error instanceof CodedError) return error;
  const code = (error as { code?: unknown })?.code;
  const message = error instanceof Error ? error.message : String(error);
  if (typeof code === "string" && /^[0-9A-Z]{5}$/.test(code)) {
    const cls = code.slice(0, 2);
    if (TRANSIENT_CLASSES.has(cls)) return new CodedError("BATCHER_WAREHOUSE_UNAVAILABLE", message, { retriable: true, cause: error, context: { sqlstate: code } });
    if (DATA_CLASSES.has(cls)) return new CodedError("BATCHER_LOAD_DATA_ERROR", message, { retriable: false, cause: error, context: { sqlstate: code } });
  }
  // Sockets, DNS, S3 hiccups: assume they pass.
  return new CodedError("BATCHER_LOAD_FAILED", message, { retriable: true, cause: error });
}

/**
 * Runs one load on a connection of its own. On failure it rolls back whatever transaction is
 * open, throws the failure classified (see {@link classifyLoadError}), and drops the connection
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
