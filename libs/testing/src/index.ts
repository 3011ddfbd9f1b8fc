export { test, uniqueId, type BucketFixture, type IsolatedDatabase, type KafkaFixture, type StackFixtures } from "./fixtures.ts";
