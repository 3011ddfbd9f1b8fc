import { describe, expect, it } from "vitest";
import { isTableSubjectName, tableSubject } from "./subject-naming.ts";

describe("table subjects", () => {
  it("follow TopicRecordNameStrategy: the app's sql topic, a dash, the record's full name", () => {
    expect(tableSubject("acme", "_e_user__pass_mission")).toBe("sql.acme-schematizer._e_user__pass_mission");
    expect(tableSubject("acme", "_e_user__login", "staging.")).toBe("staging.sql.acme-schematizer._e_user__login");
  });

  it("reserve their shape, and only under the environment's prefix", () => {
    expect(isTableSubjectName(tableSubject("acme", "_e_a__b"))).toBe(true);
    expect(isTableSubjectName(tableSubject("acme", "_e_a__b", "t1."), "t1.")).toBe(true);
    expect(isTableSubjectName(tableSubject("acme", "_e_a__b"), "t1.")).toBe(false);
    expect(isTableSubjectName("payments-value")).toBe(false);
    expect(isTableSubjectName("com.acme.Payment")).toBe(false);
    expect(isTableSubjectName("sql.acme-value")).toBe(false);
  });
});
