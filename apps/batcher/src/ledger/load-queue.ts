/**
 * Stage 2's work queue: the files of `batch_ledger` waiting to load, and how the loaders hear of
 * them. Every write that queues work (a committed range, a parked file sent back, set-aside rows
 * loaded again) NOTIFYs the app on the queue's channel in its own transaction; a loader LISTENs on
 * its dedicated connection, and holds the apps it loads by session advisory locks in the ledger's
 * namespace, so one replica loads an app at a time and a lost connection frees its apps.
 */
import { quoteIdent } from "@schematizer/postgres";
import type pg from "pg";
import { storableText } from "./storable-text.ts";

/** A queued file as the loader plans with it (load-plan.ts). */
export interface PendingFile {
  readonly id: string;
  readonly schemaId: number;
  readonly state: "pending" | "parked";
  readonly rows: number;
  readonly attempts: number;
  readonly createdAt: Date;
  readonly nextAttemptAt: Date | null;
}

/** A queued file as the loader reads it. */
export interface QueuedFile extends PendingFile {
  readonly app: string;
  readonly table: string;
  readonly version: number;
  readonly dataKey: string;
  readonly manifestKey: string;
  readonly columns: readonly string[];
  readonly gzipBytes: number;
  readonly oldestReceivedAt: Date;
  /** Failures counted against it: those while the warehouse, the bucket and the control database answered. */
  readonly strikes: number;
}

export interface LoadQueue {
  /** Apps with pending files. */
  appsWithWork(): Promise<string[]>;
  /**
   * Pending files of an app, per table, in ledger order (at most `perTable` each). Parked files
   * are not among them: they hold nothing back.
   */
  unloaded(app: string, perTable: number): Promise<Map<string, QueuedFile[]>>;
  /** Marks files loaded, with the rows each inserted (and counts the rows of each that were set aside). */
  markLoaded(ids: readonly string[], inserted: ReadonlyMap<string, number>): Promise<void>;
  /** A failed attempt: tried again at `nextAttemptAt`; `counted` adds a strike against the files. */
  recordFailure(ids: readonly string[], error: string, nextAttemptAt: Date, counted: boolean): Promise<void>;
  park(ids: readonly string[], code: string, reason: string): Promise<void>;
  /** On a loader's dedicated connection: hear of new work (the connection's `notification` events carry the app). */
  listen(client: pg.ClientBase): Promise<void>;
  /** On that connection: takes the app unless another replica holds it. */
  tryLock(client: pg.ClientBase, app: string): Promise<boolean>;
  unlock(client: pg.ClientBase, app: string): Promise<void>;
}

/** The channel a ledger in `schema` NOTIFYs new work on. */
const channelOf = (schema: string) => `${schema}_batches`;

/**
 * Tells the loaders that these apps have new work, inside the caller's transaction (delivered on
 * its commit, dropped with its rollback).
 *
 * @example
 * ```ts
 * await inTransaction(pool, async (client) => { await client.query("INSERT …"); await notifyWork(client, "batcher", ["acme"]); });
 * ```
 */
export async function notifyWork(client: pg.ClientBase, schema: string, apps: Iterable<string>): Promise<void> {
  for (const app of new Set(apps)) await client.query("SELECT pg_notify($1, $2)", [channelOf(schema), app]);
}

interface QueuedRow {
  id: string;
  app: string;
  table_name: string;
  version: number;
  schema_id: number;
  data_key: string;
  manifest_key: string;
  columns: string[];
  rows: string;
  gzip_bytes: string;
  oldest_received_at: Date;
  state: "pending" | "parked";
  attempts: number;
  strikes: number;
  created_at: Date;
  next_attempt_at: Date | null;
}

