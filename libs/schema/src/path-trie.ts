/**
 * The source paths of a schema version's columns as a trie, keyed by body key: coerce walks it in
 * step with a body, so finding a value's column costs one map lookup per key and builds no path
 * strings.
 */
import type { JsonObject, JsonValue } from "./json.ts";
import type { Column } from "./schema.ts";

/** One body path in the trie. */
export interface PathNode {
  /** Column of the value at this path, or −1 when the path only leads to deeper columns. */
  col: number;
  /** Position of this path among its column's sources; the smallest present one wins. */
  rank: number;
  children: Map<string, PathNode> | undefined;
}

/** The root of the trie of every source path of `columns`; a node's `col` indexes `columns`. */
export function pathTrie(columns: readonly Column[]): PathNode {
  const root: PathNode = { col: -1, rank: 0, children: undefined };
  columns.forEach((column, col) => {
    column.sources.forEach((source, rank) => {
      let node = root;
      for (const key of source) {
        node.children ??= new Map();
        let next = node.children.get(key);
        if (next === undefined) {
          next = { col: -1, rank: 0, children: undefined };
          node.children.set(key, next);
        }
        node = next;
      }
      node.col = col;
      node.rank = rank;
    });
  });
  return root;
}

/** The value at a body path (the source of a column that holds a cell, so it is there). */
export function valueAt(body: JsonObject, path: readonly string[]): JsonValue {
  let value: JsonValue = body;
  for (const key of path) value = (value as JsonObject)[key] as JsonValue;
  return value;
}
