export { test, uniqueId, type BucketFixture, type IsolatedDatabase, type KafkaFixture, type StackFixtures } from "./fixtures.ts";
export { privateKafka, type PrivateKafka } from "./private-kafka.ts";
export { freePort } from "@schematizer/stack";
export { readTopic } from "./read-topic.ts";
export { startService, type ServiceProcess } from "./service-process.ts";
export { tcpProxy, type TcpProxy } from "./tcp-proxy.ts";
