import { errorKind } from "@schematizer/errors";
import { deadLetterOf, withoutValue, type AppTopics } from "@schematizer/contracts";
import type { ConsumedMessage, ProducedMessage, Producer, TopicMessages } from "@schematizer/kafka";
import type { RejectedEvent, SchematizedBatch } from "./schematize-batch.ts";
import { rejection } from "./sqlizer-errors.ts";

/** What became of a batch once Kafka holds it: rows sent, and every dead letter sent (with why). */
export interface Published {
  rows: number;
  deadLetters: RejectedEvent[];
}

interface Outgoing {
  topic: string;
  message: ProducedMessage;
  /** The raw event it comes from. */
  source: ConsumedMessage;
}

/**
 * Sends a batch's rows to sql.<app> and its dead letters to dlq.<app>; resolves once Kafka holds all
 * of them, in sends of at most `maxSendBytes` (Kafka's max.message.bytes bounds the record batch of
 * one partition, and a table's rows share one). A refusal that is about the messages themselves (a record too large for its topic) is
 * content: the send is split until the refused messages are found, and the rest goes on. A refused
 * row becomes a dead letter with the broker's reason; a refused dead letter is kept as its reason and
 * origin without its value (its bytes stay in raw.<app> until retention). Infrastructure errors are
 * thrown: the batch is read again.
 *
 * @example
 * const { rows, deadLetters } = await publish(producer, topicsFor("acme"), out, 2 << 20);
 */
export async function publish(producer: Producer, topics: AppTopics, out: SchematizedBatch, maxSendBytes: number): Promise<Published> {
  const deadLetters = [...out.rejected];
  const outgoing: Outgoing[] = out.rows.map((r) => ({ topic: topics.sql, message: r.row, source: r.message }));
  for (const r of out.rejected) outgoing.push({ topic: topics.dlq, message: deadLetterOf(r.message, r.rejection), source: r.message });

  let rows = out.rows.length;
  // What Kafka refuses is demoted and sent again: a row becomes a dead letter, a dead letter loses its value.
  let refused = await sendAll(producer, outgoing, maxSendBytes);
  while (refused.length > 0) {
    const demoted: Outgoing[] = [];
    for (const { item, error } of refused) {
      const why = rejection("SQLIZER_PRODUCE_REFUSED", error instanceof Error ? error.message : String(error));
      if (item.topic === topics.sql) {
        rows--;
        deadLetters.push({ message: item.source, rejection: why });
        demoted.push({ topic: topics.dlq, message: deadLetterOf(item.source, why), source: item.source });
      } else if (item.message.value !== null) {
        demoted.push({ ...item, message: withoutValue(item.message, why.message) });
      } else {
        // A letter without its value is a few headers: refused too, the topic itself is broken.
        throw new Error(`${item.topic} refused even the value-less dead letter of ${item.source.topic}/${item.source.partition}/${item.source.offset}`, { cause: error });
      }
    }
    refused = await sendAll(producer, demoted, maxSendBytes);
  }
  return { rows, deadLetters };
}

/** Sends everything in sends of at most `maxBytes`; returns the messages Kafka refused for their own sake. */
async function sendAll(producer: Producer, items: Outgoing[], maxBytes: number): Promise<{ item: Outgoing; error: unknown }[]> {
  const refused: { item: Outgoing; error: unknown }[] = [];
  let from = 0;
  let bytes = 0;
  for (let i = 0; i <= items.length; i++) {
    const size = i < items.length ? sizeOf(items[i]!.message) : 0;
    if (i === items.length || (i > from && bytes + size > maxBytes)) {
      refused.push(...(await sendIsolating(producer, items.slice(from, i))));
      from = i;
      bytes = 0;
    }
    bytes += size;
  }
  return refused;
}

function sizeOf(message: ProducedMessage): number {
  let n = byteLength(message.value) + byteLength(message.key) + 70;
  for (const name in message.headers) n += name.length + byteLength(message.headers[name]) + 2;
  return n;
}

function byteLength(value: string | Buffer | null | undefined): number {
  if (value == null) return 0;
  return typeof value === "string" ? Buffer.byteLength(value) : value.length;
}

/** Sends everything at once; returns the messages Kafka refused for their own sake, each with its error. */
async function sendIsolating(producer: Producer, items: Outgoing[]): Promise<{ item: Outgoing; error: unknown }[]> {
  if (items.length === 0) return [];
  try {
    await producer.send(byTopic(items));
    return [];
  } catch (error) {
    if (errorKind(error) === "infrastructure") throw error;
    if (items.length === 1) return [{ item: items[0]!, error }];
    const half = items.length >>> 1;
    return [...(await sendIsolating(producer, items.slice(0, half))), ...(await sendIsolating(producer, items.slice(half)))];
  }
}

function byTopic(items: Outgoing[]): TopicMessages[] {
  const topics = new Map<string, ProducedMessage[]>();
  for (const { topic, message } of items) {
    const messages = topics.get(topic);
    if (messages) messages.push(message);
    else topics.set(topic, [message]);
  }
  return [...topics].map(([topic, messages]) => ({ topic, messages }));
}
