/**
 * The Redshift warehouse: COPY FROM S3 with a manifest into a temporary staging table, then the
 * new ids into the table and the batch keys into `_sz_loads`, in one transaction. DDL follows
 * libs/schema's runner contract: statements that cannot run in a transaction block (VARCHAR
 * resizes, ADD COLUMN) run alone and are idempotent; each run of transactional statements commits
 * together with the plan's progress in `_sz_tables`, so a crash never repeats a committed run.
 *
 * A table with a dimension (dimension-tables.ts: identifies and groups) keeps it in the load's
 * transaction: a new dimension table is created and filled from the event table there, and each
 * load merges its rows into it after they are in the event table (dimension-sql.ts). An existing
 * dimension table's DDL follows the runner contract like the event table's, from its own version.
 *
 * COPY runs with MAXERROR: the rows Redshift cannot load are skipped and listed in
 * SYS_LOAD_ERROR_DETAIL; the load reads them back from their files and hands them to the loader
 * to be set aside, in the transaction that loads the rest. More bad rows than allowed fail the
 * COPY, and the batch is parked (BATCHER_TOO_MANY_BAD_ROWS).
 */
import { promisify } from "node:util";
import { gunzip as gunzipCallback } from "node:zlib";
import type { ObjectStore } from "@schematizer/s3";
import { planRedshift, quoteIdent, type DdlStatement } from "@schematizer/schema";
import type pg from "pg";
import { copyManifest } from "./batch-key.ts";
import { batcherError } from "./batcher-codes.ts";
import { redshiftBackfillSql, redshiftMergeSql } from "./dimension-sql.ts";
import { dimensionOf } from "./dimension-tables.ts";
import { classifyLoadError } from "./load-error-classes.ts";
import { refusedRows, type FileText, type LoadErrorRow } from "./redshift-set-aside.ts";
import { copySql, loadErrorsSql, mergeSql, redshiftPrepareStatements, REDSHIFT_MAX_ERRORS, type CopyCredentials } from "./redshift-sql.ts";
import { byKey, oncePerKey, probeWarehouse, withLoadConnection, type LoadRequest, type LoadResult, type RefusedRow, type SchemaRef, type Warehouse } from "./warehouse.ts";

const gunzip = promisify(gunzipCallback);

export interface RedshiftWarehouseOptions {
  /** A pool to the cluster (Redshift speaks the Postgres protocol). */
  readonly pool: pg.Pool;
  /** The bucket the batch files are in; combined manifests are written there too. */
  readonly store: ObjectStore;
  readonly credentials: CopyCredentials;
  readonly region?: string;
  readonly schemaPrefix?: string;
  /** Rows of one load COPY may skip and set aside (its MAXERROR, at most 100,000; default 1000). */
  readonly maxSetAsideRows?: number;
}

interface Progress {
  version: number;
  schema_id: number;
  plan_schema_id: number | null;
  plan_step: number | null;
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
  const { pool, store } = options;
  const prefix = options.schemaPrefix ?? "";
  const schemaOf = (app: string) => `${prefix}${app}`;
  const maxErrors = Math.min(REDSHIFT_MAX_ERRORS, options.maxSetAsideRows ?? 1000);

  /** The rows a COPY skipped, read back from their files. */
  async function skippedRows(client: pg.PoolClient, missing: number, keys: readonly string[]): Promise<RefusedRow[]> {
    const errors = (await client.query<LoadErrorRow>(loadErrorsSql(missing * 4 + 10))).rows;
    const named = new Set(errors.map((e) => e.file_name.trim()));
    const files: FileText[] = [];
    for (const key of keys) {
      if (!named.has(`s3://${store.bucket}/${key}`)) continue;
      const body = await store.get(key);
      if (body === undefined) throw batcherError("BATCHER_FILE_MISSING", `batch file ${key} is not in the bucket`, { context: { key } });
      files.push({ key, text: await gunzip(body) });
    }
    const { rows, unknown } = refusedRows(errors, files, store.bucket);
    if (rows.length < missing || unknown.length > 0) {
      // SYS views can lag the COPY: roll back and try again rather than lose a row.
      throw batcherError("BATCHER_LOAD_ERRORS_UNREPORTED", `COPY skipped ${missing} rows; sys_load_error_detail names ${rows.length} of them`, {
        context: { missing, named: rows.length, unknown: unknown.length },
      });
    }
    if (rows.length > missing) {
      throw batcherError("BATCHER_ROW_COUNT_MISMATCH", `COPY skipped ${missing} rows; sys_load_error_detail names ${rows.length}`, { context: { missing } });
    }
    return rows;
  }

