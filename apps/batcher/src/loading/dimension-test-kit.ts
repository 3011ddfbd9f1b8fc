/**
 * What the dimension tests share: identify and group calls as the tracking API maps them (the
 * body the sink forwards), the rule's view of them, and the dimension table as rows an analyst
 * would read.
 */
import { quoteIdent } from "@schematizer/postgres";
import type pg from "pg";
import type { TestEvent } from "../batcher-test-kit.ts";
import type { DimensionRow, EntityEvent, TraitValue } from "@schematizer/warehouse";

type Traits = Record<string, string | number | boolean | null>;

/**
 * An identify of `user` at `ts` (RFC 3339), as `_e_user__identifies` receives it.
 *
 * @example
 * ```ts
 * await h.send([identify("m1", "u1", "2024-01-01T00:00:01Z", { plan: "pro" })]);
 * ```
 */
export function identify(id: string, user: string, ts: string, traits: Traits): TestEvent {
  return { id, evname: "identifies", enid: user, ts, body: { userId: user, traits, context: { library: { name: "analytics-node" } } } };
}

/** A group call: `user` puts `group` in, with the group's traits, as `_e_user__groups` receives it. */
export function group(id: string, user: string, groupId: string, ts: string, traits: Traits): TestEvent {
  return { id, evname: "groups", enid: user, ts, body: { userId: user, groupId, traits } };
}

/**
 * The rule's view of an identify or group call made by `identify` or `group`.
 *
 * @example
 * ```ts
 * latestByTime(sent.map(entityEvent)); // what `_d_user` must hold
 * ```
 */
export function entityEvent(event: TestEvent): EntityEvent {
  const body = event.body as { groupId?: string; traits: Traits };
  const traits: Record<string, TraitValue> = {};
  for (const [name, value] of Object.entries(body.traits)) traits[`traits__${name}`] = value;
  return { key: body.groupId ?? (event.enid as string), ts: Date.parse(event.ts as string), id: event.id, traits };
}

/**
 * A dimension table as the rule's rows: key, watermark (`_sz_ts` in ms), and the traits with a value.
 *
 * @example
 * ```ts
 * expect(await readDimension(h.warehouse, h.warehouseSchema, "_d_user", "_sz_enid")).toEqual(latestByTime(events));
 * ```
 */
export async function readDimension(pool: pg.Pool, schema: string, table: string, key: string): Promise<Map<string, DimensionRow>> {
  const { rows } = await pool.query<{ row: Record<string, unknown>; ts: Date }>(
    `SELECT to_jsonb(d) AS row, d."_sz_ts" AS ts FROM ${quoteIdent(schema)}.${quoteIdent(table)} d ORDER BY 1`,
  );
  const dimension = new Map<string, DimensionRow>();
  for (const { row, ts } of rows) {
    const traits: Record<string, TraitValue> = {};
    for (const [name, value] of Object.entries(row)) {
      if (name.startsWith("traits__") && value !== null) traits[name] = value as TraitValue;
    }
    const entity = String(row[key]);
    dimension.set(entity, { key: entity, ts: ts.getTime(), id: row._sz_id as string, traits });
  }
  return dimension;
}
