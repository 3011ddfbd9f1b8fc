import { Counter, Histogram, type Registry } from "prom-client";

/** What event-sink measures; one set per app instance. */
export function sinkMetrics(registry: Registry) {
  return {
    eventsAccepted: new Counter({
      name: "sink_events_accepted_total",
      help: "Events acknowledged by Kafka and answered 202, by app",
      labelNames: ["app"] as const,
      registers: [registry],
    }),
    requestsRejected: new Counter({
      name: "sink_requests_rejected_total",
      help: "Requests answered with an error, by error code",
      labelNames: ["code"] as const,
      registers: [registry],
    }),
    eventsRejected: new Counter({
      name: "sink_events_rejected_total",
      help: "Events refused in 400/413 answers, by the code of their first problem",
      labelNames: ["code"] as const,
      registers: [registry],
    }),
    requestDuration: new Histogram({
      name: "sink_request_duration_seconds",
      help: "Time from request to answer for event posts",
      labelNames: ["status"] as const,
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers: [registry],
    }),
    produceDuration: new Histogram({
      name: "sink_produce_duration_seconds",
      help: "Time for Kafka to acknowledge one request's events (acks=all)",
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers: [registry],
    }),
  };
}

export type SinkMetrics = ReturnType<typeof sinkMetrics>;
