import { HEADERS } from "@schematizer/contracts";
import type { ProducedMessage } from "@schematizer/kafka";
import type { ProblemTally } from "./event-problems.ts";
import { produceEvents } from "./produce-events.ts";
import { SinkError } from "./sink-errors.ts";
import type { SinkMetrics } from "./sink-metrics.ts";

/**
 * What one message adds to its value at most, beyond its key's and id's characters: the
 * received-at header, both header names, and the record's framing.
 */
export const MESSAGE_OVERHEAD_BYTES = 13 + HEADERS.id.length + HEADERS.receivedAt.length + 60;

/** What delivering a request's events needs, from the route's deps. */
export interface DeliveryDeps {
  producer: Parameters<typeof produceEvents>[0];
  metrics: SinkMetrics;
  produceTimeoutMs: number;
  /** max.message.bytes of the raw topics: no produced batch is larger. */
  maxBatchBytes: number;
}

/**
 * The refusal of a request with bad events (400, or 413 when one is over the size limit), each
 * bad event counted in the metrics by its first problem.
 *
 * @example
 * if (problems) throw refusal(problems, metrics);
 */
export function refusal(problems: ProblemTally, metrics: SinkMetrics): SinkError {
  for (const [code, count] of problems.byFirstCode) metrics.eventsRejected.inc({ code }, count);
  return new SinkError(problems.tooLarge ? "SINK_EVENT_TOO_LARGE" : "SINK_BAD_EVENTS", undefined, problems.report());
}

/**
 * Produces a request's messages to the app's raw topic and resolves once Kafka acknowledged all
 * of them, counting them; throws produceEvents' SinkErrors.
 *
 * @example
 * await deliver(deps, "acme", topics.raw, messages, boundBytes);
 */
export async function deliver(deps: DeliveryDeps, app: string, topic: string, messages: ProducedMessage[], boundBytes: number): Promise<void> {
  const produceStarted = performance.now();
  await produceEvents(deps.producer, topic, messages, {
    timeoutMs: deps.produceTimeoutMs,
    maxBatchBytes: deps.maxBatchBytes,
    boundBytes,
  });
  deps.metrics.produceDuration.observe((performance.now() - produceStarted) / 1000);
  deps.metrics.eventsAccepted.inc({ app }, messages.length);
}
