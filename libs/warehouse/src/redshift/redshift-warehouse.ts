/**
 * The Redshift warehouse: COPY FROM S3 with a manifest into a temporary staging table, then the
 * new ids into the table, in the transaction of the exactly-once sequence (../load-sequence.ts).
 * The table's DDL runs before that transaction, resumable (redshift-evolve.ts).
 *
 * A table with a dimension (../dimension/dimension-tables.ts: identifies and groups) keeps it in
 * the load's transaction: a new dimension table is created and filled from the event table there,
 * and each load merges its rows into it after they are in the event table
 * (redshift-dimension.ts). An existing dimension table's DDL follows the runner contract like the
 * event table's, from its own version.
 *
 * COPY runs with MAXERROR: the rows Redshift cannot load are skipped and listed in
 * SYS_LOAD_ERROR_DETAIL; the load reads them back from their files and hands them to the loader
 * to be set aside, in the transaction that loads the rest (redshift-set-aside.ts). More bad rows
 * than allowed fail the COPY, and the batch is parked (BATCHER_TOO_MANY_BAD_ROWS).
 */
import { quoteIdent } from "@schematizer/postgres";
import { loadError } from "../load-codes.ts";
import { classifyLoadError } from "../load-errors.ts";
import { dialectWarehouse, type DialectLoad, type TableLoad, type WarehouseConnection } from "../load-sequence.ts";
import { dimensionOf } from "../dimension/dimension-tables.ts";
import type { LoadFile, RefusedRow, SchemaRef, Warehouse } from "../warehouse.ts";
import { REDSHIFT_BOOKKEEPING, saveProgress } from "./redshift-bookkeeping.ts";
import { copyManifest, copySql, loadErrorsSql, mergeSql, REDSHIFT_MAX_ERRORS, type CopyCredentials } from "./redshift-copy.ts";
import { planRedshift } from "./redshift-ddl.ts";
import { redshiftBackfillSql, redshiftMergeSql } from "./redshift-dimension.ts";
import { evolveRedshiftTable } from "./redshift-evolve.ts";
import { skippedRows } from "./redshift-set-aside.ts";

/** A pool to the cluster (Redshift speaks the Postgres protocol), and the bucket the files are in (combined manifests are written there too). */
export interface RedshiftWarehouseOptions extends WarehouseConnection {
  readonly credentials: CopyCredentials;
  readonly region?: string;
  /** Rows of one load COPY may skip and set aside (its MAXERROR, at most 100,000; default 1000). */
  readonly maxSetAsideRows?: number;
}

/** A COPY that failed: its load errors say why, once the transaction is rolled back. */
class CopyFailed extends Error {
  constructor(readonly failure: unknown) {
    super(failure instanceof Error ? failure.message : String(failure));
  }
}

/** The dimension's version its table was last brought to, as a schema of the dimension itself. */
function dimensionBase(request: TableLoad["request"]): SchemaRef | undefined {
  const base = request.dimensionCurrent;
  const dimension = base === undefined ? undefined : dimensionOf(base.schema);
  return base === undefined || dimension === undefined ? undefined : { id: base.id, schema: dimension.schema };
}

/**
 * The Redshift warehouse.
 *
 * @example
 * ```ts
 * const warehouse = redshiftWarehouse({ pool, store, credentials: { iamRole: "arn:aws:iam::123:role/copy" } });
 * ```
 */
export function redshiftWarehouse(options: RedshiftWarehouseOptions): Warehouse {
  const { store } = options;
  const maxErrors = Math.min(REDSHIFT_MAX_ERRORS, options.maxSetAsideRows ?? 1000);

  /** The files' manifest: a file's own, or one written for the files of this load. */
  async function manifestOf(app: string, table: string, files: readonly LoadFile[]): Promise<string> {
    const head = files[0] as LoadFile;
    if (files.length === 1) return head.manifestKey;
    const key = `manifests/${app}/${table}/${head.key.split("/").at(-1)}+${files.length}.manifest`;
    const manifest = copyManifest(store.bucket, files.map((f) => ({ key: f.key, bytes: f.gzipBytes })));
    await store.put(key, JSON.stringify(manifest), { contentType: "application/json" });
    return key;
  }

  const load: DialectLoad = {
    dialect: "redshift",
    bookkeeping: REDSHIFT_BOOKKEEPING,
    async beforeTransaction(client, { schema, request }) {
      await evolveRedshiftTable(client, schema, request.current, request.target);
      const dimension = dimensionOf(request.target.schema);
      const base = dimensionBase(request);
      if (dimension !== undefined && base !== undefined) await evolveRedshiftTable(client, schema, base, { id: request.target.id, schema: dimension.schema });
    },
    async loadFiles(client, { schema, request }, files) {
      const { app, target, fileVersion } = request;
      const table = target.schema.table;
      const columns = fileVersion.schema.columns.map((c) => c.name);
      const dimension = dimensionOf(target.schema);
      const manifestKey = await manifestOf(app, table, files);
      await client.query(`CREATE TEMP TABLE "_sz_stage" (LIKE ${quoteIdent(schema)}.${quoteIdent(table)})`);
      try {
        await client.query(
          copySql({
            schema,
            into: "_sz_stage",
            temporary: true,
            columns,
            manifestUrl: `s3://${store.bucket}/${manifestKey}`,
            credentials: options.credentials,
            ...(options.region === undefined ? {} : { region: options.region }),
            maxErrors,
          }),
        );
      } catch (error) {
        throw new CopyFailed(error);
      }
      const counted = Number((await client.query<{ n: string }>("SELECT pg_last_copy_count() AS n")).rows[0]?.n);
      const expected = files.reduce((n, f) => n + f.rows, 0);
      if (counted > expected) throw loadError("BATCHER_ROW_COUNT_MISMATCH", `COPY loaded ${counted} rows, the ledger says ${expected}`);
      const refused: RefusedRow[] = counted < expected ? await skippedRows(client, store, expected - counted, files.map((f) => f.key)) : [];
      if (dimension !== undefined && dimensionBase(request) === undefined) {
        // Made with the rows its event table holds, in the transaction that loads the next ones.
        for (const statement of planRedshift(null, dimension.schema, { schema })) await client.query(statement.sql);
        for (const sql of redshiftBackfillSql(schema, dimension)) await client.query(sql);
        await saveProgress(client, schema, dimension.table, { version: dimension.schema.version, schema_id: target.id, plan_schema_id: null, plan_step: null });
      }
      const merged = await client.query(mergeSql({ schema, table, columns }));
      if (dimension !== undefined) for (const sql of redshiftMergeSql(schema, dimension)) await client.query(sql);
      await client.query(`DROP TABLE "_sz_stage"`);
      // Per-file counts are unknown after one COPY of many files: the load's total is on its first.
      const inserted = new Map(files.map((f, i) => [f.key, i === 0 ? (merged.rowCount ?? 0) : 0]));
      return { inserted, refused };
    },
    async explain(client, error) {
      if (!(error instanceof CopyFailed)) return error;
      const details = await client.query(loadErrorsSql(5)).then((r) => r.rows, () => []);
      const coded = classifyLoadError(error.failure);
      return loadError(coded.code, details.length > 0 ? `${coded.message}: ${JSON.stringify(details)}` : coded.message, {
        cause: error.failure,
        context: { ...coded.context, loadErrors: details },
      });
    },
  };
  return dialectWarehouse(options, load);
}
