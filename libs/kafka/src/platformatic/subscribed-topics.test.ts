import { describe, expect, it } from "vitest";
import { subscribedTopics } from "./subscribed-topics.ts";

describe("subscribedTopics", () => {
  const existing = ["__consumer_offsets", "raw.a", "raw.b", "sql.a"];

  it("takes the names, then the topics each pattern matches now, each once", () => {
    expect(subscribedTopics(["sql.a", /^raw\./, /\.a$/], existing)).toEqual(["sql.a", "raw.a", "raw.b"]);
    expect(subscribedTopics([/^dlq\./], existing)).toEqual([]);
  });

  it("refuses a named topic that does not exist, naming every missing one", () => {
    expect(() => subscribedTopics(["raw.a", "raw.x", "raw.y", /^sql\./], existing)).toThrow("topic raw.x, raw.y does not exist");
  });
});
