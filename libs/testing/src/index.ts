export { test, uniqueId, type BucketFixture, type IsolatedDatabase, type KafkaFixture, type StackFixtures } from "./fixtures.ts";
export { freePort, privateKafka, type PrivateKafka } from "./private-kafka.ts";
export { readTopic } from "./read-topic.ts";
export { startService, type ServiceProcess } from "./service-process.ts";
