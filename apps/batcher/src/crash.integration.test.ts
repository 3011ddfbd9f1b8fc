import { quoteIdent } from "@schematizer/postgres";
import { startService, test } from "@schematizer/testing";
import { describe, expect } from "vitest";
import { batcherHarness, exitOf, waitIdle, type TestEvent } from "./batcher-test-kit.ts";
import type { CrashPoint } from "./crash-points.ts";

const LOGIN = "_e_user__login";
const POINTS: CrashPoint[] = ["before-upload", "after-upload", "after-ledger", "after-copy", "before-commit"];

/**
 * kill -9 of a real batcher process at each point of the pipeline, twice in a row, then a fresh
 * batcher finishes the job: the table holds exactly one row per distinct id sent.
 */
describe("kill -9 at every point loses and duplicates nothing", () => {
  for (const point of POINTS) {
    test(`crash ${point}, twice, then a clean batcher`, { timeout: 180_000 }, async ({ kafka, db, bucket, endpoints }) => {
      const h = await batcherHarness({ kafka, db, bucket, endpoints }, "acme", { partitions: 2 });
      try {
        // Client retries: every tenth event is sent twice, some of them far apart.
        const events: TestEvent[] = Array.from({ length: 3000 }, (_, i) => ({ id: `e${i}`, evname: i % 3 === 0 ? "login" : "logout", body: { n: i } }));
        const retries = events.filter((_, i) => i % 10 === 0);
        // Many small producer batches, so fetches are small and each crash point is passed often.
        await h.send([...events.slice(0, 1500), ...retries.slice(0, 100)], 100);
        // Small files, so each process passes its crash point several times.
        const env = { ...h.env, BATCHER_MAX_ROWS: "150", BATCHER_LOAD_MAX_FILES: "2", BATCHER_FETCH_MAX_BYTES: "16384" };

        for (const after of [2, 3]) {
          const victim = startService("batcher", { ...env, BATCHER_CRASH_POINT: point, BATCHER_CRASH_AFTER: String(after), LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? "info" });
          if (after === 3) await h.send([...events.slice(1500), ...retries.slice(100)], 100);
          const code = await exitOf(victim);
          expect(code, victim.output().slice(-2000)).toBeNull(); // killed by a signal, not an exit
        }
        const survivor = startService("batcher", env);
        try {
          // It may find little left to do: its SIGTERM handler must be there before the stop below.
          await survivor.waitForLog("batcher started");
          await h.waitForRows(LOGIN, 1000, 90_000);
          await h.waitForRows("_e_user__logout", 2000, 90_000);
          // Let anything still pending land before counting duplicates.
          await waitIdle(h, kafka.admin);
        } finally {
          expect(await survivor.stop()).toBe(0);
        }
        for (const [table, expected] of [
          [LOGIN, 1000],
          ["_e_user__logout", 2000],
        ] as const) {
          const { rows } = await h.warehouse.query<{ n: string; ids: string }>(
            `SELECT count(*) AS n, count(DISTINCT _sz_id) AS ids FROM ${quoteIdent(h.warehouseSchema)}.${quoteIdent(table)}`,
          );
          expect(rows[0], table).toEqual({ n: String(expected), ids: String(expected) });
        }
        const ranges = await db.pool.query<{ topic: string; partition: number; gaps: string; overlaps: string }>(
          `SELECT partition, count(*) FILTER (WHERE prev IS NOT NULL AND first_offset <> prev + 1) AS gaps,
                  count(*) FILTER (WHERE prev IS NOT NULL AND first_offset <= prev) AS overlaps
           FROM (SELECT partition, first_offset, lag(last_offset) OVER (PARTITION BY topic, partition ORDER BY first_offset) AS prev FROM ranges WHERE topic = $1) r
           GROUP BY partition`,
          [h.sqlTopic],
        );
        for (const r of ranges.rows) expect({ gaps: r.gaps, overlaps: r.overlaps }).toEqual({ gaps: "0", overlaps: "0" });
        const unloaded = await db.pool.query(`SELECT id, state, data_key, attempts, last_error, parked_reason FROM batch_ledger WHERE state <> 'loaded'`);
        expect(unloaded.rows).toEqual([]);
      } finally {
        await h.close();
      }
    });
  }
});
