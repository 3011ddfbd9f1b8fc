/**
 * Schema evolution: (current version, observed row) → unchanged, or the next version.
 *
 * The merge only adds columns, widens types (the lattice join) and records new source paths, and
 * a column's name depends on its path alone. So, below the column cap, the set of columns that
 * results from merging rows is the same whatever order they arrive in, however they are grouped,
 * and merging a row twice changes nothing: replicas converge. Existing columns never move; the
 * columns one version adds are appended in name order, so physical order depends only on which
 * rows each version was merged from.
 *
 * At the column cap, which paths got the last slots does depend on arrival order; the registry's
 * linear history decides, and values of the refused paths go to `_sz_unmapped`.
 */
import { DEFAULT_LIMITS, type Limits } from "./limits.ts";
import { cachedColumnName } from "./naming.ts";
import { comparePaths, type ObservedRow } from "./observe.ts";
import type { Column, TableSchema } from "./schema.ts";
import { isTextual, joinSized, type SizedType } from "./type-lattice.ts";

/** What one version changed relative to its parent. */
export interface SchemaDiff {
  readonly added: readonly Column[];
  readonly widened: readonly { readonly name: string; readonly from: SizedType; readonly to: SizedType }[];
  /** New spellings of existing columns. */
  readonly sourcesAdded: readonly { readonly name: string; readonly path: readonly string[] }[];
}

/** The merged schema: `current` itself when nothing changed (and the diff is empty), else the next version. */
export interface MergeResult {
  readonly changed: boolean;
  readonly schema: TableSchema;
  readonly diff: SchemaDiff;
}

const NO_DIFF: SchemaDiff = { added: [], widened: [], sourcesAdded: [] };

/**
 * Merges an observed row into a schema version.
 *
 * @example
 * ```ts
 * const v0 = emptySchema("_e_user__pass_mission", "postgres");
 * const r1 = mergeSchema(v0, observe({ level: 7 }));          // changed: v1 adds level bigint
 * const r2 = mergeSchema(r1.schema, observe({ level: 7.5 })); // changed: v2 widens level to double
 * mergeSchema(r2.schema, observe({ level: 3 })).changed;      // false
 * ```
 */
export function mergeSchema(
  current: TableSchema,
  observed: ObservedRow,
  limits: Pick<Limits, "maxColumns"> = DEFAULT_LIMITS,
): MergeResult {
  const sized = current.dialect === "redshift";
  const groups = new Map<string, { type: SizedType; paths: (readonly string[])[] }>();
  for (const field of observed.fields) {
    const name = cachedColumnName(field.path, current.dialect);
    const group = groups.get(name);
    if (group === undefined) groups.set(name, { type: strip(field, sized), paths: [field.path] });
    else {
      group.type = joinSized(group.type, field, sized);
      group.paths.push(field.path);
    }
  }

  const index = new Map<string, number>();
  current.columns.forEach((c, i) => index.set(c.name, i));
  const columns = current.columns.slice();
  const added: Column[] = [];
  const widened: { name: string; from: SizedType; to: SizedType }[] = [];
  const sourcesAdded: { name: string; path: readonly string[] }[] = [];
  const candidates: { name: string; type: SizedType; paths: (readonly string[])[] }[] = [];

  for (const name of [...groups.keys()].sort()) {
    const group = groups.get(name) as { type: SizedType; paths: (readonly string[])[] };
    const at = index.get(name);
    if (at === undefined) {
      candidates.push({ name, ...group });
      continue;
    }
    const column = columns[at] as Column;
    const type = joinSized(column, group.type, sized);
    const newPaths = group.paths.filter((p) => !column.sources.some((s) => comparePaths(s, p) === 0));
    const typeChanged = !sameSized(type, column);
    if (!typeChanged && newPaths.length === 0) continue;
    if (typeChanged) widened.push({ name, from: sizedOf(column), to: type });
    for (const path of newPaths) sourcesAdded.push({ name, path });
    columns[at] = makeColumn(name, type, [...column.sources, ...newPaths]);
  }

  for (const candidate of candidates) {
    if (columns.length >= limits.maxColumns) break;
    const column = makeColumn(candidate.name, candidate.type, candidate.paths);
    columns.push(column);
    added.push(column);
  }

  if (current.version > 0 && added.length === 0 && widened.length === 0 && sourcesAdded.length === 0) {
    return { changed: false, schema: current, diff: NO_DIFF };
  }
  return {
    changed: true,
    schema: { table: current.table, dialect: current.dialect, version: current.version + 1, columns },
    diff: { added, widened, sourcesAdded },
  };
}

function makeColumn(name: string, type: SizedType, sources: (readonly string[])[]): Column {
  const sorted = [...sources].sort(comparePaths);
  return type.maxBytes === undefined
    ? { name, type: type.type, sources: sorted }
    : { name, type: type.type, maxBytes: type.maxBytes, sources: sorted };
}

function strip(t: SizedType, sized: boolean): SizedType {
  if (sized && isTextual(t.type)) return { type: t.type, maxBytes: t.maxBytes ?? 256 };
  return { type: t.type };
}

function sizedOf(c: SizedType): SizedType {
  return c.maxBytes === undefined ? { type: c.type } : { type: c.type, maxBytes: c.maxBytes };
}

function sameSized(a: SizedType, b: SizedType): boolean {
  return a.type === b.type && a.maxBytes === b.maxBytes;
}
