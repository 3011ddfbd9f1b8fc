/**
 * Stage 1's side of the ledger: which Kafka offsets are in committed files. A range's row, its
 * files' rows in the load queue and its rejected records are written in one transaction, fenced on
 * the partition's ledger end, and that commit is stage 1's commit point (Kafka offsets are
 * committed after it and are only a hint).
 *
 * The fence: a partition's ledger end is the last offset whose record is in a committed file, and
 * a range is committed only when it starts right after it, so of two consumers that read the same
 * records (a zombie after a rebalance, a restart that re-reads) exactly one commits them. The rule
 * lives in `fenceRange`'s SQL; range-fence.ts says where the next range starts.
 */
import { inTransaction, quoteIdent } from "@schematizer/postgres";
import type pg from "pg";
import type { BatcherCode } from "../batcher-codes.ts";
import { notifyWork } from "./load-queue.ts";
import { storableText } from "./storable-text.ts";

/** A record that could not become a row, kept with its bytes and why. */
export interface RejectedRecord {
  readonly offset: string;
  readonly key: string | null;
  /** The record's value, base64. */
  readonly value: string | null;
  readonly code: BatcherCode;
  readonly reason: string;
}

/** One file of a range, as stage 1 records it. */
export interface NewFile {
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
  readonly files: readonly NewFile[];
  readonly rejected: readonly (RejectedRecord & { app: string; objectKey: string })[];
}

export interface RangeLedger {
  /** The partition's ledger end, or undefined when nothing of it was committed yet. */
  partitionEnd(topic: string, partition: number): Promise<bigint | undefined>;
  /**
   * Commits a range in one transaction, fenced: only if `first` is the ledger end + 1 (or the
   * partition has no ledger row). Returns false, writing nothing, when fenced out.
   */
  commitRange(range: RangeCommit): Promise<boolean>;
  /** Ledger ends of every partition of the given topics. */
  ends(topics: readonly string[]): Promise<Map<string, Map<number, bigint>>>;
}

/** What a committed range covered, as `ranges` records it. */
export interface FencedRange {
  readonly topic: string;
  readonly partition: number;
  readonly first: bigint;
  readonly last: bigint;
  readonly unseen: bigint;
  readonly files: number;
  readonly rows: number;
  readonly rejected: number;
}

/**
 * The fence, inside the caller's transaction: moves the partition's ledger end to `range.last` if
 * the range starts right after it (or the partition has no row yet), and records the range.
 * False, having written nothing, when another writer moved the end first. Stage 1 and the
 * archive both commit through it; their topics (sql.*, raw.*) never share a row.
 *
 * @example
 * ```ts
 * await inTransaction(pool, async (client) => (await fenceRange(client, "batcher", range)) && (await writeFiles(client)));
 * ```
 */
export async function fenceRange(client: pg.ClientBase, schema: string, range: FencedRange): Promise<boolean> {
  const s = quoteIdent(schema);
  const first = range.first.toString();
  const last = range.last.toString();
  // One statement: the first range of a partition inserts its row; every later one moves the end
  // only if it starts right after it. Concurrent writers serialize on the row, and the loser finds
  // the end moved and updates nothing. (Two first ranges racing: the loser's insert fails with
  // 23505, which the caller counts as fenced out.)
  const fence = await client.query(
    `INSERT INTO ${s}.partition_ledger AS l (topic, partition, end_offset) VALUES ($1, $2, $4)
     ON CONFLICT (topic, partition) DO UPDATE SET end_offset = EXCLUDED.end_offset, updated_at = now()
     WHERE l.end_offset = $3::bigint - 1
     RETURNING end_offset`,
    [range.topic, range.partition, first, last],
  );
  if (fence.rowCount !== 1) return false;
  await client.query(
    `INSERT INTO ${s}.ranges (topic, partition, first_offset, last_offset, unseen_offsets, files, rows, rejected)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
    [range.topic, range.partition, first, last, range.unseen.toString(), range.files, range.rows, range.rejected],
  );
  return true;
}

/** Postgres's unique_violation: two first ranges of a new partition racing; the loser is fenced out. */
export const FIRST_RANGE_RACE = "23505";

/**
 * The range ledger in `schema`, over the control database's pool.
 *
 * @example
 * ```ts
 * const ranges = createRangeLedger(pool, "batcher");
 * if (await ranges.commitRange(range)) console.log("committed");
 * ```
 */
export function createRangeLedger(pool: pg.Pool, schema: string): RangeLedger {
  const s = quoteIdent(schema);

  async function commitRange(range: RangeCommit): Promise<boolean> {
    const first = range.first.toString();
    const last = range.last.toString();
    try {
      return await inTransaction(pool, async (client) => {
        const rows = range.files.reduce((n, f) => n + f.rows, 0);
        if (!(await fenceRange(client, schema, { ...range, files: range.files.length, rows, rejected: range.rejected.length }))) return false;
        if (range.files.length > 0) {
          await client.query(
            `INSERT INTO ${s}.batch_ledger (app, table_name, version, schema_id, data_key, manifest_key, meta_key, topic, partition,
               first_offset, last_offset, columns, rows, csv_bytes, gzip_bytes, oldest_received_at)
             SELECT f.app, f.table_name, f.version, f.schema_id, f.data_key, f.manifest_key, f.meta_key, $2, $3, $4, $5,
               f.columns, f.rows, f.csv_bytes, f.gzip_bytes, to_timestamp(f.oldest_received_at / 1e6)
             FROM jsonb_to_recordset($1::jsonb) AS f (app text, table_name text, version integer, schema_id integer, data_key text,
               manifest_key text, meta_key text, columns jsonb, rows bigint, csv_bytes bigint, gzip_bytes bigint, oldest_received_at double precision)`,
            [
              JSON.stringify(
                range.files.map((f) => ({
                  app: f.app,
                  table_name: f.table,
                  version: f.version,
                  schema_id: f.schemaId,
                  data_key: f.dataKey,
                  manifest_key: f.manifestKey,
                  meta_key: f.metaKey,
                  columns: f.columns,
                  rows: f.rows,
                  csv_bytes: f.csvBytes,
                  gzip_bytes: f.gzipBytes,
                  oldest_received_at: f.oldestReceivedAt,
                })),
              ),
              range.topic,
              range.partition,
              first,
              last,
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
        await notifyWork(client, schema, range.files.map((f) => f.app));
        return true;
      });
    } catch (error) {
      if ((error as { code?: string }).code === FIRST_RANGE_RACE) return false;
      throw error;
    }
  }

  return {
    async partitionEnd(topic, partition) {
      const { rows } = await pool.query<{ end_offset: string }>(`SELECT end_offset FROM ${s}.partition_ledger WHERE topic = $1 AND partition = $2`, [
        topic,
        partition,
      ]);
      return rows[0] === undefined ? undefined : BigInt(rows[0].end_offset);
    },
    commitRange,
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
