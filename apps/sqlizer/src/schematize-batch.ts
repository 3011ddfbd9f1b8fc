import { CodedError } from "@schematizer/errors";
import type { ConsumedMessage, ProducedMessage } from "@schematizer/kafka";
import {
  coerce,
  confluentEncode,
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
import { decodeRaw, type DecodedEvent, type Rejection } from "./raw-event.ts";

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

/** The outcome of one batch: what to produce, and what happened, for metrics. */
export interface SchematizedBatch {
  rows: ProducedMessage[];
  rejected: { message: ConsumedMessage; rejection: Rejection }[];
  versionsCreated: number;
  /** Events whose row has at least one value in _sz_unmapped. */
  withUnmapped: number;
}

/**
 * Turns one batch of an app's raw events into typed rows (Avro, Confluent wire format, keyed by
 * table) and rejections. Events are grouped by table, so a table whose schema must grow is
 * evolved once per batch with the join of everything the batch observed, not once per event.
 * Errors that a retry can fix (the registry unreachable, a lost race run out of tries) are
 * thrown: the batch is then read again. Errors of the input become rejections.
 *
 * @example
 * const out = await schematizeBatch("acme", batch.messages, registry);
 * await producer.send([{ topic: "sql.acme", messages: out.rows }, ...]);
 */
export async function schematizeBatch(app: string, messages: ConsumedMessage[], source: SchemaSource): Promise<SchematizedBatch> {
  const out: SchematizedBatch = { rows: [], rejected: [], versionsCreated: 0, withUnmapped: 0 };
  let settings: { dialect: Dialect; maxColumns: number };
  try {
    settings = (await source.app(app)).settings;
  } catch (error) {
    const rejection = inputRejection(error);
    for (const message of messages) out.rejected.push({ message, rejection });
    return out;
  }
  const limits: Limits = { ...DEFAULT_LIMITS, maxColumns: settings.maxColumns };

  const tables = new Map<string, { message: ConsumedMessage; decoded: DecodedEvent }[]>();
  for (const message of messages) {
    const decoded = decodeRaw(message, settings.dialect, limits);
    if (decoded.kind === "reject") {
      out.rejected.push({ message, rejection: decoded });
      continue;
    }
    const group = tables.get(decoded.table);
    if (group) group.push({ message, decoded });
    else tables.set(decoded.table, [{ message, decoded }]);
  }

  for (const [table, group] of tables) {
    const { entype, evname } = group[0]!.decoded.event;
    try {
      let version = await source.current(app, entype, evname);
      let results = coerceAll(version?.schema ?? emptySchema(table, settings.dialect), group, limits);
      const growing = group.filter((_, i) => results[i]!.needsMerge);
      if (version === undefined || growing.length > 0) {
        // A new table needs its version 1 even when its first events have empty bodies.
        const observed = (growing.length > 0 ? growing : group).map((e) => observe(e.decoded.event.body)).reduce(joinObserved);
        const evolved = await source.evolve(app, entype, evname, observed);
        if (evolved.created) out.versionsCreated++;
        version = evolved.version;
        results = coerceAll(version.schema, group, limits);
      }
      for (let i = 0; i < group.length; i++) {
        const result = results[i]!;
        if (result.unmapped > 0) out.withUnmapped++;
        out.rows.push({ key: table, value: confluentEncode(version.id, version.schema, result.row) });
      }
    } catch (error) {
      const rejection = inputRejection(error);
      for (const { message } of group) out.rejected.push({ message, rejection });
    }
  }
  return out;
}

function coerceAll(schema: TableSchema, group: { decoded: DecodedEvent }[], limits: Limits): CoerceResult[] {
  return group.map(({ decoded }) => coerce(schema, decoded.event, decoded.meta, limits));
}

/** A non-retriable coded error is a property of the input (an unknown app, a full app): reject. Others are rethrown. */
function inputRejection(error: unknown): Rejection {
  if (error instanceof CodedError && !error.retriable) return { kind: "reject", code: error.code, message: error.message };
  throw error;
}
