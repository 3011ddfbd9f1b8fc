/**
 * The ledger in the control database: which Kafka offsets are in committed batch files, and what
 * became of each file. Its rows are the commit point of stage 1 (Kafka offsets are committed
 * after them and are only a hint) and the work queue of stage 2.
 *
 * Tables, in the batcher's own schema (migrations run by the app, under Kysely's lock):
 * - `partition_ledger (topic, partition) → end_offset`: the fence.
 * - `ranges`: every committed range, with the offsets it covered without a record (`unseen`).
 * - `batch_ledger`: one row per file: keys, columns, rows, offsets, and its state
 *   `pending` → `loaded`, or `parked` with a code and reason (waiting for an operator).
 * - `rejected_records`: records that could not be decoded, with where their bytes were kept.
 * - `set_aside_rows`: rows the warehouse refused, with their reason (set-aside-ledger.ts).
 */
import { quoteIdent } from "@schematizer/postgres";
import { Kysely, Migrator, PostgresDialect, sql, type Migration } from "kysely";
import type pg from "pg";
import type { RejectedRecord } from "./batch-buffer.ts";
import { batcherError } from "./batcher-codes.ts";
import type { PendingBatch } from "./load-plan.ts";
import { createSetAsideLedger, setAsideMigration, type SetAsideLedger } from "./set-aside-ledger.ts";
import { answers } from "./probe.ts";
import { storableText } from "./storable-text.ts";

/** One file of a range, as stage 1 records it. */
export interface NewBatch {
  readonly app: string;
  readonly table: string;
  readonly version: number;
  readonly schemaId: number;
  readonly dataKey: string;
  readonly manifestKey: string;
  readonly metaKey: string;
  readonly columns: readonly string[];
  readonly rows: number;
  readonly csvBytes: number;
  readonly gzipBytes: number;
  /** Epoch microseconds. */
  readonly oldestReceivedAt: number;
}

/** A range to commit: its files and rejected records, fenced on the partition's ledger end. */
export interface RangeCommit {
  readonly topic: string;
  readonly partition: number;
  readonly first: bigint;
  readonly last: bigint;
  readonly unseen: bigint;
  readonly batches: readonly NewBatch[];
  readonly rejected: readonly (RejectedRecord & { app: string; objectKey: string })[];
}

