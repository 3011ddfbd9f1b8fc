/**
 * The project's client and consumer settings in the library's terms, with the defaults that make
 * it behave as the kafkajs client does. Pure.
 */
import type { BaseOptions, ConsumerOptions as LibConsumerOptions } from "@platformatic/kafka";
import { backoffDelay } from "@schematizer/errors";
import type { ConsumerOptions, KafkaClientConfig } from "../kafka-client.ts";

/**
 * The top of backoffDelay's range: the delay doubles on a fixed schedule. Jitter spreads many
 * clients' retries against one server; these are one client's retries of its own work.
 */
const noJitter = () => 1;

/**
 * The options every library client of one KafkaClient shares.
 *
 * @example
 * const admin = new Admin(baseOptions({ brokers: ["127.0.0.1:9092"], clientId: "franz" }));
 */
export function baseOptions(config: KafkaClientConfig): BaseOptions {
  return {
    clientId: config.clientId,
    bootstrapBrokers: config.brokers,
    connectTimeout: config.connectionTimeoutMs ?? 3_000,
    // A request's own timeout, and the one the broker is given to gather acks=all.
    requestTimeout: config.requestTimeoutMs ?? 30_000,
    timeout: config.requestTimeoutMs ?? 30_000,
    retries: config.retries ?? 5,
    // The library's own request retries, on kafkajs's schedule: 300 ms, doubling, at most 5 s.
    retryDelay: (_client, _operation, attempt) => backoffDelay(Math.max(1, attempt), 300, 5_000, noJitter),
    autocreateTopics: false,
  };
}

/**
 * The library consumer's options for a group member: offsets committed by the project's consumer
 * after each handled batch, never by the library.
 *
 * @example
 * const consumer = new Consumer(memberOptions(base, { groupId: "sqlizer", topics: [/^raw\./] }));
 */
export function memberOptions(base: BaseOptions, options: ConsumerOptions): LibConsumerOptions<Buffer, Buffer, Buffer, Buffer> {
  const sessionTimeout = options.sessionTimeoutMs ?? 30_000;
  return {
    ...base,
    groupId: options.groupId,
    autocommit: false,
    sessionTimeout,
    rebalanceTimeout: Math.max(60_000, sessionTimeout),
    heartbeatInterval: Math.min(3_000, Math.floor(sessionTimeout / 3)),
    // kafkajs's name for its round-robin assignor, with the same wire format: members on either
    // client can share a group (a rolling switch), where differing names would be refused.
    protocols: [{ name: "RoundRobinAssigner", version: 1 }],
  };
}

/** How the project's group consumer fetches, with the interface's defaults applied. */
export interface FetchSettings {
  fromBeginning: boolean;
  maxWaitMs: number;
  minBytes: number;
  maxBytesPerPartition: number;
}

/**
 * The fetch settings of a consumer's options.
 *
 * @example
 * fetchSettings({ groupId: "g", topics: ["t"] }) // { fromBeginning: true, maxWaitMs: 500, minBytes: 1, maxBytesPerPartition: 1_048_576 }
 */
export function fetchSettings(options: ConsumerOptions): FetchSettings {
  return {
    fromBeginning: options.fromBeginning ?? true,
    maxWaitMs: options.maxWaitMs ?? 500,
    minBytes: options.minBytes ?? 1,
    maxBytesPerPartition: options.maxBytesPerPartition ?? 1_048_576,
  };
}

/**
 * How long the group member waits after its n-th failure in a row (a batch, a fetch, a rejoin):
 * 300 ms, doubling, at most 10 s.
 *
 * @example
 * await sleep(memberBackoffMs(failures), stop.signal);
 */
export function memberBackoffMs(failures: number): number {
  return backoffDelay(failures, 300, 10_000, noJitter);
}
