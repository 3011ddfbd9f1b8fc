/**
 * A per-partition gauge that exports only the partitions this replica reads now. A partition's
 * value is set when its records are handled; once the partition is handed to another replica it
 * stops being reported here, rather than keeping its last value for ever (which would hold a lag
 * alert on after the partition caught up elsewhere).
 */
import { Gauge, type Registry } from "prom-client";

/** Topic → partitions assigned now; undefined while nothing says (no consumer yet): every partition set is exported. */
export type Assignments = () => ReadonlyMap<string, readonly number[]> | undefined;

export interface PartitionGauge {
  set(topic: string, partition: number, value: number): void;
}

/**
 * @example
 * ```ts
 * const lag = partitionGauge({ name: "sqlizer_lag_seconds", help: "…", registers: [registry], assignments: () => consumer?.assignments() });
 * lag.set("raw.acme", 3, 0.4);
 * ```
 */
export function partitionGauge(options: { name: string; help: string; registers: Registry[]; assignments: Assignments }): PartitionGauge {
  const values = new Map<string, { topic: string; partition: number; value: number }>();
  new Gauge({
    name: options.name,
    help: options.help,
    labelNames: ["topic", "partition"] as const,
    registers: options.registers,
    collect() {
      this.reset();
      const assigned = options.assignments();
      for (const [key, v] of values) {
        if (assigned !== undefined && !(assigned.get(v.topic)?.includes(v.partition) ?? false)) values.delete(key);
        else this.set({ topic: v.topic, partition: String(v.partition) }, v.value);
      }
    },
  });
  return {
    set(topic, partition, value) {
      values.set(`${topic}\u0000${partition}`, { topic, partition, value });
    },
  };
}

/**
 * A gauge of how many partitions of each topic this replica reads now, read at each scrape.
 *
 * @example
 * ```ts
 * assignedPartitionsGauge({ name: "sqlizer_partitions_consumed", help: "…", registers: [registry], assignments: () => consumer?.assignments() });
 * ```
 */
export function assignedPartitionsGauge(options: { name: string; help: string; registers: Registry[]; assignments: Assignments }): Gauge<"topic"> {
  return new Gauge({
    name: options.name,
    help: options.help,
    labelNames: ["topic"] as const,
    registers: options.registers,
    collect() {
      this.reset();
      for (const [topic, partitions] of options.assignments() ?? []) this.set({ topic }, partitions.length);
    },
  });
}
