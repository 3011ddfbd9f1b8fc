/**
 * One range of a partition being cut into files: the rows of each (table, schema version) as CSV
 * lines, and the records that could not be decoded. Pure: no I/O.
 *
 * Files are per (table, version), not per table at its newest version: each file is read with the
 * exact schema its rows were written with, so no value is converted here, and loading an older
 * version's file into a newer table is plain (versions only append columns or widen types).
 * Rows of one table interleave versions only while writers' caches catch up, so this costs few
 * extra files.
 */
import type { CellValue, TableSchema } from "@schematizer/schema";
import { CsvRowEncoder } from "./csv.ts";

/** When a file is big enough that the range is cut after the current record. */
export interface FileLimits {
  readonly maxRows: number;
  /** Uncompressed CSV, counted in UTF-16 units (a close, cheap bound for mostly ASCII rows). */
  readonly maxBytes: number;
}

/** A decoded record of `sql.<app>`. */
export interface DecodedRecord {
  readonly app: string;
  readonly schemaId: number;
  readonly schema: TableSchema;
  readonly values: readonly CellValue[];
}

/** A record that could not become a row, kept with its bytes and why. */
export interface RejectedRecord {
  readonly offset: string;
  readonly key: string | null;
  /** The record's value, base64. */
  readonly value: string | null;
  readonly code: string;
  readonly reason: string;
}

/** The rows of one (table, version) in a range. */
export interface FileBuffer {
  readonly app: string;
  readonly table: string;
  readonly version: number;
  readonly schemaId: number;
  readonly columns: readonly string[];
  readonly lines: string[];
  rows: number;
  csvBytes: number;
  /** Oldest `_sz_received_at` in epoch microseconds: freshness is measured from it. */
  oldestReceivedAt: number;
  /** Cells whose text a warehouse cannot hold, moved to `_sz_unmapped`. */
  moved: number;
}

const RECEIVED_AT = 3;
const encoders = new WeakMap<TableSchema, CsvRowEncoder>();

function encoderFor(schema: TableSchema): CsvRowEncoder {
  let encoder = encoders.get(schema);
  if (encoder === undefined) {
    encoder = new CsvRowEncoder(schema);
    encoders.set(schema, encoder);
  }
  return encoder;
}

/**
 * Whether a file has reached a limit.
 *
 * @example
 * ```ts
 * fileFull({ rows: 100_000, csvBytes: 1e6 }, { maxRows: 100_000, maxBytes: 64e6 }); // true
 * ```
 */
export function fileFull(file: Pick<FileBuffer, "rows" | "csvBytes">, limits: FileLimits): boolean {
  return file.rows >= limits.maxRows || file.csvBytes >= limits.maxBytes;
}

/**
 * The files of one range, filled record by record in offset order.
 *
 * @example
 * ```ts
 * const range = new RangeBuffer("sql.acme", 0, 100n);
 * range.add("100", decoded);
 * if (range.full(limits)) { … flush range.files(), then start the next range at 101 }
 * ```
 */
export class RangeBuffer {
  private readonly byFile = new Map<string, FileBuffer>();
  readonly rejected: RejectedRecord[] = [];
  /** Offset of the last record added, or undefined when none was. */
  last: string | undefined;
  records = 0;
  private isFull = false;

  constructor(
    readonly topic: string,
    readonly partition: number,
    /** The range's first offset: the ledger's end + 1. */
    readonly first: bigint,
  ) {}

  add(offset: string, record: DecodedRecord, limits: FileLimits): void {
    const { schema } = record;
    const id = `${schema.table}\u0000${schema.version}`;
    let file = this.byFile.get(id);
    const encoder = encoderFor(schema);
    if (file === undefined) {
      file = {
        app: record.app,
        table: schema.table,
        version: schema.version,
        schemaId: record.schemaId,
        columns: encoder.columns,
        lines: [],
        rows: 0,
        csvBytes: 0,
        oldestReceivedAt: Number.POSITIVE_INFINITY,
        moved: 0,
      };
      this.byFile.set(id, file);
    }
    const { line, moved } = encoder.encode(record.values);
    file.lines.push(line);
    file.rows++;
    file.csvBytes += line.length;
    file.moved += moved;
    const received = Number(record.values[RECEIVED_AT] ?? Number.POSITIVE_INFINITY);
    if (received < file.oldestReceivedAt) file.oldestReceivedAt = received;
    this.last = offset;
    this.records++;
    if (fileFull(file, limits)) this.isFull = true;
  }

  reject(record: RejectedRecord): void {
    this.rejected.push(record);
    this.last = record.offset;
    this.records++;
  }

  /** A file reached a limit: cut the range here. */
  full(): boolean {
    return this.isFull;
  }

  files(): FileBuffer[] {
    return [...this.byFile.values()];
  }
}
