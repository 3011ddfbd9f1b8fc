import { describe, expect, it } from "vitest";
import { emptySchema, mergeSchema, observe } from "@schematizer/schema";
import { describeDiff } from "./lineage.ts";

describe("describeDiff", () => {
  it("says what a version added, widened and remapped", () => {
    const v1 = mergeSchema(emptySchema("_e_user__login", "redshift"), observe({ level: 7, user: { isPremium: false } }));
    const v2 = mergeSchema(v1.schema, observe({ level: 7.5, name: "x", user: { is_premium: true } }));
    if (!v1.changed || !v2.changed) throw new Error("expected changes");
    expect(describeDiff(v1.diff)).toEqual([
      "added level bigint from $.body.level",
      "added user__is_premium boolean from $.body.user.isPremium",
    ]);
    expect(describeDiff(v2.diff)).toEqual([
      "added name varchar(256) from $.body.name",
      "widened level from bigint to double",
      "mapped $.body.user.is_premium to user__is_premium",
    ]);
  });
});
