/**
 * `npm run batcher -- reload`: rows set aside, written as new batch files and queued for the
 * loader, once the cause of their refusal is fixed. See set-aside-ledger.ts for why a new file
 * (and not the one they came from).
 */
import { promisify } from "node:util";
import { gzip as gzipCallback } from "node:zlib";
import type { ObjectStore } from "@schematizer/s3";
import { reloadKeys } from "../staging/file-keys.ts";
import { copyManifest } from "@schematizer/warehouse";
import type { Ledger } from "../ledger/ledger.ts";

const gzip = promisify(gzipCallback);

/** A reload file queued for the loader. */
export interface QueuedReload {
  /** Its `batch_ledger` id. */
  readonly batch: string;
  readonly app: string;
  readonly table: string;
  readonly key: string;
  /** The set-aside row ids it holds. */
  readonly rows: readonly string[];
}

/**
 * Writes the selected set-aside rows (the given ids, or all, of one app or of all) as one file per
 * table and version, and queues each as a pending batch; rows another operator reloaded meanwhile
 * are returned as `skipped`.
 *
 * @example
 * ```ts
 * const { queued } = await reloadSetAside(ledger, store, { app: "acme" });
 * ```
 */
export async function reloadSetAside(
  ledger: Ledger,
  store: ObjectStore,
  selection: { readonly ids?: readonly string[]; readonly app?: string },
): Promise<{ queued: QueuedReload[]; skipped: string[] }> {
  const queued: QueuedReload[] = [];
  const skipped: string[] = [];
  for (const group of await ledger.setAside.toReload(selection)) {
    const ids = group.rows.map((r) => r.id);
    const keys = reloadKeys({ app: group.app, table: group.table, version: group.version, firstId: ids[0] as string, lastId: ids.at(-1) as string });
    const csv = Buffer.concat(group.rows.flatMap((r) => [r.csv, Buffer.from("\n")]));
    const body = await gzip(csv);
    const meta = { app: group.app, table: group.table, version: group.version, schemaId: group.schemaId, columns: group.columns, rows: ids.length, setAsideRows: ids, format: "csv", compression: "gzip" };
    await Promise.all([
      store.put(keys.data, body, { contentType: "text/csv" }),
      store.put(keys.manifest, JSON.stringify(copyManifest(store.bucket, [{ key: keys.data, bytes: body.length }])), { contentType: "application/json" }),
      store.put(keys.meta, JSON.stringify(meta), { contentType: "application/json" }),
    ]);
    const batch = await ledger.setAside.queueReload(group, { dataKey: keys.data, manifestKey: keys.manifest, metaKey: keys.meta, csvBytes: csv.length, gzipBytes: body.length });
    if (batch === undefined) skipped.push(...ids);
    else queued.push({ batch, app: group.app, table: group.table, key: keys.data, rows: ids });
  }
  return { queued, skipped };
}
