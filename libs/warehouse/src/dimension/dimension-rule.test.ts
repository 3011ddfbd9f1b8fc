import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { isLater, latestByTime, mergeLoad, type DimensionRow, type EntityEvent } from "./dimension-rule.ts";

describe("the latest-by-time rule", () => {
  it("keeps each trait's value from the entity's latest event that has one", () => {
    const rows = latestByTime([
      { key: "u1", ts: 30, id: "m3", traits: { plan: "pro" } },
      { key: "u1", ts: 10, id: "m1", traits: { plan: "free", email: "old@x.io", seats: 1 } },
      { key: "u1", ts: 20, id: "m2", traits: { email: "new@x.io", seats: null } },
      { key: "u2", ts: 5, id: "m9", traits: {} },
    ]);
    expect(rows.get("u1")).toEqual({ key: "u1", ts: 30, id: "m3", traits: { plan: "pro", email: "new@x.io", seats: 1 } });
    expect(rows.get("u2")).toEqual({ key: "u2", ts: 5, id: "m9", traits: {} });
  });

  it("breaks a tie on time by id, in UTF-8 byte order", () => {
    expect(isLater({ ts: 1, id: "b" }, { ts: 1, id: "a" })).toBe(true);
    expect(isLater({ ts: 1, id: "a" }, { ts: 1, id: "a" })).toBe(false);
    // UTF-16 puts U+FF5E before U+1F600 (a surrogate pair); UTF-8, as Postgres "C" and Redshift compare, after.
    expect(isLater({ ts: 1, id: "\u{1F600}" }, { ts: 1, id: "\uFF5E" })).toBe(true);
    const tie = [
      { key: "u1", ts: 1, id: "m-b", traits: { plan: "b" } },
      { key: "u1", ts: 1, id: "m-a", traits: { plan: "a" } },
    ];
    expect(latestByTime(tie).get("u1")?.traits).toEqual({ plan: "b" });
    expect(latestByTime([...tie].reverse()).get("u1")?.traits).toEqual({ plan: "b" });
  });
});

describe("mergeLoad, load after load", () => {
  it("a late older identify never overwrites a newer trait; a later one overwrites only what it carries", () => {
    const newer: EntityEvent = { key: "u1", ts: 20, id: "m2", traits: { plan: "pro" } };
    const older: EntityEvent = { key: "u1", ts: 10, id: "m1", traits: { plan: "free", email: "a@x.io" } };
    const later: EntityEvent = { key: "u1", ts: 30, id: "m3", traits: { email: "b@x.io" } };
    let dimension = mergeLoad(new Map(), [newer], () => [newer]);
    dimension = mergeLoad(dimension, [older], () => [newer, older]);
    expect(dimension.get("u1")).toEqual({ key: "u1", ts: 20, id: "m2", traits: { plan: "pro", email: "a@x.io" } });
    dimension = mergeLoad(dimension, [later], () => [newer, older, later]);
    expect(dimension.get("u1")).toEqual({ key: "u1", ts: 30, id: "m3", traits: { plan: "pro", email: "b@x.io" } });
  });

  it("ends, for every order of five identifies loaded one by one, where the rule does", () => {
    const events: EntityEvent[] = [
      { key: "u1", ts: 10, id: "m1", traits: { plan: "free", email: "a@x.io" } },
      { key: "u1", ts: 20, id: "m2", traits: { plan: "pro", email: null } },
      { key: "u1", ts: 20, id: "m0", traits: { plan: "team", seats: 3 } },
      { key: "u1", ts: 5, id: "m9", traits: { seats: 9, name: "Ann" } },
      { key: "u1", ts: 40, id: "m4", traits: {} },
    ];
    const expected = latestByTime(events);
    let orders = 0;
    for (const order of permutations(events)) {
      expect(replay(order.map((e) => [e]), "inserted")).toEqual(expected);
      orders++;
    }
    expect(orders).toBe(120);
  });

  // Identifies of a few entities at a few instants (so times tie), with traits present, absent or
  // null, delivered as loads cut anywhere, in any order, some of them more than once; the
  // dimension may be created (filled from the event table) before any load or between two.
  const traitValue = fc.option(fc.oneof(fc.constantFrom("free", "pro", ""), fc.integer({ min: 0, max: 3 }), fc.boolean()), { nil: null });
  const event = fc.record({
    key: fc.constantFrom("u1", "u2", "u3"),
    ts: fc.integer({ min: 0, max: 4 }),
    traits: fc.record({ plan: traitValue, email: traitValue, seats: traitValue }, { requiredKeys: [] }),
  });
  const events = fc
    .uniqueArray(fc.string({ unit: fc.constantFrom("a", "b", "é", "\u{1F600}", "\uFF5E"), minLength: 1, maxLength: 3 }), { minLength: 1, maxLength: 14 })
    .chain((ids) => fc.tuple(fc.constant(ids), fc.array(event, { minLength: ids.length, maxLength: ids.length })))
    .map(([ids, bodies]) => bodies.map((b, i): EntityEvent => ({ ...b, id: ids[i] as string })));
  const delivery = events.chain((sent) =>
    fc.record({
      sent: fc.constant(sent),
      order: fc.shuffledSubarray([...sent, ...sent], { minLength: sent.length * 2 }),
      redelivered: fc.array(fc.nat({ max: sent.length * 2 - 1 }), { maxLength: 6 }),
      cuts: fc.array(fc.nat({ max: sent.length * 2 }), { maxLength: 6 }),
      createdAt: fc.nat({ max: 3 }),
    }),
  );

  for (const loaded of ["inserted", "carried"] as const) {
    it(`ends where the rule does, whatever the order, the cuts and the redeliveries (loaded = the rows ${loaded})`, () => {
      fc.assert(
        fc.property(delivery, ({ sent, order, redelivered, cuts, createdAt }) => {
          // Each event once in a random place, then redeliveries of some of them (the second copies).
          const once = dedupeById(order);
          const arrivals = [...once, ...redelivered.map((i) => order[i] as EntityEvent)];
          const loads = cutAt(arrivals, cuts);
          expect(replay(loads, loaded, createdAt)).toEqual(latestByTime(sent));
        }),
        { numRuns: 1000 },
      );
    });
  }
});

