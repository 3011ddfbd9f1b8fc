/**
 * The raw archive's side of the ledger. Each file is named in `archive_files` before its upload
 * (`writing`) and becomes `archived` in the transaction that moves its partition's fence
 * (`fenceRange`, the same fence as stage 1's). The archive is exactly the `archived` files, so each
 * event is in one of them however often a crash or a rebalance made its range be written again.
 *
 * A file still `writing` once its partition's ledger end reached its range's first offset can
 * never be archived: the fence only accepts a range that starts right after the end, and another
 * range covered this one's start. Such files are left by a crash between upload and commit, or by
 * a consumer fenced out; `deadFiles` lists them and `forget` drops their rows once their objects
 * are deleted, so the bucket holds each event once too.
 */
import { inTransaction, quoteIdent } from "@schematizer/postgres";
import type pg from "pg";
import { fenceRange, FIRST_RANGE_RACE } from "./range-ledger.ts";

/** One file of the archive, as the ledger names it. */
export interface ArchiveFile {
  readonly objectKey: string;
  readonly app: string;
  /** The offsets of its first and last events. */
  readonly first: string;
  readonly last: string;
  readonly events: number;
  /** gzip bytes. */
  readonly bytes: number;
  /** Epoch milliseconds: the hour it is filed under, and its events' oldest and newest received times. */
  readonly hourMs: number;
  readonly oldestReceivedMs: number;
  readonly newestReceivedMs: number;
}

/** A range of a raw partition and the files its events were written to. */
export interface ArchiveRange {
  readonly topic: string;
  readonly partition: number;
  readonly first: bigint;
  readonly last: bigint;
  readonly unseen: bigint;
  /** Records of the range not archived (sent again by an operator, or with no value). */
  readonly skipped: number;
  readonly files: readonly ArchiveFile[];
}

export interface ArchiveLedger {
  /** Names the range's files as `writing`, before they are uploaded. */
  intend(range: ArchiveRange): Promise<void>;
  /**
   * Commits the range, fenced like stage 1's: moves the partition's end and marks its files
   * `archived`, in one transaction. False, changing nothing, when fenced out, or when one of its
   * files is no longer `writing` (swept as dead meanwhile).
   */
  commit(range: ArchiveRange): Promise<boolean>;
  /** Keys of the range's files no one archived, after it was fenced out: its leftovers, to delete. */
  abandon(range: ArchiveRange): Promise<string[]>;
  /** Keys of files that can never be archived (see above), at most `limit`. */
  deadFiles(limit: number): Promise<string[]>;
  /** Drops the rows of dead files whose objects were deleted. */
  forget(keys: readonly string[]): Promise<void>;
}

/** Thrown inside the commit's transaction to roll it back when a file is missing. */
class FileGone extends Error {}

/**
 * The archive ledger in `schema`, over the control database's pool.
 *
 * @example
 * ```ts
 * const archive = createArchiveLedger(pool, "batcher");
 * await archive.intend(range); // then upload, then:
 * if (!(await archive.commit(range))) await deleteObjects(await archive.abandon(range));
 * ```
 */
export function createArchiveLedger(pool: pg.Pool, schema: string): ArchiveLedger {
  const s = quoteIdent(schema);
  const keysOf = (range: ArchiveRange) => range.files.map((f) => f.objectKey);

  return {
    async intend(range) {
      if (range.files.length === 0) return;
      // A key names its range's offsets and its hour: two consumers writing it hold the same
      // events, so the second one's row is the first one's.
      await pool.query(
        `INSERT INTO ${s}.archive_files (object_key, app, topic, partition, range_first, first_offset, last_offset, events, bytes, hour,
           oldest_received_at, newest_received_at)
         SELECT f.object_key, f.app, $2, $3, $4, f.first_offset, f.last_offset, f.events, f.bytes, to_timestamp(f.hour_ms / 1e3),
           to_timestamp(f.oldest_ms / 1e3), to_timestamp(f.newest_ms / 1e3)
         FROM jsonb_to_recordset($1::jsonb) AS f (object_key text, app text, first_offset bigint, last_offset bigint, events integer,
           bytes bigint, hour_ms double precision, oldest_ms double precision, newest_ms double precision)
         ON CONFLICT (object_key) DO NOTHING`,
        [
          JSON.stringify(
            range.files.map((f) => ({
              object_key: f.objectKey,
              app: f.app,
              first_offset: f.first,
              last_offset: f.last,
              events: f.events,
              bytes: f.bytes,
              hour_ms: f.hourMs,
              oldest_ms: f.oldestReceivedMs,
              newest_ms: f.newestReceivedMs,
            })),
          ),
          range.topic,
          range.partition,
          range.first.toString(),
        ],
      );
    },

    async commit(range) {
      const events = range.files.reduce((n, f) => n + f.events, 0);
      try {
        return await inTransaction(pool, async (client) => {
          const fenced = { ...range, files: range.files.length, rows: events, rejected: range.skipped };
          if (!(await fenceRange(client, schema, fenced))) return false;
          if (range.files.length === 0) return true;
          const marked = await client.query(`UPDATE ${s}.archive_files SET state = 'archived' WHERE object_key = ANY($1::text[]) AND state = 'writing'`, [
            keysOf(range),
          ]);
          if (marked.rowCount !== range.files.length) throw new FileGone();
          return true;
        });
      } catch (error) {
        if (error instanceof FileGone || (error as { code?: string }).code === FIRST_RANGE_RACE) return false;
        throw error;
      }
    },

    async abandon(range) {
      if (range.files.length === 0) return [];
      // Fenced out, the range can never commit; a key of it someone archived (a second writer of
      // the same range, cut the same way) holds the same events and stays.
      const { rows } = await pool.query<{ object_key: string }>(
        `SELECT k AS object_key FROM unnest($1::text[]) AS k
         WHERE NOT EXISTS (SELECT 1 FROM ${s}.archive_files a WHERE a.object_key = k AND a.state = 'archived')`,
        [keysOf(range)],
      );
      return rows.map((r) => r.object_key);
    },

    async deadFiles(limit) {
      const { rows } = await pool.query<{ object_key: string }>(
        `SELECT a.object_key FROM ${s}.archive_files a
         JOIN ${s}.partition_ledger l ON l.topic = a.topic AND l.partition = a.partition
         WHERE a.state = 'writing' AND l.end_offset >= a.range_first
         LIMIT $1`,
        [limit],
      );
      return rows.map((r) => r.object_key);
    },

    async forget(keys) {
      if (keys.length === 0) return;
      await pool.query(`DELETE FROM ${s}.archive_files WHERE object_key = ANY($1::text[]) AND state = 'writing'`, [keys]);
    },
  };
}
