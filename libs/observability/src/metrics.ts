import { collectDefaultMetrics, Registry } from "prom-client";

/**
 * A metrics registry for one service instance, with the process metrics (CPU, memory, event loop
 * lag) and a `service` label on every series. Each instance owns its registry, so tests that
 * build several apps in one process never collide.
 *
 * @example
 * const metrics = createMetricsRegistry("event-sink");
 * const accepted = new Counter({ name: "sink_events_accepted_total", help: "…", registers: [metrics] });
 */
export function createMetricsRegistry(service: string, options: { processMetrics?: boolean } = {}): Registry {
  const registry = new Registry();
  registry.setDefaultLabels({ service });
  if (options.processMetrics ?? true) collectDefaultMetrics({ register: registry });
  return registry;
}
