/**
 * Rows the warehouse refused, kept in the control database (`set_aside_rows`) with their code,
 * reason and exact CSV text until an operator loads them again. The rest of their file is loaded;
 * see row-isolation.ts for how they are found.
 *
 * A row is kept before the load that left it out commits (the loader's `keep` runs inside it), so
 * a crash between the two repeats the same isolation and the same insert, which `(data_key, line)`
 * makes a no-op: no refused row is ever lost, none kept twice.
 *
 * Bringing rows back (`reload`) writes them as a new batch file, queued in `batch_ledger` like any
 * other: the loader loads it exactly once under its own key, and rows refused again are set aside
 * again under that key. This is the path `retry` takes for a parked batch, with a file of its own,
 * since the original file is already in the warehouse's `_sz_loads`.
 */
import { inTransaction, quoteIdent } from "@schematizer/postgres";
import type pg from "pg";
import { notifyWork } from "./load-queue.ts";
import { storableText } from "./storable-text.ts";

/** A refused row, as the loader keeps it. */
export interface NewSetAsideRow {
  readonly app: string;
  readonly table: string;
  /** The batch file it came from. */
  readonly dataKey: string;
  /** Its record number in that file (1-based). */
  readonly line: number;
  readonly schemaId: number;
  readonly version: number;
  readonly code: string;
  readonly reason: string;
  /** The record's CSV, without its final newline. */
  readonly csv: Buffer;
}

/** A row set aside, as an operator sees it. */
export interface SetAsideRow extends NewSetAsideRow {
  readonly id: string;
  readonly createdAt: Date;
}

/** Rows to load again, with what their file's ledger row needs from the batch they came from. */
export interface ReloadGroup {
  readonly app: string;
  readonly table: string;
  readonly schemaId: number;
  readonly version: number;
  readonly columns: readonly string[];
  readonly topic: string;
  readonly partition: number;
  readonly firstOffset: string;
  readonly lastOffset: string;
  readonly rows: readonly SetAsideRow[];
}

/** The reload file of a group, as written to the bucket. */
export interface ReloadFile {
  readonly dataKey: string;
  readonly manifestKey: string;
  readonly metaKey: string;
  readonly csvBytes: number;
  readonly gzipBytes: number;
}

export interface SetAsideLedger {
  /** Keeps refused rows (idempotent on file and line). */
  keep(rows: readonly NewSetAsideRow[]): Promise<void>;
  /** Rows set aside and not loaded again (of one app, or of all), oldest first. */
  list(app?: string): Promise<SetAsideRow[]>;
  /** The rows a reload would take: the given ids, or all (of one app), grouped by table and version. */
  toReload(selection: { readonly ids?: readonly string[]; readonly app?: string }): Promise<ReloadGroup[]>;
  /**
   * Queues a group's reload file as a pending batch and marks its rows reloaded, in one
   * transaction; returns the batch id, or undefined (writing nothing) when a row of the group was
   * reloaded meanwhile by someone else.
   */
  queueReload(group: ReloadGroup, file: ReloadFile): Promise<string | undefined>;
}

/** Thrown inside a reload's transaction to roll it back when another operator took a row first. */
class ReloadRaced extends Error {}

interface Row {
  id: string;
  app: string;
  table_name: string;
  data_key: string;
  line: number;
  schema_id: number;
  version: number;
  code: string;
  reason: string;
  row_csv: Buffer;
  created_at: Date;
}

const toRow = (r: Row): SetAsideRow => ({
  id: String(r.id),
  app: r.app,
  table: r.table_name,
  dataKey: r.data_key,
  line: r.line,
  schemaId: r.schema_id,
  version: r.version,
  code: r.code,
  reason: r.reason,
  csv: r.row_csv,
  createdAt: r.created_at,
});

/**
 * The set-aside ledger over the control database's pool.
 *
 * @example
 * ```ts
 * const setAside = createSetAsideLedger(pool, "batcher");
 * await setAside.keep([{ app: "acme", table: "_e_user__login", dataKey, line: 2, schemaId: 7, version: 1, code: "BATCHER_ROW_TOO_BIG", reason, csv }]);
 * ```
 */
