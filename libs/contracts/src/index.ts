/**
 * @schematizer/contracts — the formats passed between hops, which each side (and any outside
 * consumer of the topics) must agree on: topic names, the Kafka headers, the dead-letter record,
 * and the typed rows on `sql.<app>` (Avro, written and read, in the Confluent wire frame).
 *
 * No I/O and no Kafka client: messages are plain shapes, so a library that only names topics (the
 * registry) does not depend on Kafka.
 */
export { APP_NAME_PATTERN, topicPattern, topicsFor } from "./topic-names.ts";
export type { AppTopics } from "./topic-names.ts";

export { HEADERS } from "./event-headers.ts";
export { eventId, receivedAtMs, type EventOrigin } from "./event-identity.ts";

export { archiveHour, archiveKey, archiveLine, archivePrefix, readArchiveLine, writeArchiveLine, type ArchivedEvent, type ArchiveSink } from "./raw-archive.ts";

export { deadLetterOf, readDeadLetter, withoutValue } from "./dead-letter.ts";
export type { DeadLetter, DeadLetterMessage, DeadLetterReason, SourceMessage } from "./dead-letter.ts";

export { AVRO_NAMESPACE, avroSchema } from "./avro-row-schema.ts";
export type { AvroSchema } from "./avro-row-schema.ts";
export { avroDecode, avroEncode, confluentEncode } from "./avro-row-codec.ts";
export { confluentFrame } from "./confluent-frame.ts";
