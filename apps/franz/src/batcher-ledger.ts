/**
 * What the batcher's ledger (its schema in the control database, BATCHER_SCHEMA) holds back for an
 * app, for `apps describe`: rows the warehouse refused and the loader set aside, and parked files.
 * Read only; `npm run batcher -- set-aside | reload | parked | retry` act on them.
 */
import { quoteIdent } from "@schematizer/postgres";
import type pg from "pg";

/** An app's rows set aside and files parked, by reason code. */
export interface LedgerSummary {
  setAside: { rows: number; byReason: Record<string, number> };
  parked: { files: number; rows: number; byReason: Record<string, number> };
}

/** Postgres's undefined_table: the schema or its tables are not there. */
const UNDEFINED_TABLE = "42P01";

/**
 * The app's set-aside rows (not yet reloaded) and parked files, or `null` when the schema holds no
 * ledger (the batcher never ran against this database and schema).
 *
 * @example
 * await ledgerSummary(pool, "batcher", "acme");
 * // { setAside: { rows: 2, byReason: { BATCHER_INVALID_VALUE: 2 } }, parked: { files: 1, rows: 500, byReason: { BATCHER_FILE_MISSING: 1 } } }
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
    };
  } catch (error) {
    if ((error as { code?: unknown }).code === UNDEFINED_TABLE) return null;
    throw error;
  }
}

function sum<K extends string>(rows: Record<K, string>[], key: K): number {
  return rows.reduce((total, row) => total + Number(row[key]), 0);
}
