import { settle, type SettleOptions } from "@schematizer/errors";
import type { ConsumedMessage, ProducedMessage } from "@schematizer/kafka";
import { confluentEncode } from "@schematizer/contracts";
import {
  coerce,
  DEFAULT_LIMITS,
  emptySchema,
  joinObserved,
  observe,
  type CoerceResult,
  type Dialect,
  type Limits,
  type ObservedRow,
  type TableSchema,
} from "@schematizer/schema";
import { decodeRaw, type DecodedEvent } from "./raw-event.ts";
import { refusesTheTable, rejection, rejectionOf, type Rejection } from "./sqlizer-errors.ts";

/** A schema version as sqlizer needs it: its registry id (the Confluent schema id) and columns. */
export interface VersionRef {
  id: number;
  schema: TableSchema;
}

/** Where table schemas come from: the registry's evolver, with its caches. */
export interface SchemaSource {
  /** The app's settings; throws REGISTRY_UNKNOWN_APP for an app the registry does not know. */
  app(name: string): Promise<{ settings: { dialect: Dialect; maxColumns: number } }>;
  /** The table's latest version known here, or undefined when the table has none yet. */
  current(app: string, entype: string, evname: string): Promise<VersionRef | undefined>;
  /** A version that holds the observed row, created under optimistic concurrency if need be. */
  evolve(app: string, entype: string, evname: string, observed: ObservedRow): Promise<{ version: VersionRef; created: boolean }>;
}

export interface SchematizeOptions {
  /**
   * How a failing registry call is settled: retried through an outage of the registry, and taken as
   * the events' own once it repeats while the registry answers (see `settle`).
   */
  settle: SettleOptions;
  /** Largest encoded row: a sql.<app> record must hold it. A bigger row's event is a dead letter. */
  maxRowBytes: number;
  /** The event limits event-sink applies too; the app's own column cap replaces `maxColumns`. */
  limits?: Limits;
}

/** One rejected event, with why. */
export interface RejectedEvent {
  message: ConsumedMessage;
  rejection: Rejection;
}

/** A typed row, with the raw event it comes from. */
export interface PlacedRow {
  message: ConsumedMessage;
  row: ProducedMessage;
}

/** The outcome of one batch: what to produce, and what happened, for metrics. */
export interface SchematizedBatch {
  rows: PlacedRow[];
  rejected: RejectedEvent[];
  versionsCreated: number;
  /** Events whose row has at least one value in _sz_unmapped. */
  withUnmapped: number;
}

interface Placeable {
  message: ConsumedMessage;
  decoded: DecodedEvent;
}

/**
 * Turns one batch of an app's raw events into typed rows (Avro, Confluent wire format, keyed by
 * table) and dead letters, deciding each event's fate as a value:
 * - an event that cannot be read, or breaks a limit, is rejected with its code;
 * - events are grouped by table, so a table whose schema must grow is evolved once per batch with
 *   the join of everything the batch observed, not once per event;
 * - a registry failure is settled (see `settle`): an outage is waited out, nothing is rejected for it;
 *   an error that is the content's (or repeats while the registry answers) is pinned on the events
 *   that cause it by splitting the table's group in halves, so one event never takes its table-mates
 *   with it. Refusals of the whole table (a full app) reject the group at once.
 * Nothing here throws for an event's content; it throws only when stopping during an outage.
 *
 * @example
 * const out = await schematizeBatch("acme", batch.messages, registry, { settle, maxRowBytes: 4 << 20 });
 * await publish(producer, topicsFor("acme"), out);
 */
export async function schematizeBatch(
  app: string,
  messages: ConsumedMessage[],
  source: SchemaSource,
  options: SchematizeOptions,
): Promise<SchematizedBatch> {
  const out: SchematizedBatch = { rows: [], rejected: [], versionsCreated: 0, withUnmapped: 0 };
  const found = await settle(() => source.app(app), options.settle);
  if (!found.ok) {
    const why = rejectionOf(found.error);
    for (const message of messages) out.rejected.push({ message, rejection: why });
    return out;
  }
  const { dialect, maxColumns } = found.value.settings;
  const limits: Limits = { ...(options.limits ?? DEFAULT_LIMITS), maxColumns };

  const tables = new Map<string, Placeable[]>();
  for (const message of messages) {
    const decoded = decodeSafely(message, dialect, limits);
    if (decoded.kind === "reject") {
      out.rejected.push({ message, rejection: decoded });
      continue;
    }
    const group = tables.get(decoded.table);
    if (group) group.push({ message, decoded });
    else tables.set(decoded.table, [{ message, decoded }]);
  }
  const place = { app, source, dialect, limits, maxRowBytes: options.maxRowBytes };
  for (const group of tables.values()) await placeTable(place, group, options.settle, out);
  return out;
}

