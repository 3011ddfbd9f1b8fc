/**
 * How a load's files get into a Postgres table, inside the load's transaction: each file is
 * streamed from S3 through gunzip into COPY FROM STDIN (no temp file; memory bounded by the
 * streams' buffers).
 *
 * Rows whose `_sz_id` is already in the table are skipped by the table's primary key. A file is
 * first copied straight into the table inside a savepoint: when no id repeats — the usual case —
 * that is the whole load, at the speed of a bare COPY. When one does (a replayed file, a client
 * retry), the savepoint is rolled back and the file goes through a staging table instead:
 * `INSERT … SELECT … ORDER BY <file order> ON CONFLICT (_sz_id) DO NOTHING` keeps the first
 * occurrence of each new id and skips the ids already there. Either way the table gains exactly the
 * rows whose id is new.
 *
 * A table with a dimension always loads through staging, and the insert from staging also merges
 * its new rows into the dimension table, in the same statement (postgres-dimension.ts): the
 * dimension changes exactly when the rows land.
 *
 * Each file loads inside a savepoint of its own. When Postgres refuses rows of it (a value its
 * column cannot hold, a row too big, a constraint added by hand), the file's savepoint is rolled
 * back and the file is loaded again without them (postgres-set-aside.ts): they are returned to be
 * set aside, the rest commits with the other files.
 */
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { createGunzip } from "node:zlib";
import { quoteIdent } from "@schematizer/postgres";
import type { ObjectStore } from "@schematizer/s3";
import { SYSTEM_COLUMNS } from "@schematizer/schema";
import type pg from "pg";
import { from as copyFrom } from "pg-copy-streams";
import type { Dimension } from "../dimension/dimension-tables.ts";
import { loadError } from "../load-codes.ts";
import type { FilesLoaded } from "../load-sequence.ts";
import type { LoadFile, RefusedRow } from "../warehouse.ts";
import { postgresStagedLoadSql } from "./postgres-dimension.ts";
import { isRowError, loadAcceptedRows } from "./postgres-set-aside.ts";

const UNIQUE_VIOLATION = "23505";

/** The rows of a file, as gzip CSV from the bucket or CSV already in memory. */
type Source = { readonly key: string } | { readonly csv: Buffer };

/** One table's files to copy, and how. */
export interface FileCopy {
  readonly store: ObjectStore;
  /** The app's warehouse schema. */
  readonly schema: string;
  readonly table: string;
  /** The files' columns, in their CSV order. */
  readonly columns: readonly string[];
  readonly dimension: Dimension | undefined;
  /** Tables whose recent loads met duplicate ids, with how many more loads go through staging first. */
  readonly stagingFirst: Map<string, number>;
  /** After a duplicate id, how many loads of the table go straight to staging. */
  readonly streak: number;
  /** Rows of one file that may be set aside; beyond, its batch is parked. */
  readonly maxSetAsideRows: number;
}

/**
 * Copies the files into their table, each under a savepoint, setting refused rows apart; checks
 * each file's row count against the ledger's.
 *
 * @example
 * ```ts
 * const { inserted, refused } = await copyFiles(client, { store, schema: "acme", table, columns, dimension: undefined, stagingFirst, streak: 8, maxSetAsideRows: 1000 }, files);
 * ```
 */
