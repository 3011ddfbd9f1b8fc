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
import type { TableSchema } from "@schematizer/schema";
import { transcoderFor } from "./avro-csv.ts";
import { ByteWriter } from "../byte-writer.ts";
import type { RejectedRecord } from "../ledger/range-ledger.ts";

/** When a file is big enough that the range is cut after the current record. */
export interface FileLimits {
  readonly maxRows: number;
  /** Uncompressed CSV bytes. */
  readonly maxBytes: number;
}

/** A record of `sql.<app>` whose schema version is known. */
export interface FramedRecord {
  readonly app: string;
  readonly schemaId: number;
  readonly schema: TableSchema;
  /** The Avro binary of the row (the Confluent frame's payload). */
  readonly payload: Uint8Array;
}


/** The rows of one (table, version) in a range. */
export interface FileBuffer {
  readonly app: string;
  readonly table: string;
  readonly version: number;
  readonly schemaId: number;
  readonly columns: readonly string[];
  /** The CSV lines, as UTF-8. */
  readonly csv: ByteWriter;
  rows: number;
  csvBytes: number;
  /** Oldest `_sz_received_at` in epoch microseconds: freshness is measured from it. */
  oldestReceivedAt: number;
  /** Cells whose text a warehouse cannot hold, moved to `_sz_unmapped`. */
  moved: number;
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
 * range.add("100", record, limits);
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

  /**
   * Appends a record's row to its file, or records it as rejected when its bytes are not a row of
   * its version (or hold text that is not UTF-8).
   */
  add(offset: string, record: FramedRecord, limits: FileLimits, key: Buffer | null): void {
    const { schema } = record;
    const id = `${schema.table}\u0000${schema.version}`;
    let file = this.byFile.get(id);
    if (file === undefined) {
      file = {
        app: record.app,
        table: schema.table,
        version: schema.version,
        schemaId: record.schemaId,
        columns: schema.columns.map((c) => c.name),
        csv: new ByteWriter(),
        rows: 0,
        csvBytes: 0,
        oldestReceivedAt: Number.POSITIVE_INFINITY,
        moved: 0,
      };
      this.byFile.set(id, file);
    }
    const outcome = transcoderFor(schema).transcode(record.payload, file.csv);
    if (!outcome.ok) {
      this.reject({
        offset,
        key: key?.toString("utf8") ?? null,
        value: Buffer.from(record.payload).toString("base64"),
        code: outcome.code,
        reason: outcome.reason,
      });
      return;
    }
    file.rows++;
    file.csvBytes = file.csv.length;
    file.moved += outcome.moved;
    if (outcome.receivedAt < file.oldestReceivedAt) file.oldestReceivedAt = outcome.receivedAt;
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

  /** The files with at least one row. */
  files(): FileBuffer[] {
    return [...this.byFile.values()].filter((f) => f.rows > 0);
  }
}
