/**
 * Kafka headers the pipeline sets. event-sink adds the first two to every raw event (whose value
 * stays the client's exact text); sqlizer adds the rest to what it sends to the dead-letter topic.
 */
export const HEADERS = {
  /** The event's id: the client's `id`, or one event-sink generated. */
  id: "sz-id",
  /** When event-sink accepted the event, in epoch milliseconds. */
  receivedAt: "sz-received-at",
  /** Why an event is in the dead-letter topic: a stable code, a message, and the JSON path if any. */
  errorCode: "sz-error-code",
  errorMessage: "sz-error-message",
  errorPath: "sz-error-path",
  /** Where a dead-lettered event was read from. */
  sourceTopic: "sz-source-topic",
  sourcePartition: "sz-source-partition",
  sourceOffset: "sz-source-offset",
  /**
   * On an event sent again to raw.<app> by an operator (`dlq redrive`, `replay`): which command.
   * The raw archive already holds it, from when it was first accepted, so it is not archived again.
   */
  resent: "sz-resent",
  /** On a dead letter Kafka refused with its value (too large): why the value is not kept. */
  valueDropped: "sz-value-dropped",
} as const;
