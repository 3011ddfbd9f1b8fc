import avsc from "avsc";
import { describe, expect, it } from "vitest";
import { asCompatibilityLevel, isCompatible } from "./avro-compatibility.ts";

const type = (fields: object[]) => avsc.Type.forSchema({ type: "record", name: "r", fields } as avsc.Schema);
const v1 = type([{ name: "a", type: "int" }]);
const withDefault = type([{ name: "a", type: "int" }, { name: "b", type: "string", default: "" }]);
const withoutDefault = type([{ name: "a", type: "int" }, { name: "b", type: "string" }]);
const widened = type([{ name: "a", type: "long" }]);

describe("isCompatible", () => {
  it("BACKWARD: the new schema reads the latest one's data", () => {
    expect(isCompatible("BACKWARD", withDefault, [v1])).toBe(true);
    expect(isCompatible("BACKWARD", withoutDefault, [v1])).toBe(false);
    expect(isCompatible("BACKWARD", widened, [v1])).toBe(true);
  });

  it("FORWARD: the latest reads the new schema's data", () => {
    expect(isCompatible("FORWARD", withoutDefault, [v1])).toBe(true);
    expect(isCompatible("FORWARD", widened, [v1])).toBe(false);
  });

  it("FULL: both ways", () => {
    expect(isCompatible("FULL", withDefault, [v1])).toBe(true);
    expect(isCompatible("FULL", widened, [v1])).toBe(false);
  });

  it("transitive levels check every version, the plain ones only the latest", () => {
    // long reads int and long; int reads neither long's data: v1 → widened → v1 again.
    expect(isCompatible("FORWARD", v1, [widened, v1])).toBe(true);
    expect(isCompatible("FORWARD_TRANSITIVE", v1, [widened, v1])).toBe(true);
    expect(isCompatible("BACKWARD", v1, [widened, v1])).toBe(true);
    expect(isCompatible("BACKWARD_TRANSITIVE", v1, [widened, v1])).toBe(false);
  });

  it("NONE and a first version always pass", () => {
    expect(isCompatible("NONE", withoutDefault, [v1])).toBe(true);
    expect(isCompatible("FULL_TRANSITIVE", withoutDefault, [])).toBe(true);
  });
});

describe("asCompatibilityLevel", () => {
  it("accepts Confluent's levels in any case", () => {
    expect(asCompatibilityLevel("backward_transitive")).toBe("BACKWARD_TRANSITIVE");
    expect(asCompatibilityLevel("LAX")).toBeUndefined();
    expect(asCompatibilityLevel(3)).toBeUndefined();
  });
});
