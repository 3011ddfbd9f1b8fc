/**
 * Where each event of a test ended: rows in the warehouse (by `_sz_id`, over every table of an
 * app), dead letters in `dlq.<app>` (by their `sz-id` header), rows the loader set aside, and the
 * raw archive. The law the pipeline keeps: every accepted event ends as exactly one of the first
 * three, and is in the archive once.
 */
import { gunzipSync } from "node:zlib";
import { retry, waitFor } from "@schematizer/errors";
import { readArchiveLine, readDeadLetter, type ArchivedEvent } from "@schematizer/contracts";
import type { Consumer, KafkaClient } from "@schematizer/kafka";
import { quoteIdent } from "@schematizer/postgres";
import type { ObjectStore } from "@schematizer/s3";
import type pg from "pg";

/**
 * Every event of the app's raw archive, once it holds at least `atLeast`: the lines of each file
 * the batcher's ledger (`pool`'s search path) names archived, each file holding the events the
 * ledger says.
 *
 * @example
 * ```ts
 * const archive = await archivedEvents(db.pool, bucket.store, "acme", 300);
 * ```
 */
export async function archivedEvents(pool: pg.Pool, store: Pick<ObjectStore, "get">, app: string, atLeast = 0): Promise<ArchivedEvent[]> {
  const files = await waitFor(
    `${atLeast} events archived for ${app}`,
    async () => {
      const { rows } = await pool.query<{ object_key: string; events: number }>(`SELECT object_key, events FROM archive_files WHERE app = $1 AND state = 'archived'`, [app]);
      return rows.reduce((n, r) => n + r.events, 0) >= atLeast ? rows : undefined;
    },
    { timeoutMs: 60_000, intervalMs: 200 },
  );
  const events: ArchivedEvent[] = [];
  for (const file of files) {
    const body = await store.get(file.object_key);
    if (body === undefined) throw new Error(`${file.object_key} is archived in the ledger, not in the bucket`);
    const lines = gunzipSync(body).toString("utf8").split("\n").filter((line) => line !== "");
    if (lines.length !== file.events) throw new Error(`${file.object_key} holds ${lines.length} events, the ledger says ${file.events}`);
    for (const line of lines) {
      const read = readArchiveLine(line);
      if (!read.ok) throw new Error(`${file.object_key}: ${read.reason}`);
      events.push(read.event);
    }
  }
  return events;
}

/** Rows of every event table of a warehouse schema, by `_sz_id` (several when an id is doubled). */
export async function rowsById(warehouse: pg.Pool, schema: string): Promise<Map<string, Record<string, unknown>[]>> {
  const { rows: tables } = await warehouse.query<{ tablename: string }>(
    `SELECT tablename FROM pg_tables WHERE schemaname = $1 AND tablename LIKE '\\_e\\_%'`,
    [schema],
  );
  const byId = new Map<string, Record<string, unknown>[]>();
  for (const { tablename } of tables) {
    const { rows } = await warehouse.query<Record<string, unknown>>(`SELECT * FROM ${quoteIdent(schema)}.${quoteIdent(tablename)}`);
    for (const row of rows) {
      const id = String(row._sz_id);
      byId.set(id, [...(byId.get(id) ?? []), { ...row, _table: tablename }]);
    }
  }
  return byId;
}

/** A dead-letter topic read as it fills: how many letters each id has, and their reasons. */
export interface DeadLetters {
  count(id: string): number;
  reasons(): Map<string, number>;
  reasonOf(id: string): string | undefined;
  close(): Promise<void>;
}

/**
 * Reads a dead-letter topic from its start, in the background, until closed.
 *
 * @example
 * ```ts
 * const letters = await watchDeadLetters(kafka.client, `${prefix}dlq.acme`, kafka.group("dlq"));
 * letters.count("e17"); // 1
 * ```
 */
export async function watchDeadLetters(client: KafkaClient, topic: string, groupId: string): Promise<DeadLetters> {
  const counts = new Map<string, number>();
  const codes = new Map<string, string>();
  // Just after its topic was created, the broker may not serve it yet: that passes.
  const consumer: Consumer = await retry(
    async () => {
      const c = await client.consumer({ groupId, topics: [topic], fromBeginning: true });
      try {
        await c.run(async (batch) => {
          for (const m of batch.messages) {
            const letter = readDeadLetter(m);
            const id = letter?.id ?? `${m.topic}/${m.partition}/${m.offset}`;
            counts.set(id, (counts.get(id) ?? 0) + 1);
            codes.set(id, letter?.code ?? "?");
          }
        });
      } catch (error) {
        await c.close().catch(() => undefined);
        throw error;
      }
      return c;
    },
    { attempts: 20, baseDelayMs: 100, maxDelayMs: 1_000 },
  );
  return {
    count: (id) => counts.get(id) ?? 0,
    reasons() {
      const byCode = new Map<string, number>();
      for (const code of codes.values()) byCode.set(code, (byCode.get(code) ?? 0) + 1);
      return byCode;
    },
    reasonOf: (id) => codes.get(id),
    close: () => consumer.close(),
  };
}

/**
 * The body's values that must be found again in its row: every non-null leaf (a scalar, or an
 * array, which is stored as JSON), descending into objects. A row holds each either in a column or
 * in `_sz_unmapped`, so the count is a law: nothing is dropped.
 *
 * @example
 * ```ts
 * leafCount({ a: 1, b: { c: null, d: [1] }, e: {} }); // 2
 * ```
 */
export function leafCount(body: unknown): number {
  if (body === null) return 0;
  if (typeof body !== "object" || Array.isArray(body)) return 1;
  let n = 0;
  for (const key of Object.keys(body)) n += leafCount((body as Record<string, unknown>)[key]);
  return n;
}

/** What a row holds of its body: non-null body columns plus the entries of `_sz_unmapped`. */
export function heldCount(row: Record<string, unknown>): number {
  let n = 0;
  for (const [column, value] of Object.entries(row)) if (!column.startsWith("_") && value !== null) n++;
  // Body columns never start with "_" unless a digit follows.
  for (const [column, value] of Object.entries(row)) if (/^_[0-9]/.test(column) && value !== null) n++;
  const unmapped = row._sz_unmapped;
  return n + (Array.isArray(unmapped) ? unmapped.length : 0);
}
