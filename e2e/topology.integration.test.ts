import { describe, expect } from "vitest";
import { topicsFor } from "@schematizer/contracts";
import { keyPartition, KAFKA_CLIENTS } from "@schematizer/kafka";
import { tableName } from "@schematizer/schema";
import { test } from "@schematizer/testing";
import { archivedEvents } from "./event-fates.ts";
import { startPipeline } from "./pipeline-kit.ts";

/**
 * Partitions added to `raw.<app>` and `sql.<app>` while the pipeline runs (as franz's autoscaler
 * does) are read by the running sqlizer and batcher, on each Kafka client: events whose entity ids
 * (the raw key) and tables (the sql key) go to the new partitions land, each as exactly one row,
 * and the raw archive holds each once, the new partitions' included.
 */

const BEFORE = 2;
const AFTER = 4;
/** From the last event sent to its row, new partitions included (about 2 s here). */
const LAND_MS = 30_000;

/** The first of `candidates` that goes to each partition, once the topic has AFTER partitions. */
function onePerPartition(candidates: string[], key: (candidate: string) => string): string[] {
  const found = new Map<number, string>();
  for (const c of candidates) if (!found.has(keyPartition(key(c), AFTER))) found.set(keyPartition(key(c), AFTER), c);
  return Array.from({ length: AFTER }, (_, p) => found.get(p)!);
}

describe.each(KAFKA_CLIENTS)("partitions added while the pipeline runs, on %s", (kafkaClient) => {
  test("events routed to the new partitions of raw and sql land as exactly one row each, and are archived once", async ({ kafka, db, bucket, endpoints }) => {
    const pipeline = await startPipeline({ kafka, db, bucket, endpoints }, { kafkaClient });
    try {
      const key = pipeline.createApp("acme");
      const { raw, sql } = topicsFor("acme", kafka.prefix);
      const names = Array.from({ length: 200 }, (_, i) => `k${i}`);
      // Entity ids and event names whose keys go to each partition of raw and of sql once grown.
      const enids = onePerPartition(names, (n) => n);
      const evnames = onePerPartition(names, (n) => tableName("user", n, "postgres"));
      const expected = new Map(evnames.map((evname) => [tableName("user", evname, "postgres"), [] as string[]]));
      let sent = 0;
      const send = async (round: string) => {
        const events = enids.flatMap((enid) =>
          evnames.map((evname) => ({ id: `${round}-${enid}-${evname}`, ts: 1_420_072_292_000 + sent++, entype: "user", evname, enid, body: { round } })),
        );
        expect((await pipeline.send("acme", key, events)).status).toBe(202);
        for (const e of events) expected.get(tableName("user", e.evname, "postgres"))!.push(e.id);
      };
      const landed = async (timeoutMs: number) => {
        for (const [table, ids] of expected) {
          const rows = await pipeline.rows("acme", table, ids.length, timeoutMs);
          expect(rows.map((r) => String(r._sz_id)).sort()).toEqual([...ids].sort());
        }
      };

      // Both groups commit on the first partitions, so they are not new groups when the others come.
      await send("before");
      await landed(60_000);
      expect(await kafka.admin.partitionCounts([raw, sql])).toEqual(new Map([[raw, BEFORE], [sql, BEFORE]]));

      await kafka.admin.createPartitions(raw, AFTER);
      await kafka.admin.createPartitions(sql, AFTER);
      // The sink and the sqlizer route keys by the partition counts they know (renewed every few
      // seconds): send until every new partition of both topics has taken events.
      const newPartitionsUsed = async () => {
        for (const topic of [raw, sql]) {
          const offsets = await kafka.admin.topicOffsets(topic);
          if (offsets.filter((o) => o.partition >= BEFORE).some((o) => o.high === "0")) return false;
        }
        return true;
      };
      const deadline = Date.now() + 30_000;
      for (let round = 0; !(await newPartitionsUsed()); round++) {
        if (Date.now() > deadline) throw new Error("the new partitions took no events within 30 s");
        await send(`r${round}`);
        await new Promise((resolve) => setTimeout(resolve, 1_000));
      }
      await send("after");
      await landed(LAND_MS);
      const ids = [...expected.values()].flat();
      const archive = await archivedEvents(db.pool, bucket.store, "acme", ids.length);
      expect(archive.map((e) => e.id).sort()).toEqual(ids.sort());
      expect(new Set(archive.filter((e) => e.partition >= BEFORE).map((e) => e.partition))).toEqual(new Set([2, 3]));
    } catch (error) {
      // What the services said is the only account of where an event stopped.
      for (const [name, service] of [["sink", pipeline.services.sink], ["batcher", pipeline.services.batcher], ...pipeline.services.sqlizers.map((s) => ["sqlizer", s] as const)] as const) {
        console.error(`--- ${name} (${kafkaClient}) ---\n${service.output().slice(-6_000)}`);
      }
      throw error;
    } finally {
      await pipeline.stop();
    }
  }, 240_000);
});