  /** Loads of several tables of an app ask at the same moment: one run. */
  const prepare = oncePerKey(async (app) => {
    for (const statement of redshiftPrepareStatements(schemaOf(app))) await pool.query(statement);
  });

  async function progressOf(client: pg.PoolClient, schema: string, table: string): Promise<Progress | undefined> {
    const { rows } = await client.query<Progress>(
      `SELECT version, schema_id, plan_schema_id, plan_step FROM ${quoteIdent(schema)}."_sz_tables" WHERE table_name = $1`,
      [table],
    );
    return rows[0];
  }

  async function saveProgress(client: pg.PoolClient, schema: string, table: string, p: Progress): Promise<void> {
    const t = `${quoteIdent(schema)}."_sz_tables"`;
    await client.query(`DELETE FROM ${t} WHERE table_name = $1`, [table]);
    await client.query(`INSERT INTO ${t} (table_name, version, schema_id, plan_schema_id, plan_step) VALUES ($1, $2, $3, $4, $5)`, [
      table,
      p.version,
      p.schema_id,
      p.plan_schema_id,
      p.plan_step,
    ]);
  }

  async function runAlone(client: pg.PoolClient, statement: DdlStatement): Promise<void> {
    try {
      await client.query(statement.sql);
    } catch (error) {
      if ((error as { code?: string }).code !== statement.ignoreSqlState || statement.ignoreSqlState === undefined) throw error;
    }
  }

  /** Brings the table to `target`, resuming a plan a crash interrupted. */
  async function evolve(client: pg.PoolClient, schema: string, current: SchemaRef | undefined, target: SchemaRef): Promise<void> {
    const table = target.schema.table;
    const before = await progressOf(client, schema, table);
    if (before !== undefined && before.version >= target.schema.version) return;
    const plan = planRedshift(current?.schema ?? null, target.schema, { schema });
    let step = before?.plan_schema_id === target.id ? (before.plan_step ?? 0) : 0;
    const base = { version: before?.version ?? 0, schema_id: before?.schema_id ?? target.id, plan_schema_id: target.id };
    while (step < plan.length) {
      const statement = plan[step] as DdlStatement;
      if (!statement.transactional) {
        await runAlone(client, statement);
        step++;
        await client.query("BEGIN");
        await saveProgress(client, schema, table, { ...base, plan_step: step });
        await client.query("COMMIT");
        continue;
      }
      await client.query("BEGIN");
      while (step < plan.length && (plan[step] as DdlStatement).transactional) {
        await client.query((plan[step] as DdlStatement).sql);
        step++;
      }
      await saveProgress(client, schema, table, { ...base, plan_step: step });
      await client.query("COMMIT");
    }
    await client.query("BEGIN");
    await saveProgress(client, schema, table, { version: target.schema.version, schema_id: target.id, plan_schema_id: null, plan_step: null });
    await client.query("COMMIT");
  }