const toQueued = (r: QueuedRow): QueuedFile => ({
  id: r.id,
  app: r.app,
  table: r.table_name,
  version: r.version,
  schemaId: r.schema_id,
  dataKey: r.data_key,
  manifestKey: r.manifest_key,
  columns: r.columns,
  rows: Number(r.rows),
  gzipBytes: Number(r.gzip_bytes),
  oldestReceivedAt: r.oldest_received_at,
  state: r.state,
  attempts: r.attempts,
  strikes: r.strikes,
  createdAt: r.created_at,
  nextAttemptAt: r.next_attempt_at,
});

/**
 * The load queue of the ledger in `schema`, over the control database's pool.
 *
 * @example
 * ```ts
 * const queue = createLoadQueue(pool, "batcher");
 * for (const [table, files] of await queue.unloaded("acme", 16)) console.log(table, files.length);
 * ```
 */
export function createLoadQueue(pool: pg.Pool, schema: string): LoadQueue {
  const s = quoteIdent(schema);
  return {
    async appsWithWork() {
      const { rows } = await pool.query<{ app: string }>(`SELECT DISTINCT app FROM ${s}.batch_ledger WHERE state = 'pending'`);
      return rows.map((r) => r.app);
    },
    async unloaded(app, perTable) {
      const { rows } = await pool.query<QueuedRow>(
        `SELECT b.* FROM (SELECT DISTINCT table_name FROM ${s}.batch_ledger WHERE app = $1 AND state = 'pending') t
         CROSS JOIN LATERAL (
           SELECT id, app, table_name, version, schema_id, data_key, manifest_key, columns, rows, gzip_bytes,
                  oldest_received_at, state, attempts, strikes, created_at, next_attempt_at
           FROM ${s}.batch_ledger WHERE app = $1 AND table_name = t.table_name AND state = 'pending'
           ORDER BY id LIMIT $2
         ) b
         ORDER BY b.table_name, b.id`,
        [app, perTable],
      );
      const byTable = new Map<string, QueuedFile[]>();
      for (const row of rows) {
        const list = byTable.get(row.table_name);
        if (list) list.push(toQueued(row));
        else byTable.set(row.table_name, [toQueued(row)]);
      }
      return byTable;
    },
    async markLoaded(ids, inserted) {
      // Set-aside rows are counted from their own table: right even when the load that kept them
      // committed before a crash and this is the attempt that finds it done.
      await pool.query(
        `UPDATE ${s}.batch_ledger b SET state = 'loaded', loaded_at = now(), rows_inserted = i.inserted, next_attempt_at = NULL,
           rows_set_aside = (SELECT count(*) FROM ${s}.set_aside_rows r WHERE r.data_key = b.data_key)
         FROM jsonb_to_recordset($1::jsonb) AS i (id bigint, inserted bigint)
         WHERE b.id = i.id`,
        [JSON.stringify(ids.map((id) => ({ id, inserted: inserted.get(id) ?? null })))],
      );
    },
    async recordFailure(ids, error, nextAttemptAt, counted) {
      await pool.query(
        `UPDATE ${s}.batch_ledger SET attempts = attempts + 1, strikes = strikes + $4::int, last_error = $2, next_attempt_at = $3
         WHERE id = ANY($1::bigint[]) AND state = 'pending'`,
        [ids, storableText(error), nextAttemptAt, counted ? 1 : 0],
      );
    },
    async park(ids, code, reason) {
      await pool.query(
        `UPDATE ${s}.batch_ledger SET state = 'parked', parked_code = $2, parked_reason = $3, parked_at = now(), attempts = attempts + 1
         WHERE id = ANY($1::bigint[]) AND state = 'pending'`,
        [ids, code, storableText(reason)],
      );
    },
    async listen(client) {
      await client.query(`LISTEN ${JSON.stringify(channelOf(schema))}`);
    },
    async tryLock(client, app) {
      const { rows } = await client.query<{ locked: boolean }>("SELECT pg_try_advisory_lock(hashtext($1), hashtext($2)) AS locked", [schema, app]);
      return rows[0]?.locked === true;
    },
    async unlock(client, app) {
      await client.query("SELECT pg_advisory_unlock(hashtext($1), hashtext($2))", [schema, app]);
    },
  };
}
