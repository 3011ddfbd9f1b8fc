/**
 * Where a file lives in the bucket. Keys are derived from what the file holds and where it came
 * from, never from time or a random id: a retry after a crash writes the same key, so an orphan
 * left by a crash between upload and ledger row is overwritten (or, if the retry cut the range
 * differently, ignored: only keys named by a ledger row are ever loaded).
 */

/** What names a file. */
export interface FileCoordinates {
  readonly app: string;
  readonly table: string;
  readonly version: number;
  readonly topic: string;
  readonly partition: number;
  /** The range's first and last Kafka offsets (decimal strings: they can exceed 2^53). */
  readonly first: string;
  readonly last: string;
}

/** The three objects of one file. */
export interface FileKeys {
  /** gzip CSV, one line per row, no header. */
  readonly data: string;
  /** Redshift COPY manifest naming the data file. */
  readonly manifest: string;
  /** JSON: table, version, column list, rows, offsets. */
  readonly meta: string;
}

/**
 * The keys of a file: `loads/<app>/<table>/v<version>/<topic>+<partition>+<first>-<last>` plus
 * `.csv.gz`, `.manifest` and `.meta.json`.
 *
 * @example
 * ```ts
 * fileKeys({ app: "acme", table: "_e_user__login", version: 3, topic: "sql.acme", partition: 0, first: "100", last: "199" }).data;
 * // "loads/acme/_e_user__login/v3/sql.acme+0+100-199.csv.gz"
 * ```
 */
export function fileKeys(c: FileCoordinates): FileKeys {
  const base = `loads/${c.app}/${c.table}/v${c.version}/${c.topic}+${c.partition}+${c.first}-${c.last}`;
  return { data: `${base}.csv.gz`, manifest: `${base}.manifest`, meta: `${base}.meta.json` };
}

/**
 * The keys of a file of set-aside rows loaded again, named by the first and last row ids of the
 * `set_aside_rows` ledger it holds (each row is loaded again once, so no two files share both).
 *
 * @example
 * ```ts
 * reloadKeys({ app: "acme", table: "_e_user__login", version: 3, firstId: "17", lastId: "42" }).data;
 * // "loads/acme/_e_user__login/v3/set-aside+17-42.csv.gz"
 * ```
 */
export function reloadKeys(c: { app: string; table: string; version: number; firstId: string; lastId: string }): FileKeys {
  const base = `loads/${c.app}/${c.table}/v${c.version}/set-aside+${c.firstId}-${c.lastId}`;
  return { data: `${base}.csv.gz`, manifest: `${base}.manifest`, meta: `${base}.meta.json` };
}

/**
 * The key of the records of a range that could not be decoded, kept with their bytes.
 *
 * @example
 * ```ts
 * rejectsKey("acme", "sql.acme", 0, "100", "199"); // "rejects/acme/sql.acme+0+100-199.jsonl.gz"
 * ```
 */
export function rejectsKey(app: string, topic: string, partition: number, first: string, last: string): string {
  return `rejects/${app}/${topic}+${partition}+${first}-${last}.jsonl.gz`;
}
