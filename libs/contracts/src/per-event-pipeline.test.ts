import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { coerce, emptySchema, joinObserved, mergeSchema, observe, parseEvent, stringifyJson, tableName, type JsonObject, type TableSchema } from "@schematizer/schema";
import { bodyArb } from "@schematizer/schema/test-arbitraries";
import { avroDecode, confluentEncode, confluentFrame } from "./index.ts";

/** A registry with the optimistic concurrency of the real one: version N+1 only on top of N. */
class Registry {
  versions: TableSchema[] = [];
  latest(table: string): TableSchema {
    return this.versions.at(-1) ?? emptySchema(table, "postgres");
  }
  insert(next: TableSchema): boolean {
    if (next.version !== this.versions.length + 1) return false;
    this.versions.push(next);
    return true;
  }
}

/** One sqlizer replica: it caches the version it last saw and goes to the registry only when a row does not fit. */
class Replica {
  private schema: TableSchema | undefined;
  constructor(private readonly registry: Registry) {}

  process(raw: string): { bytes: Buffer; schema: TableSchema } {
    const parsed = parseEvent(raw);
    if (!parsed.ok) throw new Error(JSON.stringify(parsed.errors));
    const event = parsed.value;
    const table = tableName(event.entype, event.evname, "postgres");
    let schema = this.schema ?? this.registry.latest(table);
    const meta = { id: event.id ?? "generated", receivedAt: 0 };
    let result = coerce(schema, event, meta);
    while (result.needsMerge) {
      const merged = mergeSchema(schema, observe(event.body));
      if (!merged.changed || this.registry.insert(merged.schema)) {
        schema = merged.schema;
      } else {
        // Lost the race: re-read and merge again on top of the winner.
        schema = this.registry.latest(table);
      }
      result = coerce(schema, event, meta);
    }
    this.schema = schema;
    return { bytes: confluentEncode(schema.version, schema, result.row), schema };
  }
}

function raw(i: number, body: JsonObject): string {
  return stringifyJson({ id: `e${i}`, ts: "2015-01-01T00:31:32Z", entype: "user", evname: "pass_mission", body });
}

describe("the per-event pipeline", () => {
  it("converges: replicas that see events in any order end on the schema of all the events together", () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(bodyArb, fc.boolean()), { minLength: 1, maxLength: 8 }), (events) => {
        const registry = new Registry();
        const replicas = [new Replica(registry), new Replica(registry)];
        const written: { bytes: Buffer; schema: TableSchema }[] = [];
        events.forEach(([body, second], i) => written.push(replicas[second ? 1 : 0]!.process(raw(i, body))));

        // Observed from the texts, as the replicas did: an integer literal beyond 2^53 is exact there.
        const bodies = events.map(([body], i) => {
          const parsed = parseEvent(raw(i, body));
          return parsed.ok ? parsed.value.body : {};
        });
        const together = mergeSchema(emptySchema("_e_user__pass_mission", "postgres"), bodies.map((b) => observe(b)).reduce(joinObserved)).schema;
        const sorted = (s: TableSchema) => [...s.columns].sort((a, b) => (a.name < b.name ? -1 : 1));
        const last = registry.latest("_e_user__pass_mission");
        expect(sorted(last)).toEqual(sorted(together));
        // Versions are contiguous, and each row names the version it was encoded with.
        expect(registry.versions.map((v) => v.version)).toEqual(registry.versions.map((_, i) => i + 1));
        for (const { bytes, schema } of written) {
          const frame = confluentFrame(bytes)!;
          expect(frame.schemaId).toBe(schema.version);
          expect(avroDecode(registry.versions[frame.schemaId - 1]!, frame.payload).version).toBe(schema.version);
        }
      }),
      { numRuns: 100 },
    );
  });
});