  async function load(request: LoadRequest): Promise<LoadResult> {
    const { app, target, files } = request;
    await prepare(app);
    const schema = schemaOf(app);
    const s = quoteIdent(schema);
    const table = target.schema.table;
    const columns = files.schema.columns.map((c) => c.name);
    const dimension = dimensionOf(target.schema);
    const base = request.dimensionCurrent;
    const baseDimension = base === undefined ? undefined : dimensionOf(base.schema);
    const dimensionCurrent = base === undefined || baseDimension === undefined ? undefined : { id: base.id, schema: baseDimension.schema };
    return withLoadConnection(pool, async (client) => {
      await evolve(client, schema, request.current, target);
      if (dimension !== undefined && dimensionCurrent !== undefined) {
        await evolve(client, schema, dimensionCurrent, { id: target.id, schema: dimension.schema });
      }

      await client.query("BEGIN");
      const keys = request.batches.map((b) => b.key);
      const done = await client.query<{ batch_key: string }>(
        `SELECT batch_key FROM ${s}."_sz_loads" WHERE batch_key IN (${keys.map((_, i) => `$${i + 1}`).join(", ")})`,
        keys,
      );
      const alreadyLoaded = done.rows.map((r) => r.batch_key);
      const todo = request.batches.filter((b) => !alreadyLoaded.includes(b.key));
      const inserted = new Map<string, number>();
      if (todo.length === 0) {
        await client.query("COMMIT");
        return { inserted, alreadyLoaded, refused: new Map() };
      }
      let manifestKey = todo[0]!.manifestKey;
      if (todo.length > 1) {
        manifestKey = `manifests/${app}/${table}/${todo[0]!.key.split("/").at(-1)}+${todo.length}.manifest`;
        const manifest = copyManifest(store.bucket, todo.map((b) => ({ key: b.key, bytes: b.gzipBytes })));
        await store.put(manifestKey, JSON.stringify(manifest), { contentType: "application/json" });
      }
      await client.query(`CREATE TEMP TABLE "_sz_stage" (LIKE ${s}.${quoteIdent(table)})`);
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
        await client.query("ROLLBACK").catch(() => undefined);
        const details = await client.query(loadErrorsSql(5)).then((r) => r.rows, () => []);
        const coded = classifyLoadError(error);
        throw batcherError(coded.code, details.length > 0 ? `${coded.message}: ${JSON.stringify(details)}` : coded.message, {
          cause: error,
          context: { ...coded.context, loadErrors: details },
        });
      }
      const counted = Number((await client.query<{ n: string }>("SELECT pg_last_copy_count() AS n")).rows[0]?.n);
      const expected = todo.reduce((n, b) => n + b.rows, 0);
      if (counted > expected) {
        throw batcherError("BATCHER_ROW_COUNT_MISMATCH", `COPY loaded ${counted} rows, the ledger says ${expected}`);
      }
      const refused = counted < expected ? await skippedRows(client, expected - counted, todo.map((b) => b.key)) : [];
      if (dimension !== undefined && dimensionCurrent === undefined) {
        // Made with the rows its event table holds, in the transaction that loads the next ones.
        for (const statement of planRedshift(null, dimension.schema, { schema })) await client.query(statement.sql);
        for (const sql of redshiftBackfillSql(schema, dimension)) await client.query(sql);
        await saveProgress(client, schema, dimension.table, { version: dimension.schema.version, schema_id: target.id, plan_schema_id: null, plan_step: null });
      }
      const merged = await client.query(mergeSql({ schema, table, columns }));
      if (dimension !== undefined) for (const sql of redshiftMergeSql(schema, dimension)) await client.query(sql);
      await client.query(`DROP TABLE "_sz_stage"`);
      const loadId = todo[0]!.key;
      const values = todo.map((_, i) => `($${i * 4 + 1}, $${i * 4 + 2}, $${i * 4 + 3}, $${i * 4 + 4}, ${i === 0 ? (merged.rowCount ?? 0) : 0})`).join(", ");
      await client.query(
        `INSERT INTO ${s}."_sz_loads" (batch_key, table_name, version, rows_in_file, rows_inserted) VALUES ${values}`,
        todo.flatMap((b) => [b.key, table, files.schema.version, b.rows]),
      );
      if (refused.length > 0) await request.setAside(refused);
      request.beforeCommit?.();
      await client.query("COMMIT");
      // Per-file counts are unknown after one COPY of many files: the load's total is on its first.
      todo.forEach((b) => inserted.set(b.key, b.key === loadId ? (merged.rowCount ?? 0) : 0));
      return { inserted, alreadyLoaded, refused: byKey(refused) };
    });
  }

  return {
    dialect: "redshift",
    schemaOf,
    async appliedVersion(app, table) {
      await prepare(app);
      const { rows } = await pool.query<{ version: number; schema_id: number }>(
        `SELECT version, schema_id FROM ${quoteIdent(schemaOf(app))}."_sz_tables" WHERE table_name = $1`,
        [table],
      );
      const row = rows[0];
      return row === undefined || row.version === 0 ? undefined : { version: row.version, schemaId: row.schema_id };
    },
    load,
    probe: () => probeWarehouse(pool, store),
    close: () => pool.end(),
  };
}
