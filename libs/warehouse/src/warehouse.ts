/**
 * The warehouse as the loader sees it: one interface, a Postgres and a Redshift implementation
 * (postgres/, redshift/). Each load is exactly once by the warehouse's own ledger,
 * `<schema>._sz_loads`, written in the same transaction as the rows: a file found there is never
 * loaded again, whatever the control database says (load-sequence.ts).
 */
import type { Dialect, TableSchema } from "@schematizer/schema";
import type { LoadCode } from "./load-codes.ts";

/** A schema version with its registry id. */
export interface SchemaRef {
  readonly id: number;
  readonly schema: TableSchema;
}

/** One file of a load. */
export interface LoadFile {
  /** The data object's key, recorded in `_sz_loads.batch_key` once loaded. */
  readonly key: string;
  readonly manifestKey: string;
  readonly rows: number;
  readonly gzipBytes: number;
}

/** A row of a file the warehouse refused; the rest of its file loads without it. */
export interface RefusedRow {
  /** Its file's key. */
  readonly key: string;
  /** Its record number in the file (1-based). */
  readonly line: number;
  readonly code: LoadCode;
  readonly reason: string;
  /** Its CSV, without the final newline. */
  readonly csv: Buffer;
}

export interface LoadRequest {
  readonly app: string;
  /** The table's version after the load: the newer of the table's and the files'. */
  readonly target: SchemaRef;
  /** The version the files were written with; their CSV holds its columns, in its order. */
  readonly fileVersion: SchemaRef;
  /** The version the table has now, if it exists. */
  readonly current: SchemaRef | undefined;
  readonly files: readonly LoadFile[];
  /**
   * Keeps the rows the warehouse refused, before the load commits (so none is lost, whatever
   * crashes when); it may be called again with the same rows after a crash.
   */
  readonly setAside: (rows: readonly RefusedRow[]) => Promise<void>;
  /**
   * For a table with a dimension (dimension/dimension-tables.ts): the table's version its dimension table
   * was last brought to, undefined while it has none. The dimension table is created, filled and
   * kept in the load's transaction.
   */
  readonly dimensionCurrent?: SchemaRef;
  /** Called just before the load's transaction commits (the tests' `before-warehouse-commit` crash point). */
  readonly beforeCommit?: () => void;
}

export interface LoadResult {
  /** Rows inserted per file key (0 when all its ids were in the table already). */
  readonly inserted: ReadonlyMap<string, number>;
  /** Keys `_sz_loads` already held: loaded by an earlier attempt whose ledger update was lost. */
  readonly alreadyLoaded: readonly string[];
  /** Rows refused and set aside, per file key (keys with none are absent). */
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
