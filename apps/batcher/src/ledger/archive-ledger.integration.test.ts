import { archiveKey } from "@schematizer/contracts";
import { test } from "@schematizer/testing";
import fc from "fast-check";
import { describe, expect } from "vitest";
import { sweepDeadFiles } from "../archive/archive-sweep.ts";
import { createArchiveLedger, type ArchiveFile, type ArchiveRange } from "./archive-ledger.ts";
import { migrateLedger } from "./ledger-migrations.ts";
import { rangeStart } from "./range-fence.ts";
import { createRangeLedger } from "./range-ledger.ts";

const TOPIC = "raw.acme";
const HOUR = 3_600_000;

/** A range of offsets `first`..`last` whose events fall in one or two hours (offset 10 starts the second). */
function archiveRange(partition: number, first: bigint, last: bigint): ArchiveRange {
  const hours = [...new Set([first, last].map((o) => (o < 10n ? 0 : HOUR)))];
  const files = hours.map(
    (hourMs): ArchiveFile => ({
      objectKey: archiveKey({ app: "acme", hourMs, topic: TOPIC, partition, first: first.toString(), last: last.toString() }),
      app: "acme",
      first: (hourMs === 0 ? first : first > 10n ? first : 10n).toString(),
      last: (hourMs === 0 && last >= 10n ? 9n : last).toString(),
      events: 1,
      bytes: 1,
      hourMs,
      oldestReceivedMs: hourMs,
      newestReceivedMs: hourMs,
    }),
  );
  return { topic: TOPIC, partition, first, last, unseen: 0n, skipped: 0, files };
}

describe("the archive ledger", () => {
  test("keeps every offset in one archived file, and never gives an archived file up, however writers race and crash", async ({ db }) => {
    // Writers (consumers after rebalances, zombies, crashed processes) name a range's files, then
    // commit them, with any interleaving; one fenced out gives up its files (`abandon`), one that
    // crashed leaves them named. Afterwards the sweep deletes what can never commit. Each run is a partition.
    await migrateLedger(db.pool, db.schema);
    const archive = createArchiveLedger(db.pool, db.schema);
    const ranges = createRangeLedger(db.pool, db.schema);
    let partition = 0;
    const writer = fc.record({ cuts: fc.array(fc.integer({ min: 1, max: 7 }), { minLength: 1, maxLength: 6 }), crashes: fc.boolean() });
    await fc.assert(
      fc.asyncProperty(fc.array(writer, { minLength: 1, maxLength: 3 }), fc.array(fc.nat(), { maxLength: 40 }), async (writers, schedule) => {
        const p = partition++;
        const state = writers.map((w) => ({ cuts: [...w.cuts], crashes: w.crashes, pending: undefined as ArchiveRange | undefined }));
        const deleted = new Set<string>();
        const step = async (i: number) => {
          const s = state[i]!;
          if (s.pending !== undefined) {
            const range = s.pending;
            s.pending = undefined;
            if (!(await archive.commit(range))) for (const key of await archive.abandon(range)) deleted.add(key);
            return;
          }
          const size = s.cuts.shift();
          if (size === undefined) return;
          const end = await ranges.partitionEnd(TOPIC, p);
          const { first } = rangeStart(end, end === undefined ? 0n : end + 1n);
          const range = archiveRange(p, first, first + BigInt(size) - 1n);
          await archive.intend(range);
          // A writer that crashes never commits: its files stay named, `writing`.
          if (!(s.crashes && s.cuts.length === 0)) s.pending = range;
        };
        for (const pick of schedule) await step(pick % state.length);
        for (let i = 0; i < state.length; i++) while (state[i]!.cuts.length > 0 || state[i]!.pending !== undefined) await step(i);
        await sweepDeadFiles(archive, { delete: async (keys) => void keys.forEach((k) => deleted.add(k)) });

        const { rows } = await db.pool.query<{ object_key: string; state: string; range_first: string; first_offset: string; last_offset: string }>(
          `SELECT object_key, state, range_first, first_offset, last_offset FROM archive_files WHERE partition = $1 ORDER BY first_offset`,
          [p],
        );
        const archived = rows.filter((r) => r.state === "archived");
        for (const r of archived) expect(deleted.has(r.object_key), `${r.object_key} archived, then deleted`).toBe(false);
        for (let k = 1; k < archived.length; k++) expect(BigInt(archived[k]!.first_offset)).toBe(BigInt(archived[k - 1]!.last_offset) + 1n);
        // What is left `writing` is a range no one committed past yet: it may still commit.
        const end = await ranges.partitionEnd(TOPIC, p);
        for (const r of rows.filter((x) => x.state === "writing")) expect(end === undefined || BigInt(r.range_first) > end).toBe(true);
        if (end !== undefined) expect(BigInt(archived.at(-1)!.last_offset)).toBe(end);
      }),
      { numRuns: 60 },
    );
  });
});
