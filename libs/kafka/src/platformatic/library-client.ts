/**
 * The library's clients as this package uses them (keys, values and headers as Buffers), and what
 * every one of them needs: a connection check at open, a close that ends its streams, its
 * warnings forwarded.
 */
import { Admin as LibAdmin, type Consumer, type Producer } from "@platformatic/kafka";
import type { KafkaClientConfig } from "../kafka-client.ts";

export type LibProducer = Producer<Buffer, Buffer, Buffer, Buffer>;
export type LibConsumer = Consumer<Buffer, Buffer, Buffer, Buffer>;
export type LibClient = LibAdmin | LibProducer | LibConsumer;
export type Log = NonNullable<KafkaClientConfig["log"]>;

/** The library connects lazily; this asks for the brokers so a bad address fails now, as with kafkajs. */
export async function connected(client: LibClient): Promise<void> {
  try {
    await client.metadata({ topics: [] });
  } catch (error) {
    await closeClient(client).catch(() => undefined);
    throw error;
  }
}

/** Closes a client, and with it the streams it still has open. */
export function closeClient(client: LibClient): Promise<void> {
  if (client instanceof LibAdmin) return client.close();
  return new Promise((resolve, reject) => client.close(true, (error) => (error ? reject(error) : resolve())));
}

export function forwardClientEvents(client: LibClient, log: Log): void {
  client.on("client:broker:failed", (payload) => log("warn", "broker connection failed", { broker: payload.broker }));
}
