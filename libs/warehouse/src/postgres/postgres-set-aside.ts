/**
 * The Postgres warehouse's slow path, taken only when it refused rows of a file: the file is read
 * whole (in memory: at most BATCHER_MAX_BYTES of CSV), cut into records, and loaded in slices,
 * each under a savepoint, as ../set-aside/row-isolation.ts decides; the rows Postgres refuses are returned to be
 * set aside, with the error it gave for each.
 */
import { promisify } from "node:util";
import { gunzip as gunzipCallback } from "node:zlib";
import type pg from "pg";
import { loadError } from "../load-codes.ts";
import { classifyLoadError, copyErrorLine, fateOf } from "../load-errors.ts";
import { csvRecords, recordBytes } from "../set-aside/csv-records.ts";
import { isolateRefusedRows, type Attempt } from "../set-aside/row-isolation.ts";
import type { RefusedRow } from "../warehouse.ts";

const gunzip = promisify(gunzipCallback);

/** What loading the accepted rows of a file gave. */
export interface AcceptedRows {
  /** Rows copied (all but the refused). */
  readonly copied: number;
  readonly inserted: number;
  readonly refused: readonly RefusedRow[];
}

/**
 * Whether an error is one of the rows' (they are set aside; the rest of the file loads).
 *
 * @example
 * ```ts
 * isRowError({ code: "54000", message: "row is too big" }); // true
 * ```
 */
export function isRowError(error: unknown): boolean {
  return fateOf(classifyLoadError(error)) === "row set aside";
}

/**
 * Loads every row of a gzip CSV file that Postgres accepts, inside the caller's transaction, and
 * returns the others. `loadSlice` copies CSV bytes into the table (through staging when an id
 * repeats) and returns the rows inserted; it throws what Postgres says.
 *
 * @example
 * ```ts
 * const { inserted, refused } = await loadAcceptedRows(client, { key, gzip }, (bytes) => copyOrStage(bytes), 1000);
 * ```
 */
export async function loadAcceptedRows(
  client: pg.ClientBase,
  file: { readonly key: string; readonly gzip: Buffer },
  loadSlice: (csv: Buffer) => Promise<number>,
  maxBadRows: number,
): Promise<AcceptedRows> {
  const text = await gunzip(file.gzip).catch((error: unknown) => {
    throw loadError("BATCHER_FILE_CORRUPT", `batch file ${file.key} is not valid gzip`, { cause: error, context: { key: file.key } });
  });
  const records = csvRecords(text);
  const attempt: Attempt = async (from, to, keep) => {
    await client.query("SAVEPOINT sz_rows");
    try {
      const inserted = await loadSlice(recordBytes(text, records, from, to));
      await client.query(keep ? "RELEASE SAVEPOINT sz_rows" : "ROLLBACK TO SAVEPOINT sz_rows");
      return { ok: true, inserted };
    } catch (error) {
      // A lost connection fails here too, and ends the isolation with this error.
      await client.query("ROLLBACK TO SAVEPOINT sz_rows");
      const line = copyErrorLine(error);
      return { ok: false, error, ...(line === undefined ? {} : { line }) };
    }
  };
  const isolated = await isolateRefusedRows(records, attempt, { maxBadRows, isRowError, label: file.key });
  const refused = isolated.refused.map(({ index, error }): RefusedRow => {
    const coded = classifyLoadError(error);
    const csv = recordBytes(text, records, index, index + 1);
    return {
      key: file.key,
      line: index + 1,
      code: coded.code,
      reason: coded.message,
      csv: Buffer.from(csv.at(-1) === 0x0a ? csv.subarray(0, -1) : csv),
    };
  });
  return { copied: isolated.loaded, inserted: isolated.inserted, refused };
}
