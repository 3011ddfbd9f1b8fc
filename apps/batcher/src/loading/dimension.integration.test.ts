import fc from "fast-check";
import { quoteIdent } from "@schematizer/postgres";
import { test } from "@schematizer/testing";
import { describe, expect } from "vitest";
import { batcherHarness, type BatcherHarness, type TestEvent } from "../batcher-test-kit.ts";
import { latestByTime } from "@schematizer/warehouse";
import { entityEvent, group, identify, readDimension } from "./dimension-test-kit.ts";

const IDENTIFIES = "_e_user__identifies";
const USERS = "_d_user";
const t = (second: number) => `2024-05-01T12:00:${String(second).padStart(2, "0")}Z`;

/** Sends one load's worth of events and waits until the event table holds `total` rows. */
async function load(h: BatcherHarness, events: TestEvent[], table: string, total: number): Promise<void> {
  await h.send(events);
  await h.waitForRows(table, total);
}

async function dimensionRows(h: BatcherHarness, table: string, columns: string, key: string): Promise<Record<string, unknown>[]> {
  const { rows } = await h.warehouse.query(`SELECT ${columns} FROM ${quoteIdent(h.warehouseSchema)}.${quoteIdent(table)} ORDER BY ${quoteIdent(key)}`);
  return rows;
}

