/**
 * The rule a dimension table keeps (dimension-tables.ts), and the incremental merge the loads
 * run, as pure functions: the SQL of dimension-sql.ts does what `mergeLoad` does, and the
 * property test shows that `mergeLoad`, applied load after load in any order and with any
 * redelivery, ends where `latestByTime` over the event table does.
 *
 * **The rule.** An entity's row holds, for each trait, its value in the entity's latest event
 * (by `_sz_ts`, the corrected event time) that has a value for it. A trait absent from a newer
 * event keeps its older value, and so does a trait sent as null: the event tables cannot tell
 * null from absent (the sink drops null fields, and a column holds NULL for both), and SDKs send
 * partial traits all the time. Clearing a trait takes a value ("" or false). Events at the same
 * `_sz_ts` are ordered by `_sz_id`, in byte order (UTF-8), so every replay picks the same winner.
 * The row also holds the entity's latest event's `_sz_ts` and `_sz_id`: its watermark.
 *
 * **The merge.** A load brings rows new to the event table. For an entity whose new rows are
 * all later than its watermark (events arriving in order: nearly always), each trait takes its
 * latest value among them, else keeps its own: the load reads nothing but its rows and the
 * dimension's. An entity with a row at or before its watermark (an older event arriving late,
 * or a redelivered one) is computed again from all its rows in the event table. Either way the
 * result is `latestByTime` of the event table, which holds each `_sz_id` once: so the dimension
 * depends neither on arrival order nor on replays, and exactly once comes from the event load's.
 */

/** A value of a trait; null is no value. */
export type TraitValue = string | number | bigint | boolean | null;

/** One row of an identifies or groups table, as the rule sees it. */
export interface EntityEvent {
  /** The entity (`_sz_enid`, or `group_id`). */
  readonly key: string;
  /** `_sz_ts`, in any unit that orders instants (the tests use microseconds). */
  readonly ts: number;
  /** `_sz_id`. */
  readonly id: string;
  /** The `traits__*` columns; null or absent is no value. */
  readonly traits: Readonly<Record<string, TraitValue | undefined>>;
}

/** One dimension row: the entity, its watermark, and its traits that have a value. */
export interface DimensionRow {
  readonly key: string;
  readonly ts: number;
  readonly id: string;
  readonly traits: Readonly<Record<string, TraitValue>>;
}

/**
 * Whether event `a` is later than `b`: by time, then by id in UTF-8 byte order (Postgres
 * `COLLATE "C"`, Redshift's default).
 *
 * @example
 * ```ts
 * isLater({ ts: 2, id: "a" }, { ts: 1, id: "z" }); // true
 * isLater({ ts: 1, id: "b" }, { ts: 1, id: "a" }); // true: the same time, the larger id
 * ```
 */
export function isLater(a: { readonly ts: number; readonly id: string }, b: { readonly ts: number; readonly id: string }): boolean {
  if (a.ts !== b.ts) return a.ts > b.ts;
  return Buffer.compare(Buffer.from(a.id, "utf8"), Buffer.from(b.id, "utf8")) > 0;
}

/**
 * The rule itself: each entity's row from all its events.
 *
 * @example
 * ```ts
 * latestByTime([
 *   { key: "u1", ts: 1, id: "m1", traits: { plan: "free", email: "a@x.io" } },
 *   { key: "u1", ts: 2, id: "m2", traits: { plan: "pro", email: null } },
 * ]).get("u1");
 * // { key: "u1", ts: 2, id: "m2", traits: { plan: "pro", email: "a@x.io" } }
 * ```
 */
export function latestByTime(events: Iterable<EntityEvent>): Map<string, DimensionRow> {
  const rows = new Map<string, DimensionRow>();
  for (const [key, list] of groupByKey(events)) rows.set(key, fold(key, list));
  return rows;
}

/**
 * One load's merge into the dimension, as the SQL runs it. `loaded` are the event table's rows
 * this load brought (Postgres: the rows it inserted; Redshift: the rows whose id it carried,
 * redeliveries included, which take the slow path); `history(key)` is all of an entity's rows
 * in the event table after the load.
 *
 * @example
 * ```ts
 * const next = mergeLoad(dimension, newRows, (key) => eventTable.filter((e) => e.key === key));
 * ```
 */
export function mergeLoad(
  dimension: ReadonlyMap<string, DimensionRow>,
  loaded: readonly EntityEvent[],
  history: (key: string) => readonly EntityEvent[],
): Map<string, DimensionRow> {
  const next = new Map(dimension);
  for (const [key, rows] of groupByKey(loaded)) {
    const current = dimension.get(key);
    if (current === undefined) next.set(key, fold(key, rows));
    // Every new row is later than all the entity's earlier ones: its row stands for them.
    else if (rows.every((r) => isLater(r, current))) next.set(key, fold(key, [current, ...rows]));
    else next.set(key, fold(key, history(key)));
  }
  return next;
}

function groupByKey(events: Iterable<EntityEvent>): Map<string, EntityEvent[]> {
  const byKey = new Map<string, EntityEvent[]>();
  for (const e of events) {
    const list = byKey.get(e.key);
    if (list === undefined) byKey.set(e.key, [e]);
    else list.push(e);
  }
  return byKey;
}

/** The row of one entity from some of its events (a dimension row counts as an event at its watermark). */
function fold(key: string, events: readonly EntityEvent[]): DimensionRow {
  let latest = events[0] as EntityEvent;
  const traits: Record<string, TraitValue> = {};
  const asOf = new Map<string, EntityEvent>();
  for (const e of events) {
    if (isLater(e, latest)) latest = e;
    for (const [name, value] of Object.entries(e.traits)) {
      if (value === null || value === undefined) continue;
      const held = asOf.get(name);
      if (held === undefined || isLater(e, held)) {
        asOf.set(name, e);
        traits[name] = value;
      }
    }
  }
  return { key, ts: latest.ts, id: latest.id, traits };
}