/** A ledger row as the loader reads it. */
export interface LedgerBatch extends PendingBatch {
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

/** A parked batch as an operator sees it. */
export interface ParkedBatch {
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

export interface Ledger {
  readonly schema: string;
  /** The NOTIFY channel that carries an app's name when it has a new pending batch. */
  readonly channel: string;
  /** The partition's ledger end, or undefined when nothing of it was committed yet. */
  partitionEnd(topic: string, partition: number): Promise<bigint | undefined>;
  /**
   * Commits a range in one transaction, fenced: only if `first` is the ledger end + 1 (or the
   * partition has no ledger row). Returns false, writing nothing, when fenced out.
   */
  commitRange(range: RangeCommit): Promise<boolean>;
  /** Rows the warehouse refused, kept until an operator loads them again. */
  readonly setAside: SetAsideLedger;
  /** Whether the control database answers now (`select 1`). */
  probe(): Promise<boolean>;
  /** Apps with pending batches. */
  appsWithWork(): Promise<string[]>;
  /**
   * Pending batches of an app, per table, in ledger order (at most `perTable` each). Parked
   * batches are not among them: they hold nothing back.
   */
  unloaded(app: string, perTable: number): Promise<Map<string, LedgerBatch[]>>;
  /** Marks batches loaded, with the rows each inserted (and counts the rows of each that were set aside). */
  markLoaded(ids: readonly string[], inserted: ReadonlyMap<string, number>): Promise<void>;
  /** A failed attempt: tried again at `nextAttemptAt`; `counted` adds a strike against the batches. */
  recordFailure(ids: readonly string[], error: string, nextAttemptAt: Date, counted: boolean): Promise<void>;
  park(ids: readonly string[], code: string, reason: string): Promise<void>;
  /** Parked batches (of one app, or of all), oldest first. */
  parked(app?: string): Promise<ParkedBatch[]>;
  /**
   * Sends parked batches back to the loader as new (attempts reset), and wakes the loaders: the
   * given ids, or every parked batch (of one app, or of all). Returns the ids sent back.
   */
  retryParked(selection: { readonly ids?: readonly string[]; readonly app?: string }): Promise<string[]>;
  /**
   * Per app with batches not loaded: the oldest `_sz_received_at` of pending rows (undefined when
   * only parked batches are left: they are counted, not waited for), parked and pending batches.
   */
  backlog(): Promise<Map<string, { oldestReceivedAt: Date | undefined; parked: number; pending: number }>>;
  /** Ledger ends of every partition of the given topics. */
  ends(topics: readonly string[]): Promise<Map<string, Map<number, bigint>>>;
}

/**
 * The ledger's migrations, by name in the order they apply.
 *
 * @example
 * ```ts
 * Object.keys(ledgerMigrations("batcher")); // ["0001_ledger", "0002_set_aside"]
 * ```
 */
export function ledgerMigrations(schema: string): Record<string, Migration> {
  const s = quoteIdent(schema);
  return {
    "0001_ledger": {
      async up(db: Kysely<unknown>) {
        await sql
          .raw(
            `CREATE TABLE ${s}.partition_ledger (
              topic text NOT NULL,
              partition integer NOT NULL,
              end_offset bigint NOT NULL,
              updated_at timestamptz NOT NULL DEFAULT now(),
              PRIMARY KEY (topic, partition)
            )`,
          )
          .execute(db);
        await sql
          .raw(
            `CREATE TABLE ${s}.ranges (
              topic text NOT NULL,
              partition integer NOT NULL,
              first_offset bigint NOT NULL,
              last_offset bigint NOT NULL CHECK (last_offset >= first_offset),
              unseen_offsets bigint NOT NULL DEFAULT 0,
              files integer NOT NULL,
              rows bigint NOT NULL,
              rejected integer NOT NULL,
              created_at timestamptz NOT NULL DEFAULT now(),
              PRIMARY KEY (topic, partition, first_offset)
            )`,
          )
          .execute(db);
        await sql
          .raw(
            `CREATE TABLE ${s}.batch_ledger (
              id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
              app text NOT NULL,
              table_name text NOT NULL,
              version integer NOT NULL,
              schema_id integer NOT NULL,
              data_key text NOT NULL UNIQUE,
              manifest_key text NOT NULL,
              meta_key text NOT NULL,
              topic text NOT NULL,
              partition integer NOT NULL,
              first_offset bigint NOT NULL,
              last_offset bigint NOT NULL,
              columns jsonb NOT NULL,
              rows bigint NOT NULL,
              csv_bytes bigint NOT NULL,
              gzip_bytes bigint NOT NULL,
              oldest_received_at timestamptz NOT NULL,
              state text NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'loaded', 'parked')),
              attempts integer NOT NULL DEFAULT 0,
              next_attempt_at timestamptz,
              last_error text,
              parked_code text,
              parked_reason text,
              parked_at timestamptz,
              rows_inserted bigint,
              created_at timestamptz NOT NULL DEFAULT now(),
              loaded_at timestamptz
            )`,
          )
          .execute(db);
        await sql.raw(`CREATE INDEX batch_ledger_unloaded ON ${s}.batch_ledger (app, table_name, id) WHERE state <> 'loaded'`).execute(db);
        await sql
          .raw(
            `CREATE TABLE ${s}.rejected_records (
              topic text NOT NULL,
              partition integer NOT NULL,
              "offset" bigint NOT NULL,
              app text NOT NULL,
              code text NOT NULL,
              reason text NOT NULL,
              object_key text NOT NULL,
              created_at timestamptz NOT NULL DEFAULT now(),
              PRIMARY KEY (topic, partition, "offset")
            )`,
          )
          .execute(db);
      },
    },
    "0002_set_aside": setAsideMigration(schema),
  };
}

/**
 * Creates the batcher's schema if needed and runs its migrations; safe from many replicas at once.
 *
 * @example
 * ```ts
 * await migrateLedger(pool, "batcher");
 * ```
 */
export async function migrateLedger(pool: pg.Pool, schema: string): Promise<void> {
  await pool.query(`CREATE SCHEMA IF NOT EXISTS ${quoteIdent(schema)}`).catch((error: unknown) => {
    // Two replicas creating the schema at once: the loser sees a unique violation; the schema exists.
    if ((error as { code?: string }).code !== "23505") throw error;
  });
  const db = new Kysely<unknown>({ dialect: new PostgresDialect({ pool: pool as never }) });
  const migrator = new Migrator({
    db,
    provider: { getMigrations: () => Promise.resolve(ledgerMigrations(schema)) },
    migrationTableSchema: schema,
    migrationTableName: "batcher_migrations",
    migrationLockTableName: "batcher_migrations_lock",
  });
  const { error } = await migrator.migrateToLatest();
  // Kysely's destroy would end the caller's pool; the migrator holds nothing else.
  if (error !== undefined) {
    throw batcherError("BATCHER_MIGRATION_FAILED", `ledger migrations failed in ${schema}`, { cause: error });
  }
}

interface BatchRow {
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

/**
 * The ledger over the control database's pool (the caller owns and ends the pool).
 *
 * @example
 * ```ts
 * const ledger = createLedger(pool, "batcher");
 * if (await ledger.commitRange(range)) console.log("committed");
 * ```
 */
export function createLedger(pool: pg.Pool, schema: string): Ledger {
  const s = quoteIdent(schema);
  const channel = `${schema}_batches`;

  async function commitRange(range: RangeCommit): Promise<boolean> {
    const client = await pool.connect();
    try {
      await client.query("BEGIN");
      // The fence, in one statement: the first range of a partition inserts its row; every later
      // one moves the end only if it starts right after it. Concurrent writers serialize on the
      // row, and the loser finds the end moved and updates nothing.
      const fence = await client.query(
        `INSERT INTO ${s}.partition_ledger AS l (topic, partition, end_offset) VALUES ($1, $2, $4)
         ON CONFLICT (topic, partition) DO UPDATE SET end_offset = EXCLUDED.end_offset, updated_at = now()
         WHERE l.end_offset = $3::bigint - 1
         RETURNING end_offset`,
        [range.topic, range.partition, range.first.toString(), range.last.toString()],
      );
      if (fence.rowCount !== 1) {
        await client.query("ROLLBACK");
        return false;
      }
      const rows = range.batches.reduce((n, b) => n + b.rows, 0);
      await client.query(
        `INSERT INTO ${s}.ranges (topic, partition, first_offset, last_offset, unseen_offsets, files, rows, rejected)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
        [range.topic, range.partition, range.first.toString(), range.last.toString(), range.unseen.toString(), range.batches.length, rows, range.rejected.length],
      );
      if (range.batches.length > 0) {
        await client.query(
          `INSERT INTO ${s}.batch_ledger (app, table_name, version, schema_id, data_key, manifest_key, meta_key, topic, partition,
             first_offset, last_offset, columns, rows, csv_bytes, gzip_bytes, oldest_received_at)
           SELECT b.app, b.table_name, b.version, b.schema_id, b.data_key, b.manifest_key, b.meta_key, $2, $3, $4, $5,
             b.columns, b.rows, b.csv_bytes, b.gzip_bytes, to_timestamp(b.oldest_received_at / 1e6)
           FROM jsonb_to_recordset($1::jsonb) AS b (app text, table_name text, version integer, schema_id integer, data_key text,
             manifest_key text, meta_key text, columns jsonb, rows bigint, csv_bytes bigint, gzip_bytes bigint, oldest_received_at double precision)`,
          [
            JSON.stringify(
              range.batches.map((b) => ({
                app: b.app,
                table_name: b.table,
                version: b.version,
                schema_id: b.schemaId,
                data_key: b.dataKey,
                manifest_key: b.manifestKey,
                meta_key: b.metaKey,
                columns: b.columns,
                rows: b.rows,
                csv_bytes: b.csvBytes,
                gzip_bytes: b.gzipBytes,
                oldest_received_at: b.oldestReceivedAt,
              })),
            ),
            range.topic,
            range.partition,
            range.first.toString(),
            range.last.toString(),
          ],
        );
      }
      if (range.rejected.length > 0) {
        await client.query(
          `INSERT INTO ${s}.rejected_records (topic, partition, "offset", app, code, reason, object_key)
           SELECT $2, $3, r.offset, r.app, r.code, r.reason, r.object_key
           FROM jsonb_to_recordset($1::jsonb) AS r ("offset" bigint, app text, code text, reason text, object_key text)`,
          [
            JSON.stringify(range.rejected.map((r) => ({ offset: r.offset, app: r.app, code: r.code, reason: storableText(r.reason), object_key: r.objectKey }))),
            range.topic,
            range.partition,
          ],
        );
      }
      for (const app of new Set(range.batches.map((b) => b.app))) await client.query("SELECT pg_notify($1, $2)", [channel, app]);
      await client.query("COMMIT");
      return true;
    } catch (error) {
      await client.query("ROLLBACK").catch(() => undefined);
      // Two first ranges of a new partition racing: the loser is fenced out, like any other.
      if ((error as { code?: string }).code === "23505") return false;
      throw error;
    } finally {
      client.release();
    }
  }

  const toBatch = (r: BatchRow): LedgerBatch => ({
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

  return {
    schema,
    channel,
    setAside: createSetAsideLedger(pool, schema, channel),
    probe: () => answers([pool.query("SELECT 1")]),
    async partitionEnd(topic, partition) {
      const { rows } = await pool.query<{ end_offset: string }>(
        `SELECT end_offset FROM ${s}.partition_ledger WHERE topic = $1 AND partition = $2`,
        [topic, partition],
      );
      return rows[0] === undefined ? undefined : BigInt(rows[0].end_offset);
    },
    commitRange,
    async appsWithWork() {
      const { rows } = await pool.query<{ app: string }>(`SELECT DISTINCT app FROM ${s}.batch_ledger WHERE state = 'pending'`);
      return rows.map((r) => r.app);
    },
    async unloaded(app, perTable) {
      const { rows } = await pool.query<BatchRow>(
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
      const byTable = new Map<string, LedgerBatch[]>();
      for (const row of rows) {
        const list = byTable.get(row.table_name);
        if (list) list.push(toBatch(row));
        else byTable.set(row.table_name, [toBatch(row)]);
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
    async retryParked({ ids, app }) {
      const client = await pool.connect();
      try {
        await client.query("BEGIN");
        const { rows } = await client.query<{ id: string; app: string }>(
          `UPDATE ${s}.batch_ledger SET state = 'pending', attempts = 0, strikes = 0, next_attempt_at = NULL, parked_code = NULL, parked_reason = NULL, parked_at = NULL
           WHERE state = 'parked' AND ($1::bigint[] IS NULL OR id = ANY($1::bigint[])) AND ($2::text IS NULL OR app = $2)
           RETURNING id, app`,
          [ids ?? null, app ?? null],
        );
        for (const name of new Set(rows.map((r) => r.app))) await client.query("SELECT pg_notify($1, $2)", [channel, name]);
        await client.query("COMMIT");
        return rows.map((r) => String(r.id)).sort((a, b) => Number(a) - Number(b));
      } catch (error) {
        await client.query("ROLLBACK").catch(() => undefined);
        throw error;
      } finally {
        client.release();
      }
    },
    async backlog() {
      const { rows } = await pool.query<{ app: string; oldest: Date | null; parked: string; pending: string }>(
        `SELECT app, min(oldest_received_at) FILTER (WHERE state = 'pending') AS oldest, count(*) FILTER (WHERE state = 'parked') AS parked,
                count(*) FILTER (WHERE state = 'pending') AS pending
         FROM ${s}.batch_ledger WHERE state <> 'loaded' GROUP BY app`,
      );
      return new Map(rows.map((r) => [r.app, { oldestReceivedAt: r.oldest ?? undefined, parked: Number(r.parked), pending: Number(r.pending) }]));
    },
    async ends(topics) {
      const { rows } = await pool.query<{ topic: string; partition: number; end_offset: string }>(
        `SELECT topic, partition, end_offset FROM ${s}.partition_ledger WHERE topic = ANY($1::text[])`,
        [topics],
      );
      const out = new Map<string, Map<number, bigint>>();
      for (const r of rows) {
        let m = out.get(r.topic);
        if (!m) out.set(r.topic, (m = new Map()));
        m.set(r.partition, BigInt(r.end_offset));
      }
      return out;
    },
  };
}
