import { gunzipSync } from "node:zlib";
import type { BatchContext, ConsumedMessage } from "@schematizer/kafka";
import { createLogger } from "@schematizer/observability";
import type { ObjectInfo, ObjectStore } from "@schematizer/s3";
import { confluentEncode } from "@schematizer/contracts";
import { coerce, emptySchema, mergeSchema, observe, type TableSchema } from "@schematizer/schema";
import { Registry } from "prom-client";
import { describe, expect, it } from "vitest";
import { batcherMetrics } from "../batcher-metrics.ts";
import { noCrash } from "../crash-points.ts";
import type { Ledger, RangeCommit } from "../ledger/ledger.ts";
import type { VersionInfo } from "../schema-versions.ts";
import { createStageToS3 } from "./stage-to-s3.ts";

const TOPIC = "sql.acme";
const schema: TableSchema = { ...mergeSchema(emptySchema("_e_user__login", "postgres"), observe({ n: 1 })).schema, version: 1 };
const version: VersionInfo = { app: "acme", table: schema.table, version: 1, schema };

/** A record of sql.acme as the sqlizer writes it, naming schema id `schemaId`. */
function record(offset: number, schemaId = 7): ConsumedMessage {
  const { row } = coerce(schema, { ts: 1_420_072_292_000_000, entype: "user", evname: "login", body: { n: offset } }, { id: `e${offset}`, receivedAt: 1_700_000_000_000_000 });
  return { topic: TOPIC, partition: 0, offset: String(offset), key: Buffer.from(schema.table), value: confluentEncode(schemaId, schema, row), headers: {}, timestamp: 0 };
}

/** The ledger and bucket of stage 1, in memory: commits ranges fenced as the real ledger does. */
function fakes(options: { commitFails?: (range: RangeCommit) => unknown; controlAnswers?: () => boolean } = {}) {
  const commits: RangeCommit[] = [];
  const objects = new Map<string, Buffer>();
  let end: bigint | undefined;
  const ledger = {
    probe: async () => options.controlAnswers?.() ?? true,
    ranges: {
      partitionEnd: async () => end,
      async commitRange(range: RangeCommit) {
        const failure = options.commitFails?.(range);
        if (failure !== undefined) throw failure;
        if (end !== undefined && range.first !== end + 1n) return false;
        end = range.last;
        commits.push(range);
        return true;
      },
    },
  } as unknown as Ledger;
  const store = {
    bucket: "b",
    async put(key: string, body: Buffer | string) {
      objects.set(key, Buffer.from(body));
    },
    get: async (key: string) => objects.get(key),
    head: async (key: string): Promise<ObjectInfo | undefined> => (objects.has(key) ? ({ key } as ObjectInfo) : undefined),
  } as unknown as ObjectStore;
  return { ledger, store, commits, objects };
}

function stage(f: ReturnType<typeof fakes>, versionById: (id: number) => Promise<VersionInfo | undefined>) {
  return createStageToS3({
    ledger: f.ledger,
    store: f.store,
    versions: { versionById },
    limits: { maxRows: 100_000, maxBytes: 1 << 30 },
    gzipLevel: 1,
    metrics: batcherMetrics(new Registry()),
    log: createLogger("batcher", "silent"),
    crash: noCrash,
    appOf: () => "acme",
    maxRepeats: 2,
    backoff: { baseMs: 1, maxMs: 1 },
  });
}

const running: BatchContext = { heartbeat: async () => undefined, isRunning: () => true };
const batchOf = (messages: ConsumedMessage[]) => ({ topic: TOPIC, partition: 0, messages, highWatermark: String(messages.length) });
/** Every committed row offset range and rejected record, in order. */
const covered = (commits: readonly RangeCommit[]) => commits.map((c) => [Number(c.first), Number(c.last)]);
const rejected = (commits: readonly RangeCommit[]) => commits.flatMap((c) => c.rejected.map((r) => [r.offset, r.code]));
const rows = (commits: readonly RangeCommit[]) => commits.reduce((n, c) => n + c.files.reduce((m, f) => m + f.rows, 0), 0);

describe("stage 1 never lets a record hold its partition", () => {
  it("rejects the records of a schema version that cannot be read; the others become rows", async () => {
    const f = fakes();
    const versionById = async (id: number) => {
      if (id === 8) throw new SyntaxError("Unexpected token } in JSON at position 12");
      return version;
    };
    await stage(f, versionById)(batchOf([record(0), record(1), record(2, 8), record(3), record(4)]), running);
    expect(covered(f.commits)).toEqual([[0, 4]]);
    expect(rejected(f.commits)).toEqual([["2", "BATCHER_SCHEMA_UNREADABLE"]]);
    expect(rows(f.commits)).toBe(4);
  });

  it("cuts a range that cannot be written until the record at fault is alone, and keeps that record as rejected with its bytes; an outage changes none of it", async () => {
    const messages = Array.from({ length: 10 }, (_, i) => record(i));
    const lost = Object.assign(new Error("connect ECONNREFUSED 127.0.0.1:54329"), { code: "ECONNREFUSED" });
    /** Runs the batch with the control database down for its first `outage` commits, then refusing any range with offset 3 among its rows. */
    const run = async (outage: number) => {
      let down = outage;
      const f = fakes({
        controlAnswers: () => down <= 0,
        commitFails: (range) => {
          if (down-- > 0) return lost;
          return range.first <= 3n && range.last >= 3n && !range.rejected.some((r) => r.offset === "3")
            ? Object.assign(new Error("unsupported Unicode escape sequence"), { code: "22P05" })
            : undefined;
        },
      });
      await stage(f, async () => version)(batchOf(messages), running);
      return f;
    };
    const f = await run(0);
    const ranges = covered(f.commits);
    expect(ranges[0]?.[0]).toBe(0);
    expect(ranges.at(-1)?.[1]).toBe(9);
    for (let i = 1; i < ranges.length; i++) expect(ranges[i]?.[0]).toBe((ranges[i - 1]?.[1] as number) + 1);
    expect(rejected(f.commits)).toEqual([["3", "BATCHER_STAGE_FAILED"]]);
    expect(rows(f.commits)).toBe(9);
    const kept = f.commits.flatMap((c) => c.rejected)[0];
    const lines = gunzipSync(f.objects.get(kept?.objectKey as string) as Buffer).toString().trim().split("\n").map((l) => JSON.parse(l));
    expect(Buffer.from(lines[0].value, "base64")).toEqual(messages[3]?.value);
    // Failures while the control database does not answer are waited out, not taken as the records' (maxRepeats is 2).
    expect(covered((await run(5)).commits)).toEqual(ranges);
  });
});
