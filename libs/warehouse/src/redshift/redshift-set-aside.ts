/**
 * Redshift's side of setting rows aside. Its COPY skips up to MAXERROR bad rows and lists each in
 * SYS_LOAD_ERROR_DETAIL (file, line, column, code, message): `skippedRows` reads them back, with
 * the files they name, and `refusedRows` (pure) turns them into the rows the loader keeps.
 */
import { promisify } from "node:util";
import { gunzip as gunzipCallback } from "node:zlib";
import type { ObjectStore } from "@schematizer/s3";
import type pg from "pg";
import { loadError } from "../load-codes.ts";
import { redshiftRowCode } from "../load-errors.ts";
import { csvRecords, recordAtLine, recordBytes, type CsvRecords } from "../set-aside/csv-records.ts";
import type { RefusedRow } from "../warehouse.ts";
import { loadErrorsSql } from "./redshift-copy.ts";

const gunzip = promisify(gunzipCallback);

/** One row of SYS_LOAD_ERROR_DETAIL, as loadErrorsSql selects it. */
export interface LoadErrorRow {
  /** `s3://bucket/key` of the file. */
  readonly file_name: string;
  readonly line_number: number | string;
  readonly column_name: string | null;
  readonly error_code: number | string;
  readonly error_message: string;
}

/** A batch file's CSV, by its key. */
export interface FileText {
  readonly key: string;
  readonly text: Buffer;
}

/**
 * The refused rows the load errors name, once each (a row with several bad fields is listed once
 * per field), in file and line order. A line that is in no file of the load is reported as
 * missing, so the load can be tried again rather than lose a row.
 *
 * @example
 * ```ts
 * refusedRows([{ file_name: "s3://b/loads/a.csv.gz", line_number: 2, column_name: "level", error_code: 1207, error_message: "Invalid digit" }], files, "b");
 * // { rows: [{ key: "loads/a.csv.gz", line: 2, code: "BATCHER_INVALID_VALUE", reason: "level: Invalid digit (Redshift load error 1207)", csv }], unknown: [] }
 * ```
 */
export function refusedRows(errors: readonly LoadErrorRow[], files: readonly FileText[], bucket: string): { rows: RefusedRow[]; unknown: LoadErrorRow[] } {
  const byKey = new Map<string, { text: Buffer; records: CsvRecords }>();
  for (const f of files) byKey.set(f.key, { text: f.text, records: csvRecords(f.text) });
  const rows = new Map<string, RefusedRow>();
  const unknown: LoadErrorRow[] = [];
  for (const e of errors) {
    const key = keyOf(e.file_name.trim(), bucket);
    const file = key === undefined ? undefined : byKey.get(key);
    const index = file === undefined ? undefined : recordAtLine(file.records, 0, file.records.length, Number(e.line_number));
    if (file === undefined || key === undefined || index === undefined) {
      unknown.push(e);
      continue;
    }
    const id = `${key}\u0000${index}`;
    if (rows.has(id)) continue;
    const csv = recordBytes(file.text, file.records, index, index + 1);
    const column = e.column_name?.trim();
    rows.set(id, {
      key,
      line: index + 1,
      code: redshiftRowCode(Number(e.error_code)),
      reason: `${column ? `${column}: ` : ""}${e.error_message.trim()} (Redshift load error ${Number(e.error_code)})`,
      csv: Buffer.from(csv.at(-1) === 0x0a ? csv.subarray(0, -1) : csv),
    });
  }
  const sorted = [...rows.values()].sort((a, b) => (a.key === b.key ? a.line - b.line : a.key < b.key ? -1 : 1));
  return { rows: sorted, unknown };
}

/** The key of `s3://<bucket>/<key>`, or undefined for another bucket. */
function keyOf(url: string, bucket: string): string | undefined {
  const prefix = `s3://${bucket}/`;
  return url.startsWith(prefix) ? url.slice(prefix.length) : undefined;
}

/**
 * The `missing` rows the session's last COPY skipped, read back from the files of `keys` that the
 * load errors name. Throws, so the load is rolled back and tried again, when the errors do not
 * name them all yet (SYS views can lag the COPY): a row is never lost.
 *
 * @example
 * ```ts
 * const refused = counted < expected ? await skippedRows(client, store, expected - counted, keys) : [];
 * ```
 */
export async function skippedRows(client: pg.ClientBase, store: ObjectStore, missing: number, keys: readonly string[]): Promise<RefusedRow[]> {
  const errors = (await client.query<LoadErrorRow>(loadErrorsSql(missing * 4 + 10))).rows;
  const named = new Set(errors.map((e) => e.file_name.trim()));
  const files: FileText[] = [];
  for (const key of keys) {
    if (!named.has(`s3://${store.bucket}/${key}`)) continue;
    const body = await store.get(key);
    if (body === undefined) throw loadError("BATCHER_FILE_MISSING", `batch file ${key} is not in the bucket`, { context: { key } });
    files.push({ key, text: await gunzip(body) });
  }
  const { rows, unknown } = refusedRows(errors, files, store.bucket);
  if (rows.length < missing || unknown.length > 0) {
    throw loadError("BATCHER_LOAD_ERRORS_UNREPORTED", `COPY skipped ${missing} rows; sys_load_error_detail names ${rows.length} of them`, {
      context: { missing, named: rows.length, unknown: unknown.length },
    });
  }
  if (rows.length > missing) {
    throw loadError("BATCHER_ROW_COUNT_MISMATCH", `COPY skipped ${missing} rows; sys_load_error_detail names ${rows.length}`, { context: { missing } });
  }
  return rows;
}
