import { z } from "zod";
import { DEFAULT_LIMITS } from "@schematizer/schema";
import { describe, expect, it } from "vitest";
import { eventLimits, eventLimitsEnv, maxRowBytes, RECORD_OVERHEAD_BYTES, topicMessageBytes } from "./event-limits.ts";
import { ConfigError, parseEnv } from "./parse-env.ts";

const schema = z.object({ ...eventLimitsEnv });

describe("event limits", () => {
  it("default to the schema core's limits", () => {
    expect(eventLimits(parseEnv(schema, {}))).toEqual(DEFAULT_LIMITS);
  });

  it("read EVENT_MAX_BYTES and EVENT_MAX_DEPTH, and refuse sizes no topic or warehouse could hold", () => {
    expect(eventLimits(parseEnv(schema, { EVENT_MAX_BYTES: "65536", EVENT_MAX_DEPTH: "8" }))).toEqual({ ...DEFAULT_LIMITS, maxEventBytes: 65_536, maxDepth: 8 });
    expect(() => parseEnv(schema, { EVENT_MAX_BYTES: String(17 * 1024 * 1024) })).toThrow(ConfigError);
    expect(() => parseEnv(schema, { EVENT_MAX_DEPTH: "0" })).toThrow(ConfigError);
  });

  it("size every topic for its largest record: an event with its key and headers, a row twice the event, a dead letter", () => {
    const sizes = topicMessageBytes(1_048_576);
    expect(sizes.raw).toBe(1_048_576 + RECORD_OVERHEAD_BYTES);
    expect(sizes.dlq).toBe(sizes.raw);
    expect(sizes.sql).toBe(2 * 1_048_576 + RECORD_OVERHEAD_BYTES);
    // Above the broker's default (1048588), which a 1 MiB event and its headers exceed.
    expect(sizes.raw).toBeGreaterThan(1_048_588);
    expect(maxRowBytes(1_048_576) + RECORD_OVERHEAD_BYTES).toBe(sizes.sql);
  });
});