interface Placement {
  app: string;
  source: SchemaSource;
  dialect: Dialect;
  limits: Limits;
  maxRowBytes: number;
}

/** Places a table's group, splitting it until the events that cannot be placed are found. */
async function placeTable(place: Placement, group: Placeable[], policy: SettleOptions, out: SchematizedBatch): Promise<void> {
  const placed = await settle(() => placeGroup(place, group), policy);
  if (placed.ok) {
    const done = placed.value;
    out.rows.push(...done.rows);
    out.rejected.push(...done.rejected);
    out.versionsCreated += done.versionsCreated;
    out.withUnmapped += done.withUnmapped;
    return;
  }
  if (group.length === 1 || refusesTheTable(placed.error)) {
    const why = rejectionOf(placed.error);
    for (const { message } of group) out.rejected.push({ message, rejection: why });
    return;
  }
  // Some event of the group fails it: each half on its own. A half that fails for good once the
  // dependency answers is decided at once, so the search costs no further backoff.
  const half = group.length >>> 1;
  const decided = { ...policy, maxRepeats: 1 };
  await placeTable(place, group.slice(0, half), decided, out);
  await placeTable(place, group.slice(half), decided, out);
}

/** One attempt at a table's group: the version that holds every event, and their rows. */
async function placeGroup(place: Placement, group: Placeable[]): Promise<SchematizedBatch> {
  const { app, source, dialect, limits } = place;
  const { entype, evname } = group[0]!.decoded.event;
  const done: SchematizedBatch = { rows: [], rejected: [], versionsCreated: 0, withUnmapped: 0 };
  let version = await source.current(app, entype, evname);
  let results = coerceAll(version?.schema ?? emptySchema(group[0]!.decoded.table, dialect), group, limits);
  const growing = group.filter((_, i) => results[i]!.needsMerge);
  if (version === undefined || growing.length > 0) {
    // A new table needs its version 1 even when its first events have empty bodies.
    const observed = (growing.length > 0 ? growing : group).map((e) => observe(e.decoded.event.body)).reduce(joinObserved);
    const evolved = await source.evolve(app, entype, evname, observed);
    if (evolved.created) done.versionsCreated++;
    version = evolved.version;
    results = coerceAll(version.schema, group, limits);
  }
  for (let i = 0; i < group.length; i++) {
    const result = results[i]!;
    if (result.refusal !== undefined) {
      // The row cannot fit its warehouse even with values moved to _sz_unmapped.
      const { code, message, path } = result.refusal;
      done.rejected.push({ message: group[i]!.message, rejection: { kind: "reject", code, message, path } });
      continue;
    }
    const value = confluentEncode(version.id, version.schema, result.row);
    if (value.length > place.maxRowBytes) {
      done.rejected.push({
        message: group[i]!.message,
        rejection: rejection("SQLIZER_ROW_TOO_LARGE", `the typed row is ${value.length} bytes; a sql.${app} record holds at most ${place.maxRowBytes}`),
      });
      continue;
    }
    if (result.unmapped > 0) done.withUnmapped++;
    done.rows.push({ message: group[i]!.message, row: { key: group[i]!.decoded.table, value } });
  }
  return done;
}

function coerceAll(schema: TableSchema, group: Placeable[], limits: Limits): CoerceResult[] {
  return group.map(({ decoded }) => coerce(schema, decoded.event, decoded.meta, limits));
}

/** decodeRaw, with whatever it might throw on an input nobody foresaw as that event's rejection. */
function decodeSafely(message: ConsumedMessage, dialect: Dialect, limits: Limits): DecodedEvent | Rejection {
  try {
    return decodeRaw(message, dialect, limits);
  } catch (error) {
    return rejectionOf(error);
  }
}
