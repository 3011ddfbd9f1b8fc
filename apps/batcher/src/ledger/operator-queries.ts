/**
 * What operators and metrics read of the load queue, and the one thing operators change in it:
 * parked files (listed, and sent back to the loader), and each app's backlog.
 */
import { inTransaction, quoteIdent } from "@schematizer/postgres";
import type pg from "pg";
import { notifyWork } from "./load-queue.ts";

/** A parked file as an operator sees it. */
export interface ParkedFile {
  readonly id: string;
  readonly app: string;
  readonly table: string;
  readonly version: number;
  readonly rows: number;
  readonly dataKey: string;
  readonly attempts: number;
  readonly code: string;
  readonly reason: string;
  readonly parkedAt: Date;
}

/** An app's files not loaded yet. */
export interface AppBacklog {
  /** The oldest `_sz_received_at` of its pending rows; undefined when only parked files are left (they are counted, not waited for). */
  readonly oldestReceivedAt: Date | undefined;
  readonly parked: number;
  readonly pending: number;
}

export interface OperatorQueries {
  /** Parked files (of one app, or of all), oldest first. */
  parked(app?: string): Promise<ParkedFile[]>;
  /**
   * Sends parked files back to the loader as new (attempts reset), and wakes the loaders: the
   * given ids, or every parked file (of one app, or of all). Returns the ids sent back.
   */
  retryParked(selection: { readonly ids?: readonly string[]; readonly app?: string }): Promise<string[]>;
  /** Per app with files not loaded, its backlog. */
  backlog(): Promise<Map<string, AppBacklog>>;
}

/**
 * The operator queries of the ledger in `schema`, over the control database's pool.
 *
 * @example
 * ```ts
 * const operators = createOperatorQueries(pool, "batcher");
 * await operators.retryParked({ app: "acme" }); // ["12", "15"]
 * ```
 */
export function createOperatorQueries(pool: pg.Pool, schema: string): OperatorQueries {
  const s = quoteIdent(schema);
  return {
    async parked(app) {
      const { rows } = await pool.query<{ id: string; app: string; table_name: string; version: number; rows: string; data_key: string; attempts: number; parked_code: string; parked_reason: string; parked_at: Date }>(
        `SELECT id, app, table_name, version, rows, data_key, attempts, parked_code, parked_reason, parked_at FROM ${s}.batch_ledger
         WHERE state = 'parked' AND ($1::text IS NULL OR app = $1) ORDER BY id`,
        [app ?? null],
      );
      return rows.map((r) => ({
        id: String(r.id),
        app: r.app,
        table: r.table_name,
        version: r.version,
        rows: Number(r.rows),
        dataKey: r.data_key,
        attempts: r.attempts,
        code: r.parked_code,
        reason: r.parked_reason,
        parkedAt: r.parked_at,
      }));
    },
    retryParked({ ids, app }) {
      return inTransaction(pool, async (client) => {
        const { rows } = await client.query<{ id: string; app: string }>(
          `UPDATE ${s}.batch_ledger SET state = 'pending', attempts = 0, strikes = 0, next_attempt_at = NULL, parked_code = NULL, parked_reason = NULL, parked_at = NULL
           WHERE state = 'parked' AND ($1::bigint[] IS NULL OR id = ANY($1::bigint[])) AND ($2::text IS NULL OR app = $2)
           RETURNING id, app`,
          [ids ?? null, app ?? null],
        );
        await notifyWork(client, schema, rows.map((r) => r.app));
        return rows.map((r) => String(r.id)).sort((a, b) => Number(a) - Number(b));
      });
    },
    async backlog() {
      const { rows } = await pool.query<{ app: string; oldest: Date | null; parked: string; pending: string }>(
        `SELECT app, min(oldest_received_at) FILTER (WHERE state = 'pending') AS oldest, count(*) FILTER (WHERE state = 'parked') AS parked,
                count(*) FILTER (WHERE state = 'pending') AS pending
         FROM ${s}.batch_ledger WHERE state <> 'loaded' GROUP BY app`,
      );
      return new Map(rows.map((r) => [r.app, { oldestReceivedAt: r.oldest ?? undefined, parked: Number(r.parked), pending: Number(r.pending) }]));
    },
  };
}