/**
 * The event table and its dimension through a sequence of loads: each load adds the rows whose
 * id the table lacks (the event load's rule), then merges. Before `createdAt` loads there is no
 * dimension; it is then filled from the whole table, as a new dimension table is.
 */
function replay(loads: readonly (readonly EntityEvent[])[], loaded: "inserted" | "carried", createdAt = 0): Map<string, DimensionRow> {
  const table = new Map<string, EntityEvent>();
  let dimension: Map<string, DimensionRow> | undefined;
  loads.forEach((load, i) => {
    if (i === createdAt) dimension = latestByTime(table.values());
    const inserted: EntityEvent[] = [];
    for (const e of load) {
      if (table.has(e.id)) continue;
      table.set(e.id, e);
      inserted.push(e);
    }
    if (dimension === undefined) return;
    const rows = loaded === "inserted" ? inserted : [...new Set(load.map((e) => e.id))].map((id) => table.get(id) as EntityEvent);
    dimension = mergeLoad(dimension, rows, (key) => [...table.values()].filter((e) => e.key === key));
  });
  return dimension ?? latestByTime(table.values());
}

function dedupeById(events: readonly EntityEvent[]): EntityEvent[] {
  const seen = new Set<string>();
  return events.filter((e) => !seen.has(e.id) && seen.add(e.id) !== undefined);
}

function cutAt<T>(items: readonly T[], cuts: readonly number[]): T[][] {
  const points = [...new Set(cuts.filter((c) => c > 0 && c < items.length))].sort((a, b) => a - b);
  const parts: T[][] = [];
  let from = 0;
  for (const p of [...points, items.length]) {
    parts.push(items.slice(from, p));
    from = p;
  }
  return parts;
}

function* permutations<T>(items: readonly T[]): Generator<T[]> {
  if (items.length <= 1) {
    yield [...items];
    return;
  }
  for (let i = 0; i < items.length; i++) {
    const rest = [...items.slice(0, i), ...items.slice(i + 1)];
    for (const tail of permutations(rest)) yield [items[i] as T, ...tail];
  }
}