export async function copyFiles(client: pg.ClientBase, copy: FileCopy, files: readonly LoadFile[]): Promise<FilesLoaded> {
  const { store, schema, dimension } = copy;
  const table = `${quoteIdent(schema)}.${quoteIdent(copy.table)}`;
  const columns = copy.columns.map(quoteIdent).join(", ");
  const streakKey = `${schema}.${copy.table}`;

  async function copyInto(into: string, source: Source): Promise<number> {
    const statement = `COPY ${into} (${columns}) FROM STDIN WITH (FORMAT csv)`;
    if ("csv" in source) {
      const stream = client.query(copyFrom(statement));
      await pipeline(Readable.from([source.csv]), stream);
      return stream.rowCount;
    }
    const { key } = source;
    // The file first: a COPY started without its data would hold the connection.
    const body = await store.getStream(key);
    if (body === undefined) throw loadError("BATCHER_FILE_MISSING", `batch file ${key} is not in the bucket`, { context: { key } });
    const stream = client.query(copyFrom(statement));
    try {
      await pipeline(body, createGunzip(), stream);
    } catch (error) {
      if (typeof (error as { code?: unknown }).code === "string" && (error as { code: string }).code.startsWith("Z_")) {
        throw loadError("BATCHER_FILE_CORRUPT", `batch file ${key} is not valid gzip`, { cause: error, context: { key } });
      }
      throw error;
    }
    return stream.rowCount;
  }

  let staged = false;
  async function stage(): Promise<void> {
    if (staged) {
      // Rolling back to a savepoint set before it was created (a file whose rows were refused) drops it.
      const found = await client.query<{ present: boolean }>(`SELECT to_regclass('pg_temp."_sz_stage"') IS NOT NULL AS present`);
      if (found.rows[0]?.present === true) {
        await client.query(`TRUNCATE "_sz_stage"`);
        return;
      }
    }
    await client.query(`CREATE TEMP TABLE "_sz_stage" (LIKE ${table}) ON COMMIT DROP`);
    await client.query(`ALTER TABLE "_sz_stage" ADD COLUMN "_sz_ord" bigint GENERATED ALWAYS AS IDENTITY`);
    staged = true;
  }

  async function viaStaging(source: Source): Promise<{ copied: number; inserted: number }> {
    await stage();
    const copied = await copyInto(`"_sz_stage"`, source);
    if (dimension !== undefined) {
      const merged = await client.query<{ inserted: string }>(postgresStagedLoadSql(schema, dimension, copy.columns));
      return { copied, inserted: Number(merged.rows[0]?.inserted ?? 0) };
    }
    const result = await client.query(
      `INSERT INTO ${table} (${columns}) SELECT ${columns} FROM "_sz_stage" ORDER BY "_sz_ord"
       ON CONFLICT (${quoteIdent(SYSTEM_COLUMNS.id)}) DO NOTHING`,
    );
    return { copied, inserted: result.rowCount ?? 0 };
  }

  /** Straight into the table, or through staging when an id repeats. */
  async function directOrStaged(source: Source): Promise<{ copied: number; inserted: number }> {
    const left = copy.stagingFirst.get(streakKey) ?? 0;
    if (left > 0 || dimension !== undefined) {
      if (left > 0) copy.stagingFirst.set(streakKey, left - 1);
      return viaStaging(source);
    }
    await client.query("SAVEPOINT sz_direct");
    try {
      const copied = await copyInto(table, source);
      await client.query("RELEASE SAVEPOINT sz_direct");
      return { copied, inserted: copied };
    } catch (error) {
      if ((error as { code?: string }).code !== UNIQUE_VIOLATION) throw error;
      await client.query("ROLLBACK TO SAVEPOINT sz_direct");
      copy.stagingFirst.set(streakKey, copy.streak);
      return viaStaging(source);
    }
  }

  const inserted = new Map<string, number>();
  const refused: RefusedRow[] = [];
  for (const file of files) {
    let outcome: { copied: number; inserted: number };
    await client.query("SAVEPOINT sz_file");
    try {
      outcome = await directOrStaged({ key: file.key });
      await client.query("RELEASE SAVEPOINT sz_file");
    } catch (error) {
      if (!isRowError(error)) throw error;
      // Postgres refused rows of this file: load it again without them.
      await client.query("ROLLBACK TO SAVEPOINT sz_file");
      const gzip = await store.get(file.key);
      if (gzip === undefined) throw loadError("BATCHER_FILE_MISSING", `batch file ${file.key} is not in the bucket`, { context: { key: file.key } });
      const accepted = await loadAcceptedRows(client, { key: file.key, gzip }, async (csv) => (await directOrStaged({ csv })).inserted, copy.maxSetAsideRows);
      refused.push(...accepted.refused);
      outcome = { copied: accepted.copied + accepted.refused.length, inserted: accepted.inserted };
    }
    if (outcome.copied !== file.rows) {
      throw loadError("BATCHER_ROW_COUNT_MISMATCH", `${file.key} holds ${outcome.copied} rows, the ledger says ${file.rows}`, {
        context: { key: file.key, copied: outcome.copied, expected: file.rows },
      });
    }
    inserted.set(file.key, outcome.inserted);
  }
  return { inserted, refused };
}
