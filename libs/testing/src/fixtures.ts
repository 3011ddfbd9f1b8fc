import { randomBytes } from "node:crypto";
import type { S3Client } from "@aws-sdk/client-s3";
import { kafkajsClient, type Admin, type KafkaClient, type TopicSpec } from "@schematizer/kafka";
import { createPool, quoteIdent } from "@schematizer/postgres";
import { dropBucket, ensureBucket, s3Client, s3ObjectStore, type ObjectStore } from "@schematizer/s3";
import { resolveEndpoints, type Endpoints } from "@schematizer/stack";
import type pg from "pg";
import { test as base } from "vitest";

/** Kafka for one test: every topic and group it names carries its own prefix, and is deleted after it. */
export interface KafkaFixture {
  client: KafkaClient;
  admin: Admin;
  /** e.g. "t_lx3k9a2f." — pass it to whatever names topics (topicsFor(app, prefix)). */
  prefix: string;
  /** A consumer group id unique to this test, deleted after it. */
  group(name: string): string;
  /** Creates `prefix + name` and returns the full name. */
  createTopic(name: string, partitions?: number, configs?: TopicSpec["configs"]): Promise<string>;
}

/** A fresh Postgres schema for one test; every pooled connection has it as search_path. Dropped after. */
export interface IsolatedDatabase {
  url: string;
  schema: string;
  pool: pg.Pool;
}

/** A fresh bucket for one test, emptied and deleted after it. */
export interface BucketFixture {
  client: S3Client;
  bucket: string;
  store: ObjectStore;
}

export interface StackFixtures {
  endpoints: Endpoints;
  kafka: KafkaFixture;
  db: IsolatedDatabase;
  bucket: BucketFixture;
}

/** A short id unique across parallel test workers, valid in topic, schema and bucket names. */
export function uniqueId(): string {
  return `${Date.now().toString(36)}${randomBytes(4).toString("hex")}`;
}

/**
 * vitest's `test`, with fixtures that hand each test its own slice of the real stack.
 *
 * @example
 * test("round trip", async ({ kafka, db, bucket }) => { ... });
 */
export const test = base.extend<StackFixtures>({
  // eslint-disable-next-line no-empty-pattern -- vitest reads the fixture's dependencies from this pattern
  endpoints: async ({}, use) => {
    await use(resolveEndpoints());
  },

  kafka: async ({ endpoints }, use) => {
    const prefix = `t_${uniqueId()}.`;
    const client = kafkajsClient({ brokers: endpoints.kafka.brokers, clientId: "test" });
    const admin = await client.admin();
    const groups: string[] = [];
    await use({
      client,
      admin,
      prefix,
      group: (name) => {
        const id = `${prefix}${name}`;
        groups.push(id);
        return id;
      },
      async createTopic(name, partitions = 1, configs) {
        const topic = `${prefix}${name}`;
        await admin.createTopics([{ name: topic, partitions, configs }]);
        return topic;
      },
    });
    try {
      // A group still joined by a consumer the test left open cannot be deleted; the topics still are.
      await admin.deleteGroups(groups).catch(() => undefined);
      await admin.deleteTopics((await admin.listTopics()).filter((t) => t.startsWith(prefix)));
    } finally {
      await admin.close();
    }
  },

  db: async ({ endpoints }, use) => {
    const schema = `t_${uniqueId()}`;
    const admin = createPool({ connectionString: endpoints.postgres.url, max: 1 });
    await admin.query(`CREATE SCHEMA ${quoteIdent(schema)}`);
    const pool = createPool({ connectionString: endpoints.postgres.url, searchPath: schema, max: 10 });
    try {
      await use({ url: endpoints.postgres.url, schema, pool });
    } finally {
      await pool.end();
      await admin.query(`DROP SCHEMA ${quoteIdent(schema)} CASCADE`);
      await admin.end();
    }
  },

  bucket: async ({ endpoints }, use) => {
    const bucket = `t-${uniqueId()}`;
    const client = s3Client(endpoints.s3);
    await ensureBucket(client, bucket);
    try {
      await use({ client, bucket, store: s3ObjectStore(client, bucket) });
    } finally {
      await dropBucket(client, bucket);
      client.destroy();
    }
  },
});
