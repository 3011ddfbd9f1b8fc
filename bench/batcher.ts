/**
 * The batcher's throughput: rows already in `sql.<app>` (Avro, as the sqlizer writes them) drained
 * through gzip CSV files in S3 into Postgres tables, against a bare COPY FROM STDIN of the same
 * rows, as the same CSV, into tables of the same shape, in the same run.
 *
 * 1. N rows over several event kinds are produced to sql.bench first (not timed).
 * 2. Bare COPY: each table's CSV streamed from memory into a fresh table (primary key included,
 *    as the batcher's tables have), one COPY per table: one table at a time on one connection
 *    (`bare_copy_serial_rows_per_s`), then all tables at once (`bare_copy_rows_per_s`, the ratio's
 *    baseline, since the batcher loads tables in parallel too).
 * 3. The batcher runs as a process (its main.ts, as in production); the clock starts when it logs
 *    that it is starting its consumers and loader, and stops when the ledger says every row is
 *    loaded. Peak RSS is its VmHWM.
 *
 * Run: npm run bench:batcher   (needs `npm run stack -- up`; BATCHER_BENCH_ROWS, BATCHER_BENCH_TABLES)
 * The last line printed is one JSON object with the figures.
 */
import { randomBytes } from "node:crypto";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { waitFor } from "@schematizer/errors";
import { confluentEncode, topicsFor } from "@schematizer/contracts";
import type { ProducedMessage } from "@schematizer/kafka";
import { createPool, quoteIdent } from "@schematizer/postgres";
import { dropBucket, ensureBucket, s3Client } from "@schematizer/s3";
import { coerce, observe, type TableSchema } from "@schematizer/schema";
import { planPostgres } from "@schematizer/warehouse";
import { from as copyFrom } from "pg-copy-streams";
import { CsvRowEncoder } from "../apps/batcher/src/staging/csv.ts";
import { batcherEnv, benchScratch, freePort, report, startBenchService } from "./bench-kit.ts";

const ROWS = Number(process.env.BATCHER_BENCH_ROWS ?? 500_000);
const TABLES = Number(process.env.BATCHER_BENCH_TABLES ?? 4);
const PARTITIONS = 4;
const APP = "bench";

const scratch = await benchScratch();
const bucket = `bench-${randomBytes(4).toString("hex")}`;
const s3 = s3Client(scratch.endpoints.s3);
await ensureBucket(s3, bucket);
const warehouse = createPool({ connectionString: scratch.endpoints.postgres.url, max: TABLES + 1 });
const bareSchema = `${scratch.schema}_bare`;
let batcher: Awaited<ReturnType<typeof startBenchService>> | undefined;

/** A plausible event body: a few numbers, a flag, short text, a timestamp, nested fields. */
function body(i: number): Record<string, unknown> {
  return {
    level: i % 97,
    score: (i % 1000) + 0.5,
    mission_name: `mission ${i % 500}, "${i % 13}"`,
    is_premium: i % 3 === 0,
    started_at: "2015-01-01T00:31:32.123456Z",
    device: { os: i % 2 === 0 ? "ios" : "android", version: `9.${i % 10}` },
    session: `s-${(i * 2654435761) % 1_000_003}`,
  };
}