describe("dimension tables on the Postgres warehouse", () => {
  test("users: identifies loaded out of order across loads, a late older one, a redelivery, a new trait and a widened one", async ({ kafka, db, bucket, endpoints }) => {
    const h = await batcherHarness({ kafka, db, bucket, endpoints }, "acme");
    try {
      await h.batcher();
      // Load 1: the newest identify of u1 first.
      await load(h, [identify("m5", "u1", t(5), { email: "new@initech.com", plan: "pro", logins: 5 }), identify("m1", "u2", t(1), { email: "bob@initech.com" })], IDENTIFIES, 2);
      const columns = `_sz_enid, _sz_ts = '${t(5)}' AS latest, _sz_id, traits__email, traits__plan, traits__logins`;
      expect(await dimensionRows(h, USERS, "_sz_enid, _sz_id, traits__email, traits__plan, traits__logins", "_sz_enid")).toEqual([
        { _sz_enid: "u1", _sz_id: "m5", traits__email: "new@initech.com", traits__plan: "pro", traits__logins: "5" },
        { _sz_enid: "u2", _sz_id: "m1", traits__email: "bob@initech.com", traits__plan: null, traits__logins: null },
      ]);

      // Load 2: an older identify of u1 arrives late, with a trait no newer one has; u2 moves on, clearing nothing with a null.
      await load(
        h,
        [identify("m2", "u1", t(2), { email: "old@initech.com", plan: "free", name: "Peter" }), identify("m3", "u2", t(3), { email: null, plan: "team" })],
        IDENTIFIES,
        4,
      );
      expect(await dimensionRows(h, USERS, columns, "_sz_enid")).toEqual([
        { _sz_enid: "u1", latest: true, _sz_id: "m5", traits__email: "new@initech.com", traits__plan: "pro", traits__logins: "5" },
        { _sz_enid: "u2", latest: false, _sz_id: "m3", traits__email: "bob@initech.com", traits__plan: "team", traits__logins: null },
      ]);
      expect(await dimensionRows(h, USERS, "_sz_enid, traits__name", "_sz_enid")).toEqual([
        { _sz_enid: "u1", traits__name: "Peter" },
        { _sz_enid: "u2", traits__name: null },
      ]);

      // Load 3: the first message again (an SDK's retry, or a replay), a trait no one sent before, and
      // logins as text: the column widens in the event table and the dimension alike.
      await load(
        h,
        [
          identify("m5", "u1", t(5), { email: "new@initech.com", plan: "pro", logins: 5 }),
          identify("m6", "u1", t(6), { logins: "many", company: "Initech" }),
          identify("m4", "u3", t(4), { email: "milton@initech.com" }),
        ],
        IDENTIFIES,
        6,
      );
      await h.waitForRows(USERS, 3);
      expect(await dimensionRows(h, USERS, "_sz_enid, _sz_id, traits__email, traits__plan, traits__logins, traits__company, traits__name", "_sz_enid")).toEqual([
        { _sz_enid: "u1", _sz_id: "m6", traits__email: "new@initech.com", traits__plan: "pro", traits__logins: "many", traits__company: "Initech", traits__name: "Peter" },
        { _sz_enid: "u2", _sz_id: "m3", traits__email: "bob@initech.com", traits__plan: "team", traits__logins: null, traits__company: null, traits__name: null },
        { _sz_enid: "u3", _sz_id: "m4", traits__email: "milton@initech.com", traits__plan: null, traits__logins: null, traits__company: null, traits__name: null },
      ]);
      const types = await h.warehouse.query<{ column_name: string; data_type: string }>(
        `SELECT column_name, data_type FROM information_schema.columns WHERE table_schema = $1 AND table_name = $2 ORDER BY ordinal_position`,
        [h.warehouseSchema, USERS],
      );
      expect(types.rows.map((r) => [r.column_name, r.data_type])).toEqual([
        ["_sz_enid", "text"],
        ["_sz_ts", "timestamp with time zone"],
        ["_sz_id", "text"],
        ["traits__email", "text"],
        ["traits__logins", "text"],
        ["traits__plan", "text"],
        ["traits__name", "text"],
        ["traits__company", "text"],
      ]);
      // The event table holds every message once; the dimension is the rule applied to it.
      expect(await h.rows(IDENTIFIES, "_sz_id")).toEqual(["m1", "m2", "m3", "m4", "m5", "m6"].map((id) => ({ _sz_id: id })));
    } finally {
      await h.close();
    }
  });

  test("groups: one row per group_id with the group's latest traits, whoever sent them", async ({ kafka, db, bucket, endpoints }) => {
    const h = await batcherHarness({ kafka, db, bucket, endpoints }, "acme");
    try {
      await h.batcher();
      await load(h, [group("g2", "u2", "initech", t(8), { employees: 500 }), group("g1", "u1", "initech", t(7), { name: "Initech", employees: 420 })], "_e_user__groups", 2);
      await load(h, [group("g3", "u1", "initrode", t(9), { name: "Initrode" }), group("g0", "u3", "initech", t(1), { name: "Initech Corp", plan: "enterprise" })], "_e_user__groups", 4);
      expect(await dimensionRows(h, "_d_user__groups", "group_id, _sz_id, traits__name, traits__employees, traits__plan", "group_id")).toEqual([
        { group_id: "initech", _sz_id: "g2", traits__name: "Initech", traits__employees: "500", traits__plan: "enterprise" },
        { group_id: "initrode", _sz_id: "g3", traits__name: "Initrode", traits__employees: null, traits__plan: null },
      ]);
    } finally {
      await h.close();
    }
  });

  test("a dimension table made after its event table has rows starts from all of them", async ({ kafka, db, bucket, endpoints }) => {
    const h = await batcherHarness({ kafka, db, bucket, endpoints }, "acme");
    try {
      await h.batcher();
      const before = [identify("m1", "u1", t(1), { plan: "free", email: "a@x.io" }), identify("m2", "u2", t(2), { plan: "pro" })];
      await load(h, before, IDENTIFIES, 2);
      // A warehouse from before dimension tables: the event table alone.
      await h.warehouse.query(`DROP TABLE ${quoteIdent(h.warehouseSchema)}.${quoteIdent(USERS)}`);
      await h.warehouse.query(`DELETE FROM ${quoteIdent(h.warehouseSchema)}."_sz_tables" WHERE table_name = $1`, [USERS]);
      const after = [identify("m3", "u1", t(3), { plan: "pro" })];
      await load(h, after, IDENTIFIES, 3);
      await h.waitForRows(USERS, 2);
      expect(await readDimension(h.warehouse, h.warehouseSchema, USERS, "_sz_enid")).toEqual(latestByTime([...before, ...after].map(entityEvent)));
    } finally {
      await h.close();
    }
  });

  test("generated identifies, loaded in random order and cuts with redeliveries, end where the rule says", async ({ kafka, db, bucket, endpoints }) => {
    const h = await batcherHarness({ kafka, db, bucket, endpoints }, "acme");
    try {
      await h.batcher();
      // Times tie within a second, so ids (with multi-byte characters) decide; values are text, null or absent.
      const trait = fc.option(fc.constantFrom("a", "b", "c", ""), { nil: null });
      const [events] = fc.sample(
        fc.array(
          fc.record({
            user: fc.constantFrom("u1", "u2", "u3", "u4"),
            second: fc.integer({ min: 0, max: 5 }),
            traits: fc.record({ plan: trait, email: trait, seats: trait }, { requiredKeys: [] }),
          }),
          { minLength: 40, maxLength: 40 },
        ),
        { numRuns: 1, seed: 14 },
      );
      const ids = ["a", "B", "é", "\u{1F600}", "\uFF5E", "z"];
      const sent = events!.map((e, i) => identify(`${ids[i % ids.length]}${i}`, e.user, t(e.second), e.traits));
      const [cuts] = fc.sample(fc.shuffledSubarray(sent, { minLength: sent.length }), { numRuns: 1, seed: 15 });
      const arrivals = [...cuts!, sent[3]!, sent[17]!, sent[29]!];
      for (let i = 0, loaded = 0; i < arrivals.length; i += 9) {
        const part = arrivals.slice(i, i + 9);
        loaded = new Set([...arrivals.slice(0, i + 9).map((e) => e.id)]).size;
        await load(h, part, IDENTIFIES, loaded);
      }
      expect(await readDimension(h.warehouse, h.warehouseSchema, USERS, "_sz_enid")).toEqual(latestByTime(sent.map(entityEvent)));
    } finally {
      await h.close();
    }
  });
});
