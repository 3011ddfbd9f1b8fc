import type { Consumer } from "@schematizer/kafka";
import { assignedPartitionsGauge, partitionGauge } from "@schematizer/observability";
import { Counter, Histogram, type Registry } from "prom-client";

/** What sqlizer measures; one set per instance. `consumer` tells which partitions it reads now. */
export function sqlizerMetrics(registry: Registry, consumer: () => Consumer | undefined = () => undefined) {
  const assignments = () => consumer()?.assignments();
  return {
    partitionsConsumed: assignedPartitionsGauge({ name: "sqlizer_partitions_consumed", help: "Partitions of each raw topic this replica is assigned now", registers: [registry], assignments }),
    eventsIn: new Counter({ name: "sqlizer_events_in_total", help: "Raw events read", labelNames: ["app"] as const, registers: [registry] }),
    rowsOut: new Counter({ name: "sqlizer_rows_out_total", help: "Typed rows produced to sql.<app>", labelNames: ["app"] as const, registers: [registry] }),
    dlq: new Counter({
      name: "sqlizer_events_dlq_total",
      help: "Events sent to dlq.<app>, by reason code",
      labelNames: ["app", "reason"] as const,
      registers: [registry],
    }),
    registryRetries: new Counter({
      name: "sqlizer_registry_retries_total",
      help: "Registry calls that failed and were tried again, by whether the registry answered a probe (unreachable: an outage, the batch waits)",
      labelNames: ["app", "registry"] as const,
      registers: [registry],
    }),
    unmapped: new Counter({
      name: "sqlizer_rows_with_unmapped_total",
      help: "Rows with at least one value kept in _sz_unmapped",
      labelNames: ["app"] as const,
      registers: [registry],
    }),
    versionsCreated: new Counter({
      name: "sqlizer_schema_versions_created_total",
      help: "Schema versions this instance wrote to the registry",
      labelNames: ["app"] as const,
      registers: [registry],
    }),
    lagSeconds: partitionGauge({
      name: "sqlizer_lag_seconds",
      help: "Now minus the Kafka timestamp of the last processed record, per partition this replica reads",
      registers: [registry],
      assignments,
    }),
    lagMessages: partitionGauge({
      name: "sqlizer_lag_messages",
      help: "Messages behind the partition's end when the last batch was fetched, per partition this replica reads",
      registers: [registry],
      assignments,
    }),
    batchSeconds: new Histogram({
      name: "sqlizer_batch_duration_seconds",
      help: "Time to schematize a batch and have Kafka acknowledge its rows",
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers: [registry],
    }),
    batchEvents: new Histogram({
      name: "sqlizer_batch_events",
      help: "Events per batch",
      buckets: [1, 10, 100, 500, 1000, 2500, 5000, 10000],
      registers: [registry],
    }),
  };
}

export type SqlizerMetrics = ReturnType<typeof sqlizerMetrics>;