try {
  await scratch.createApp(APP, PARTITIONS);
  const sqlTopic = topicsFor(APP, scratch.prefix).sql;

  // 1. Produce the rows, and keep each table's CSV for the bare COPY.
  const producer = await scratch.kafka.producer({ acksAll: false });
  const csv = new Map<string, { schema: TableSchema; chunks: string[] }>();
  const receivedAt = Date.now() * 1000;
  let batch: ProducedMessage[] = [];
  for (let i = 0; i < ROWS; i++) {
    const evname = `kind_${i % TABLES}`;
    const event = { ts: 1_420_072_292_000_000 + i, entype: "user", evname, body: body(i) as never };
    const { version } = await scratch.registry.evolve(APP, "user", evname, observe(event.body));
    const { row } = coerce(version.schema, event, { id: `e${i}`, receivedAt });
    batch.push({ key: version.table, value: confluentEncode(version.id, version.schema, row) });
    let table = csv.get(version.table);
    if (table === undefined) csv.set(version.table, (table = { schema: version.schema, chunks: [] }));
    // Every body has the same shape, so each table has one version and one CSV layout.
    if (table.schema.version !== version.schema.version) throw new Error(`${version.table} evolved mid-bench`);
    table.chunks.push(new CsvRowEncoder(version.schema).encode(row.values).line);
    if (batch.length === 5_000) {
      await producer.send([{ topic: sqlTopic, messages: batch }]);
      batch = [];
    }
  }
  if (batch.length > 0) await producer.send([{ topic: sqlTopic, messages: batch }]);
  await producer.close();
  console.log(`produced ${ROWS} rows over ${csv.size} tables`);

  // 2. Bare COPY of the same CSV into tables of the same shape: one table after the other on one
  //    connection, then all tables at once on their own connections (the batcher loads tables in
  //    parallel too, so that is the stricter baseline and the one the ratio uses).
  const bareCopy = async (schemaName: string, parallel: boolean): Promise<number> => {
    await warehouse.query(`CREATE SCHEMA ${quoteIdent(schemaName)}`);
    for (const { schema } of csv.values()) for (const s of planPostgres(null, schema, { schema: schemaName })) await warehouse.query(s.sql);
    const copyTable = async ({ schema, chunks }: { schema: TableSchema; chunks: string[] }) => {
      const client = await warehouse.connect();
      try {
        const columns = schema.columns.map((c) => quoteIdent(c.name)).join(", ");
        const lines = (function* () {
          for (let i = 0; i < chunks.length; i += 1000) yield chunks.slice(i, i + 1000).join("");
        })();
        await pipeline(Readable.from(lines), client.query(copyFrom(`COPY ${quoteIdent(schemaName)}.${quoteIdent(schema.table)} (${columns}) FROM STDIN WITH (FORMAT csv)`)));
      } finally {
        client.release();
      }
    };
    const started = performance.now();
    if (parallel) await Promise.all([...csv.values()].map(copyTable));
    else for (const table of csv.values()) await copyTable(table);
    return (performance.now() - started) / 1000;
  };
  const serialSeconds = await bareCopy(`${bareSchema}_serial`, false);
  const bareSeconds = await bareCopy(`${bareSchema}_parallel`, true);
  csv.clear();
  console.log(`bare COPY: ${ROWS} rows in ${serialSeconds.toFixed(2)} s one table at a time, ${bareSeconds.toFixed(2)} s all tables at once`);

  // 3. The batcher drains the topic into the warehouse.
  batcher = await startBenchService(
    "batcher",
    batcherEnv(scratch, bucket, await freePort()),
    // Everything before this line is start-up that does not depend on the rows (loading code,
    // connecting, migrations); joining the group and everything after it is timed.
    "batcher starting",
  );
  const start = performance.now();
  await waitFor(
    "every row loaded",
    async () => {
      const { rows } = await scratch.pool.query<{ n: string | null }>(
        `SELECT sum(rows_inserted) AS n FROM ${quoteIdent(scratch.schema)}.batch_ledger WHERE state = 'loaded'`,
      );
      return Number(rows[0]?.n ?? 0) >= ROWS ? true : undefined;
    },
    { timeoutMs: 600_000, intervalMs: 50 },
  );
  const seconds = (performance.now() - start) / 1000;
  const rss = batcher.peakRssMb();
  const counted = await scratch.pool.query<{ files: string; gzip: string; csv: string }>(
    `SELECT count(*) AS files, sum(gzip_bytes) AS gzip, sum(csv_bytes) AS csv FROM ${quoteIdent(scratch.schema)}.batch_ledger`,
  );
  console.log(`batcher: ${ROWS} rows in ${seconds.toFixed(2)} s, ${counted.rows[0]?.files} files, gzip ${counted.rows[0]?.gzip} of ${counted.rows[0]?.csv} CSV bytes`);
  const rowsPerS = ROWS / seconds;
  const bareRowsPerS = ROWS / bareSeconds;
  report({
    bench: "batcher",
    rows: ROWS,
    tables: TABLES,
    rows_per_s: Math.round(rowsPerS),
    bare_copy_rows_per_s: Math.round(bareRowsPerS),
    ratio: Number((rowsPerS / bareRowsPerS).toFixed(2)),
    bare_copy_serial_rows_per_s: Math.round(ROWS / serialSeconds),
    ratio_serial: Number((rowsPerS / (ROWS / serialSeconds)).toFixed(2)),
    rss_mb: rss,
  });
} finally {
  await batcher?.stop();
  const { rows } = await warehouse.query<{ nspname: string }>(`SELECT nspname FROM pg_namespace WHERE nspname LIKE $1`, [`${scratch.schema}\\_%`]);
  for (const r of rows) await warehouse.query(`DROP SCHEMA ${quoteIdent(r.nspname)} CASCADE`);
  await warehouse.end();
  await dropBucket(s3, bucket);
  s3.destroy();
  await scratch.cleanup();
}
