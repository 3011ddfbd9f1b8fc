/**
 * Lineage: a table's history, version by version, with what each one changed. franz serves it
 * over HTTP; `describeDiff` gives the lines an operator reads.
 */
import { bodyPath, type SchemaDiff, type SizedType } from "@schematizer/schema";
import type { SchemaVersion, TableInfo } from "./table-versions.ts";

/** One version in a table's history. */
export interface LineageEntry {
  readonly id: number;
  readonly version: number;
  readonly parentId: number | null;
  readonly fingerprint: string;
  readonly columnCount: number;
  readonly diff: SchemaDiff;
  /** The diff in words, one line per change. */
  readonly changes: readonly string[];
  readonly createdAt: Date;
  readonly createdBy: string;
}

/** A table's whole history, oldest version first. */
export interface Lineage {
  readonly table: TableInfo;
  readonly versions: readonly LineageEntry[];
}

/**
 * The lineage of a table from its versions (oldest first).
 *
 * @example
 * ```ts
 * const lineage = buildLineage(table, versions);
 * lineage.versions[1].changes; // ["widened level from bigint to double"]
 * ```
 */
export function buildLineage(table: TableInfo, versions: readonly SchemaVersion[]): Lineage {
  const { app, name, entype, evname, dialect, subject, createdAt } = table;
  return {
    table: { app, name, entype, evname, dialect, subject, createdAt },
    versions: versions.map((v) => ({
      id: v.id,
      version: v.version,
      parentId: v.parentId,
      fingerprint: v.fingerprint,
      columnCount: v.schema.columns.length,
      diff: v.diff,
      changes: describeDiff(v.diff),
      createdAt: v.createdAt,
      createdBy: v.createdBy,
    })),
  };
}

/**
 * A diff as sentences: added columns with their type and source paths, widened types, new
 * spellings of existing columns.
 *
 * @example
 * ```ts
 * describeDiff(diff);
 * // ["added level bigint from $.body.level", "widened score from bigint to double"]
 * ```
 */
export function describeDiff(diff: SchemaDiff): string[] {
  const lines: string[] = [];
  for (const column of diff.added) {
    const from = column.sources.map(bodyPath).join(", ");
    lines.push(`added ${column.name} ${typeText(column)}${from === "" ? "" : ` from ${from}`}`);
  }
  for (const w of diff.widened) lines.push(`widened ${w.name} from ${typeText(w.from)} to ${typeText(w.to)}`);
  for (const s of diff.sourcesAdded) lines.push(`mapped ${bodyPath(s.path)} to ${s.name}`);
  return lines;
}

function typeText(t: SizedType): string {
  return t.maxBytes === undefined ? t.type : `${t.type}(${t.maxBytes})`;
}
