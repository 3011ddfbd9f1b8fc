/**
 * Batch files this process has just uploaded, kept in memory until loaded: the loader of the same
 * replica then reads them from here instead of downloading them again. The bytes are those of
 * the object under the same key (keys are never reused for other content), so the load is the
 * same either way; a file not here — written by another replica, or evicted — comes from S3.
 */
import { Readable } from "node:stream";
import type { ObjectStore } from "@schematizer/s3";

/**
 * An ObjectStore that remembers the bodies of the data files it puts (up to `maxBytes` in all,
 * oldest dropped first) and serves each once.
 *
 * @example
 * ```ts
 * const store = withRecentFiles(s3ObjectStore(client, bucket), 64 * 1024 * 1024);
 * ```
 */
export function withRecentFiles(store: ObjectStore, maxBytes: number, isDataKey = (key: string) => key.endsWith(".csv.gz")): ObjectStore {
  const recent = new Map<string, Buffer>();
  let bytes = 0;
  const drop = (key: string) => {
    const body = recent.get(key);
    if (body === undefined) return;
    recent.delete(key);
    bytes -= body.length;
  };
  return {
    bucket: store.bucket,
    async put(key, body, options) {
      drop(key);
      await store.put(key, body, options);
      if (!Buffer.isBuffer(body) || !isDataKey(key) || body.length > maxBytes) return;
      recent.set(key, body);
      bytes += body.length;
      for (const oldest of recent.keys()) {
        if (bytes <= maxBytes) break;
        drop(oldest);
      }
    },
    async getStream(key) {
      const body = recent.get(key);
      if (body === undefined) return store.getStream(key);
      // A file is loaded once; a retry reads it from S3.
      drop(key);
      return Readable.from([body]);
    },
    get: (key) => store.get(key),
    head: (key) => store.head(key),
    list: (prefix) => store.list(prefix),
    async delete(keys) {
      for (const key of keys) drop(key);
      await store.delete(keys);
    },
  };
}
