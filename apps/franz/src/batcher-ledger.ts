/**
 * What franz reads of the batcher's ledger (its schema in the control database, BATCHER_SCHEMA):
 * for `apps describe`, what it holds back for an app (rows the warehouse refused and the loader set
 * aside, parked files) and the app's raw archive; for `replay`, the archive's files. Read only;
 * `npm run batcher -- set-aside | reload | parked | retry` act on what is held back.
 */
import { quoteIdent } from "@schematizer/postgres";
import type pg from "pg";

/** An app's rows set aside and files parked, by reason code, and its raw archive. */
export interface LedgerSummary {
  setAside: { rows: number; byReason: Record<string, number> };
  parked: { files: number; rows: number; byReason: Record<string, number> };
  /** The archived files (`null` when the ledger predates the archive); `newestReceivedAt` is null while there are none. */
  archive: { files: number; events: number; newestReceivedAt: Date | null } | null;
}

/** One file of an app's raw archive, as `replay` reads it. */
export interface ArchivedFileRow {
  objectKey: string;
  topic: string;
  partition: number;
  events: number;
  bytes: number;
}

/** Postgres's undefined_table: the schema or its tables are not there. */
const UNDEFINED_TABLE = "42P01";

/**
 * The app's set-aside rows (not yet reloaded) and parked files, or `null` when the schema holds no
 * ledger (the batcher never ran against this database and schema).
 *
 * @example
 * await ledgerSummary(pool, "batcher", "acme");
 * // { setAside: { rows: 2, byReason: { BATCHER_INVALID_VALUE: 2 } }, parked: { files: 1, rows: 500, byReason: { BATCHER_FILE_MISSING: 1 } },
 * //   archive: { files: 12, events: 48000, newestReceivedAt: 2024-05-01T12:00:00.000Z } }
 */
export async function ledgerSummary(pool: pg.Pool, schema: string, app: string): Promise<LedgerSummary | null> {
  const s = quoteIdent(schema);
  try {
    const setAside = await pool.query<{ code: string; rows: string }>(
      `SELECT code, count(*) AS rows FROM ${s}.set_aside_rows WHERE app = $1 AND state = 'set_aside' GROUP BY code ORDER BY count(*) DESC, code`,
      [app],
    );
    const parked = await pool.query<{ code: string; files: string; rows: string }>(
      `SELECT parked_code AS code, count(*) AS files, sum(rows) AS rows FROM ${s}.batch_ledger WHERE app = $1 AND state = 'parked'
        GROUP BY parked_code ORDER BY count(*) DESC, parked_code`,
      [app],
    );
    return {
      setAside: { rows: sum(setAside.rows, "rows"), byReason: Object.fromEntries(setAside.rows.map((r) => [r.code, Number(r.rows)])) },
      parked: {
        files: sum(parked.rows, "files"),
        rows: sum(parked.rows, "rows"),
        byReason: Object.fromEntries(parked.rows.map((r) => [r.code, Number(r.files)])),
      },
      archive: await archiveSummary(pool, schema, app),
    };
  } catch (error) {
    if ((error as { code?: unknown }).code === UNDEFINED_TABLE) return null;
    throw error;
  }
}

/** The app's archived files and events, and the newest received time among them; null when the ledger has no archive table. */
async function archiveSummary(pool: pg.Pool, schema: string, app: string): Promise<LedgerSummary["archive"]> {
  try {
    const { rows } = await pool.query<{ files: string; events: string | null; newest: Date | null }>(
      `SELECT count(*) AS files, sum(events) AS events, max(newest_received_at) AS newest
         FROM ${quoteIdent(schema)}.archive_files WHERE app = $1 AND state = 'archived'`,
      [app],
    );
    const row = rows[0]!;
    return { files: Number(row.files), events: Number(row.events ?? 0), newestReceivedAt: row.newest };
  } catch (error) {
    if ((error as { code?: unknown }).code === UNDEFINED_TABLE) return null;
    throw error;
  }
}

/**
 * The app's archived files holding events received in [fromMs, toMs), in the order `replay`
 * reads them (by hour, topic, partition and first offset). Only `archived` files: a file still
 * `writing` is an upload not committed. Files are picked by their oldest and newest received
 * times, a millisecond wider on each side than the window (the ledger rounds them to microseconds);
 * the lines are filtered one by one.
 *
 * @example
 * await archivedFiles(pool, "batcher", "acme", { fromMs: Date.parse("2024-05-01T10:00Z"), toMs: Date.parse("2024-05-01T12:00Z") });
 * // [{ objectKey: "raw/acme/2024/05/01/10/raw.acme+0+0-99.ndjson.gz", topic: "raw.acme", partition: 0, events: 100, bytes: 4096 }, …]
 */
export async function archivedFiles(pool: pg.Pool, schema: string, app: string, window: { fromMs: number; toMs: number }): Promise<ArchivedFileRow[]> {
  const { rows } = await pool.query<{ object_key: string; topic: string; partition: number; events: number; bytes: string }>(
    `SELECT object_key, topic, partition, events, bytes FROM ${quoteIdent(schema)}.archive_files
      WHERE app = $1 AND state = 'archived'
        AND newest_received_at >= to_timestamp($2::double precision / 1e3) AND oldest_received_at < to_timestamp($3::double precision / 1e3)
      ORDER BY hour, topic, partition, first_offset`,
    [app, window.fromMs - 1, window.toMs + 1],
  );
  return rows.map((r) => ({ objectKey: r.object_key, topic: r.topic, partition: r.partition, events: r.events, bytes: Number(r.bytes) }));
}

function sum<K extends string>(rows: Record<K, string>[], key: K): number {
  return rows.reduce((total, row) => total + Number(row[key]), 0);
}
