/**
 * Dimension tables through the whole pipeline: Segment's Node SDK identifies users and groups
 * them against a real event-sink, and `_d_user` and `_d_user__groups` hold each entity's latest
 * traits seconds later; an older identify sent afterwards (a backfill, a phone that was offline)
 * changes only the traits no newer one set.
 */
import { Analytics } from "@segment/analytics-node";
import { describe, expect } from "vitest";
import { waitFor } from "@schematizer/errors";
import { quoteIdent } from "@schematizer/postgres";
import { test } from "@schematizer/testing";
import { startPipeline, type Pipeline } from "./pipeline-kit.ts";

/** How long the dimension tables may take to show what the SDK sent: the pipeline's freshness. */
const WITHIN_MS = 30_000;

/** Waits until a dimension table reads as expected; returns how long that took. */
async function dimensionShows(p: Pipeline, table: string, columns: string, key: string, expected: Record<string, unknown>[]): Promise<number> {
  const started = Date.now();
  const sql = `SELECT ${columns} FROM ${quoteIdent(p.schemaOf("acme"))}.${quoteIdent(table)} ORDER BY ${quoteIdent(key)}`;
  let last: unknown;
  await waitFor(
    `${table} to hold ${JSON.stringify(expected)}`,
    async () => {
      last = await p.warehouse.query(sql).then((r) => r.rows, (error: Error) => error.message);
      return JSON.stringify(last) === JSON.stringify(expected) ? true : undefined;
    },
    { timeoutMs: WITHIN_MS, intervalMs: 100 },
  ).catch((error: unknown) => {
    throw new Error(`${(error as Error).message}; it holds ${JSON.stringify(last)}`);
  });
  return Date.now() - started;
}

describe("dimension tables from Segment's Node SDK", () => {
  test("users' and groups' latest traits appear within seconds; a late older identify fills only the gaps", async ({ kafka, db, bucket, endpoints, annotate }) => {
    const pipeline = await startPipeline({ kafka, db, bucket, endpoints });
    try {
      const key = pipeline.createApp("acme");
      const errors: unknown[] = [];
      const sdk = () => {
        const analytics = new Analytics({ writeKey: key, host: pipeline.sinkUrl, flushAt: 50, flushInterval: 100 });
        analytics.on("error", (error) => errors.push(error));
        return analytics;
      };

      const first = sdk();
      first.identify({ userId: "u1", traits: { email: "peter@initech.com", plan: "free", logins: 1 } });
      first.identify({ userId: "u2", traits: { email: "bob@initech.com" } });
      first.group({ userId: "u1", groupId: "initech", traits: { name: "Initech", employees: 420 } });
      await first.closeAndFlush({ timeout: 30_000 });
      const firstMs = await dimensionShows(pipeline, "_d_user", "_sz_enid, traits__email, traits__plan, traits__logins", "_sz_enid", [
        { _sz_enid: "u1", traits__email: "peter@initech.com", traits__plan: "free", traits__logins: "1" },
        { _sz_enid: "u2", traits__email: "bob@initech.com", traits__plan: null, traits__logins: null },
      ]);
      await dimensionShows(pipeline, "_d_user__groups", "group_id, traits__name, traits__employees", "group_id", [
        { group_id: "initech", traits__name: "Initech", traits__employees: "420" },
      ]);

      // Newer traits for u1 (an email sent as null clears nothing), then an identify from 2020 that arrives late.
      const second = sdk();
      second.identify({ userId: "u1", traits: { plan: "pro", email: null } });
      second.group({ userId: "u2", groupId: "initech", traits: { employees: 500 } });
      await second.closeAndFlush({ timeout: 30_000 });
      const late = sdk();
      late.identify({ userId: "u1", traits: { plan: "trial", email: "old@initech.com", name: "Peter Gibbons" }, timestamp: new Date("2020-01-01T00:00:00Z") });
      await late.closeAndFlush({ timeout: 30_000 });
      // A trait no one sent before (name) becomes a column of the event table and the dimension alike.
      const secondMs = await dimensionShows(pipeline, "_d_user", "_sz_enid, traits__email, traits__plan, traits__logins, traits__name", "_sz_enid", [
        { _sz_enid: "u1", traits__email: "peter@initech.com", traits__plan: "pro", traits__logins: "1", traits__name: "Peter Gibbons" },
        { _sz_enid: "u2", traits__email: "bob@initech.com", traits__plan: null, traits__logins: null, traits__name: null },
      ]);
      await dimensionShows(pipeline, "_d_user__groups", "group_id, traits__name, traits__employees", "group_id", [
        { group_id: "initech", traits__name: "Initech", traits__employees: "500" },
      ]);
      expect(errors).toEqual([]);
      // Every message is one row of its event table; the dimension's watermark is u1's newest identify, not the late one.
      const { rows } = await pipeline.warehouse.query<{ n: string; latest: Date }>(
        `SELECT (SELECT count(*) FROM ${quoteIdent(pipeline.schemaOf("acme"))}."_e_user__identifies") AS n,
                (SELECT _sz_ts FROM ${quoteIdent(pipeline.schemaOf("acme"))}."_d_user" WHERE _sz_enid = 'u1') AS latest`,
      );
      expect(rows[0]?.n).toBe("4");
      expect(rows[0]!.latest.getTime()).toBeGreaterThan(Date.parse("2024-01-01T00:00:00Z"));
      await annotate(`dimension rows visible ${firstMs} ms and ${secondMs} ms after the SDK's flush`);
    } finally {
      await pipeline.stop();
    }
  }, 240_000);
});
