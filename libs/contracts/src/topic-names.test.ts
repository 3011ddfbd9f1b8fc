import { describe, expect, it } from "vitest";
import { APP_NAME_PATTERN, topicPattern, topicsFor } from "./topic-names.ts";

describe("topic names", () => {
  it("names an app's three topics", () => {
    expect(topicsFor("acme")).toEqual({ raw: "raw.acme", sql: "sql.acme", dlq: "dlq.acme" });
    expect(topicsFor("acme", "t1.").sql).toBe("t1.sql.acme");
  });

  it("matches one kind of topic and captures the app", () => {
    const raw = topicPattern("raw", "t1.");
    expect("t1.raw.acme".match(raw)?.[1]).toBe("acme");
    expect(raw.test("t1.sql.acme")).toBe(false);
    expect(raw.test("t2.raw.acme")).toBe(false);
    expect(raw.test("t1xraw.acme")).toBe(false);
  });

  it("accepts plain app names only", () => {
    expect(APP_NAME_PATTERN.test("acme_games2")).toBe(true);
    for (const bad of ["", "Acme", "2acme", "ac-me", "a.b", "a".repeat(49)]) expect(APP_NAME_PATTERN.test(bad)).toBe(false);
  });
});
