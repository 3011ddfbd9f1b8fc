/**
 * Schema versions by registry id, as the batcher needs them. Versions are immutable, so each is
 * read once and kept for the life of the process.
 */
import type { TableSchema } from "@schematizer/schema";

/** One registry version: what a row's Confluent schema id names. */
export interface VersionInfo {
  readonly app: string;
  readonly table: string;
  readonly version: number;
  readonly schema: TableSchema;
}

/** The registry, as little of it as the batcher uses. */
export interface SchemaVersions {
  versionById(id: number): Promise<VersionInfo | undefined>;
}

/**
 * Wraps a registry so each id is read at most once (concurrent asks share one read; a failed read
 * is not kept, so the next ask tries again).
 *
 * @example
 * ```ts
 * const versions = cachedVersions({ versionById: (id) => registry.schemaById(id) });
 * await versions.versionById(42);
 * ```
 */
export function cachedVersions(source: SchemaVersions): SchemaVersions & { cached(id: number): VersionInfo | undefined } {
  const known = new Map<number, VersionInfo>();
  const reading = new Map<number, Promise<VersionInfo | undefined>>();
  return {
    cached: (id) => known.get(id),
    versionById(id) {
      const hit = known.get(id);
      if (hit !== undefined) return Promise.resolve(hit);
      let read = reading.get(id);
      if (read === undefined) {
        read = source.versionById(id).then(
          (v) => {
            reading.delete(id);
            if (v !== undefined) known.set(id, v);
            return v;
          },
          (error: unknown) => {
            reading.delete(id);
            throw error;
          },
        );
        reading.set(id, read);
      }
      return read;
    },
  };
}
