/**
 * How Redshift takes a load's files: a COPY manifest naming them, COPY FROM S3 into a staging
 * table, the insert of the ids that are new, and the load errors of the COPY; pure functions of
 * their inputs, so the text can be checked without a cluster.
 */
import { quoteIdent, quoteLiteral } from "@schematizer/postgres";
import { SYSTEM_COLUMNS } from "@schematizer/schema";

/** How COPY authenticates to S3. */
export type CopyCredentials =
  | { readonly iamRole: string }
  | { readonly accessKeyId: string; readonly secretAccessKey: string; readonly sessionToken?: string };

/** A Redshift COPY manifest. */
export interface CopyManifest {
  readonly entries: readonly { readonly url: string; readonly mandatory: boolean; readonly meta: { readonly content_length: number } }[];
}

/**
 * The Redshift COPY manifest of files in a bucket; `mandatory` makes COPY fail rather than load
 * without a file that is missing. Stage 1 writes one beside each file, so any file can be loaded
 * alone; a load of several files writes one naming them all.
 *
 * @example
 * ```ts
 * copyManifest("loads-bucket", [{ key: "loads/acme/…csv.gz", bytes: 1234 }]);
 * // { entries: [{ url: "s3://loads-bucket/loads/acme/…csv.gz", mandatory: true, meta: { content_length: 1234 } }] }
 * ```
 */
export function copyManifest(bucket: string, files: readonly { key: string; bytes: number }[]): CopyManifest {
  return { entries: files.map((f) => ({ url: `s3://${bucket}/${f.key}`, mandatory: true, meta: { content_length: f.bytes } })) };
}

/** Options of one COPY. */
export interface CopyOptions {
  readonly schema: string;
  /** The table (or staging table) to copy into, unqualified when temporary. */
  readonly into: string;
  readonly temporary: boolean;
  readonly columns: readonly string[];
  /** `s3://bucket/key` of the manifest. */
  readonly manifestUrl: string;
  readonly credentials: CopyCredentials;
  readonly region?: string;
  /** Bad rows COPY may skip (each listed in SYS_LOAD_ERROR_DETAIL) before it fails; at most 100,000. */
  readonly maxErrors?: number;
}

/** Redshift's ceiling for MAXERROR. */
export const REDSHIFT_MAX_ERRORS = 100_000;

/**
 * COPY of gzip CSV files named by a manifest, with an explicit column list. NULL is the empty
 * unquoted field, as in the files; EMPTYASNULL and BLANKSASNULL are left out on purpose, since
 * they would turn empty and blank strings into NULL. With `maxErrors`, COPY skips up to that many
 * rows it cannot load and lists them in SYS_LOAD_ERROR_DETAIL, where the load finds them to set
 * them aside; one more and it fails.
 *
 * @example
 * ```ts
 * copySql({ schema: "acme", into: "_sz_stage", temporary: true, columns: ["_sz_id"], manifestUrl: "s3://b/m", credentials: { iamRole: "arn:…" } });
 * // COPY "_sz_stage" ("_sz_id") FROM 's3://b/m' IAM_ROLE 'arn:…' MANIFEST CSV GZIP NULL AS '' TIMEFORMAT 'auto' …
 * ```
 */
export function copySql(options: CopyOptions): string {
  const target = options.temporary ? quoteIdent(options.into) : `${quoteIdent(options.schema)}.${quoteIdent(options.into)}`;
  const c = options.credentials;
  const credentials =
    "iamRole" in c
      ? `IAM_ROLE ${quoteLiteral(c.iamRole)}`
      : `ACCESS_KEY_ID ${quoteLiteral(c.accessKeyId)} SECRET_ACCESS_KEY ${quoteLiteral(c.secretAccessKey)}${c.sessionToken === undefined ? "" : ` SESSION_TOKEN ${quoteLiteral(c.sessionToken)}`}`;
  return [
    `COPY ${target} (${options.columns.map(quoteIdent).join(", ")})`,
    `FROM ${quoteLiteral(options.manifestUrl)}`,
    credentials,
    ...(options.region === undefined ? [] : [`REGION ${quoteLiteral(options.region)}`]),
    `MANIFEST CSV GZIP NULL AS '' TIMEFORMAT 'auto' DATEFORMAT 'auto' ACCEPTINVCHARS COMPUPDATE OFF STATUPDATE OFF`,
    ...(options.maxErrors === undefined ? [] : [`MAXERROR ${Math.min(REDSHIFT_MAX_ERRORS, Math.max(0, Math.floor(options.maxErrors)))}`]),
  ].join("\n");
}

/**
 * The insert that follows the COPY into the staging table: the rows whose id is new — not in the
 * table, and the first of its id in the files (by receive time). Redshift enforces no key, so the
 * check is explicit.
 *
 * @example
 * ```ts
 * mergeSql({ schema: "acme", table: "_e_user__login", columns: ["_sz_id", "level"] });
 * ```
 */
export function mergeSql(options: { schema: string; table: string; columns: readonly string[] }): string {
  const table = `${quoteIdent(options.schema)}.${quoteIdent(options.table)}`;
  const cols = options.columns.map(quoteIdent).join(", ");
  const id = quoteIdent(SYSTEM_COLUMNS.id);
  return [
    `INSERT INTO ${table} (${cols})`,
    `SELECT ${cols} FROM (`,
    `  SELECT ${cols}, ROW_NUMBER() OVER (PARTITION BY ${id} ORDER BY ${quoteIdent(SYSTEM_COLUMNS.receivedAt)}, ${quoteIdent(SYSTEM_COLUMNS.ts)}) AS "_sz_rn"`,
    `  FROM "_sz_stage"`,
    `) s`,
    `WHERE s."_sz_rn" = 1 AND NOT EXISTS (SELECT 1 FROM ${table} t WHERE t.${id} = s.${id})`,
  ].join("\n");
}

/**
 * The rows the session's last COPY skipped or failed on, one per bad field, in file and line
 * order: to set them aside, or to give the reason a load failed.
 *
 * @example
 * ```ts
 * loadErrorsSql(100); // SELECT … FROM sys_load_error_detail WHERE query_id = pg_last_copy_id() …
 * ```
 */
export function loadErrorsSql(limit: number): string {
  return `SELECT TRIM(file_name) AS file_name, line_number, TRIM(column_name) AS column_name, error_code, TRIM(error_message) AS error_message
FROM sys_load_error_detail WHERE query_id = pg_last_copy_id()
ORDER BY file_name, line_number LIMIT ${Math.max(1, Math.floor(limit))}`;
}
