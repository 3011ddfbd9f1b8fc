import fc from "fast-check";
import { quoteIdent } from "@schematizer/postgres";
import { startService, test } from "@schematizer/testing";
import { describe, expect } from "vitest";
import { batcherHarness, exitOf, waitIdle } from "../batcher-test-kit.ts";
import type { CrashPoint } from "../crash-points.ts";
import { latestByTime } from "@schematizer/warehouse";
import { entityEvent, identify, readDimension } from "./dimension-test-kit.ts";

const IDENTIFIES = "_e_user__identifies";
// Inside the load's transaction, after the dimension's merge ran; and after the commit, before the ledger knows.
const POINTS: CrashPoint[] = ["before-warehouse-commit", "after-copy"];

/**
 * kill -9 of a real batcher while it loads identifies (in no particular order of time, some sent
 * twice), twice in a row, then a fresh batcher finishes: the users' dimension table holds exactly
 * what the latest-by-time rule gives for the messages sent.
 */
describe("kill -9 while loading identifies leaves exactly the right dimension rows", () => {
  for (const point of POINTS) {
    test(`crash ${point}, twice, then a clean batcher`, { timeout: 180_000 }, async ({ kafka, db, bucket, endpoints }) => {
      const h = await batcherHarness({ kafka, db, bucket, endpoints }, "acme");
      try {
        const trait = fc.option(fc.constantFrom("free", "pro", "team", ""), { nil: null });
        const [bodies] = fc.sample(
          fc.array(fc.record({ user: fc.integer({ min: 1, max: 40 }), second: fc.integer({ min: 0, max: 59 }), traits: fc.record({ plan: trait, email: trait, seats: trait }, { requiredKeys: [] }) }), {
            minLength: 600,
            maxLength: 600,
          }),
          { numRuns: 1, seed: 1414 },
        );
        const sent = bodies!.map((b, i) => identify(`m${i}`, `u${b.user}`, `2024-05-01T12:00:${String(b.second).padStart(2, "0")}Z`, b.traits));
        // Client retries: every tenth message is sent twice, some far apart.
        const retries = sent.filter((_, i) => i % 10 === 0);
        await h.send([...sent.slice(0, 300), ...retries.slice(0, 30)], 50);
        // Small files and loads, so each process passes its crash point several times.
        const env = { ...h.env, BATCHER_MAX_ROWS: "40", BATCHER_LOAD_MAX_FILES: "2", BATCHER_FETCH_MAX_BYTES: "16384" };

        for (const after of [2, 3]) {
          const victim = startService("batcher", { ...env, BATCHER_CRASH_POINT: point, BATCHER_CRASH_AFTER: String(after), LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? "info" });
          if (after === 3) await h.send([...sent.slice(300), ...retries.slice(30)], 50);
          const code = await exitOf(victim);
          expect(code, victim.output().slice(-2000)).toBeNull(); // killed by a signal, not an exit
        }
        const survivor = startService("batcher", env);
        try {
          // It may find little left to do: its SIGTERM handler must be there before the stop below.
          await survivor.waitForLog("batcher started");
          await h.waitForRows(IDENTIFIES, sent.length, 90_000);
          await waitIdle(h, kafka.admin);
        } finally {
          expect(await survivor.stop(), survivor.output().slice(-3000)).toBe(0);
        }
        const { rows } = await h.warehouse.query<{ n: string; ids: string }>(
          `SELECT count(*) AS n, count(DISTINCT _sz_id) AS ids FROM ${quoteIdent(h.warehouseSchema)}.${quoteIdent(IDENTIFIES)}`,
        );
        expect(rows[0]).toEqual({ n: String(sent.length), ids: String(sent.length) });
        expect(await readDimension(h.warehouse, h.warehouseSchema, "_d_user", "_sz_enid")).toEqual(latestByTime(sent.map(entityEvent)));
      } finally {
        await h.close();
      }
    });
  }
});
