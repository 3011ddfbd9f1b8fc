import { describe, expect, it } from "vitest";
import { z } from "zod";
import { ConfigError, parseEnv } from "./parse-env.ts";

const schema = z.object({
  PORT: z.coerce.number().int().min(1).max(65535).default(8080),
  KAFKA_BROKERS: z.string().min(1),
});

describe("parseEnv", () => {
  it("applies defaults and coerces", () => {
    expect(parseEnv(schema, { KAFKA_BROKERS: "a:9092", PORT: "" })).toEqual({ PORT: 8080, KAFKA_BROKERS: "a:9092" });
    expect(parseEnv(schema, { KAFKA_BROKERS: "a:9092", PORT: "81" }).PORT).toBe(81);
  });

  it("lists every problem at once", () => {
    try {
      parseEnv(schema, { PORT: "99999" });
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigError);
      const problems = (error as ConfigError).problems;
      expect(problems).toHaveLength(2);
      expect(problems.join("\n")).toMatch(/PORT/);
      expect(problems.join("\n")).toMatch(/KAFKA_BROKERS/);
    }
  });
});