export function createSetAsideLedger(pool: pg.Pool, schema: string): SetAsideLedger {
  const s = quoteIdent(schema);
  const columns = `id, app, table_name, data_key, line, schema_id, version, code, reason, row_csv, created_at`;
  return {
    async keep(rows) {
      if (rows.length === 0) return;
      await pool.query(
        `INSERT INTO ${s}.set_aside_rows (app, table_name, data_key, line, schema_id, version, code, reason, row_csv)
         SELECT r.app, r.table_name, r.data_key, r.line, r.schema_id, r.version, r.code, r.reason, decode(r.row_csv, 'base64')
         FROM jsonb_to_recordset($1::jsonb) AS r (app text, table_name text, data_key text, line integer, schema_id integer, version integer,
           code text, reason text, row_csv text)
         ON CONFLICT (data_key, line) DO NOTHING`,
        [
          JSON.stringify(
            rows.map((r) => ({
              app: r.app,
              table_name: r.table,
              data_key: r.dataKey,
              line: r.line,
              schema_id: r.schemaId,
              version: r.version,
              code: r.code,
              // A reason quotes the warehouse, which may quote the row: keep it storable.
              reason: storableText(r.reason),
              row_csv: r.csv.toString("base64"),
            })),
          ),
        ],
      );
    },
    async list(app) {
      const { rows } = await pool.query<Row>(
        `SELECT ${columns} FROM ${s}.set_aside_rows WHERE state = 'set_aside' AND ($1::text IS NULL OR app = $1) ORDER BY id`,
        [app ?? null],
      );
      return rows.map(toRow);
    },
    async toReload({ ids, app }) {
      const { rows } = await pool.query<Row & { columns: string[]; topic: string; partition: number; first_offset: string; last_offset: string }>(
        `SELECT r.id, r.app, r.table_name, r.data_key, r.line, r.schema_id, r.version, r.code, r.reason, r.row_csv, r.created_at,
                b.columns, b.topic, b.partition, b.first_offset, b.last_offset
         FROM ${s}.set_aside_rows r JOIN ${s}.batch_ledger b ON b.data_key = r.data_key
         WHERE r.state = 'set_aside' AND ($1::bigint[] IS NULL OR r.id = ANY($1::bigint[])) AND ($2::text IS NULL OR r.app = $2)
         ORDER BY r.app, r.table_name, r.schema_id, r.id`,
        [ids ?? null, app ?? null],
      );
      const groups = new Map<string, ReloadGroup & { rows: SetAsideRow[] }>();
      for (const r of rows) {
        const id = `${r.app}\u0000${r.table_name}\u0000${r.schema_id}`;
        let group = groups.get(id);
        if (group === undefined) {
          group = {
            app: r.app,
            table: r.table_name,
            schemaId: r.schema_id,
            version: r.version,
            columns: r.columns,
            topic: r.topic,
            partition: r.partition,
            firstOffset: String(r.first_offset),
            lastOffset: String(r.last_offset),
            rows: [],
          };
          groups.set(id, group);
        }
        group.rows.push(toRow(r));
      }
      return [...groups.values()];
    },
    queueReload(group, file) {
      return inTransaction(pool, async (client) => {
        const ids = group.rows.map((r) => r.id);
        const marked = await client.query(
          `UPDATE ${s}.set_aside_rows SET state = 'reloaded', reloaded_into = $2, reloaded_at = now() WHERE id = ANY($1::bigint[]) AND state = 'set_aside'`,
          [ids, file.dataKey],
        );
        // A row reloaded meanwhile by someone else: write nothing.
        if (marked.rowCount !== ids.length) throw new ReloadRaced();
        // Received now, as far as freshness goes: these rows were counted when they were set aside.
        const { rows } = await client.query<{ id: string }>(
          `INSERT INTO ${s}.batch_ledger (app, table_name, version, schema_id, data_key, manifest_key, meta_key, topic, partition,
             first_offset, last_offset, columns, rows, csv_bytes, gzip_bytes, oldest_received_at)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, now())
           RETURNING id`,
          [
            group.app,
            group.table,
            group.version,
            group.schemaId,
            file.dataKey,
            file.manifestKey,
            file.metaKey,
            group.topic,
            group.partition,
            group.firstOffset,
            group.lastOffset,
            JSON.stringify(group.columns),
            group.rows.length,
            file.csvBytes,
            file.gzipBytes,
          ],
        );
        await notifyWork(client, schema, [group.app]);
        return String(rows[0]?.id);
      }).catch((error: unknown) => {
        if (error instanceof ReloadRaced) return undefined;
        throw error;
      });
    },
  };
}
