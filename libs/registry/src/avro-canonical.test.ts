import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { canonicalAvro, parseAvro } from "./avro-canonical.ts";

const record = {
  type: "record",
  name: "Payment",
  namespace: "com.acme",
  doc: "one payment",
  fields: [
    { name: "amount", type: { type: "long" } },
    { name: "payer", type: ["null", { type: "record", name: "Party", fields: [{ name: "id", type: "string" }] }], default: null },
    { name: "refund", type: ["null", "Party"], default: null },
  ],
};

describe("canonicalAvro", () => {
  it("folds namespaces into full names, and primitive objects into names", () => {
    expect(JSON.parse(canonicalAvro(record))).toEqual({
      type: "record",
      name: "com.acme.Payment",
      doc: "one payment",
      fields: [
        { name: "amount", type: "long" },
        {
          name: "payer",
          type: ["null", { type: "record", name: "com.acme.Party", fields: [{ name: "id", type: "string" }] }],
          default: null,
        },
        { name: "refund", type: ["null", "com.acme.Party"], default: null },
      ],
    });
  });

  it("is the same for every spelling of one schema: key order, whitespace, namespace style", () => {
    const respelled = {
      fields: record.fields,
      name: "com.acme.Payment",
      doc: "one payment",
      type: "record",
    };
    expect(canonicalAvro(respelled)).toBe(canonicalAvro(record));
    expect(canonicalAvro(JSON.parse(JSON.stringify(record, null, 4)))).toBe(canonicalAvro(record));
  });

  it("keeps what tells schemas apart: field order, defaults, documentation, logical types", () => {
    const swapped = { ...record, fields: [record.fields[1], record.fields[0], record.fields[2]] };
    expect(canonicalAvro(swapped)).not.toBe(canonicalAvro(record));
    expect(canonicalAvro({ ...record, doc: "other" })).not.toBe(canonicalAvro(record));
    expect(canonicalAvro({ type: "long", logicalType: "timestamp-micros" })).not.toBe(canonicalAvro("long"));
  });

  it("is independent of key order for any JSON object (property)", () => {
    fc.assert(
      fc.property(fc.dictionary(fc.string(), fc.jsonValue()), (object) => {
        const reversed = Object.fromEntries(Object.entries(object).reverse());
        expect(canonicalAvro(reversed)).toBe(canonicalAvro(object));
      }),
    );
  });
});

describe("parseAvro", () => {
  it("accepts valid schemas and gives equal fingerprints to equal schemas", () => {
    const a = parseAvro(JSON.stringify(record));
    const b = parseAvro(JSON.stringify(record, null, 2));
    expect(a.ok && b.ok && a.value.fingerprint === b.value.fingerprint).toBe(true);
    expect(parseAvro('"string"').ok).toBe(true);
  });

  it("says why it refuses text that is not JSON, or not Avro", () => {
    expect(parseAvro("{not json")).toMatchObject({ ok: false, error: expect.stringMatching(/not JSON/) as unknown });
    expect(parseAvro('{"type":"record"}')).toMatchObject({ ok: false, error: expect.stringMatching(/not valid Avro/) as unknown });
    expect(parseAvro('"NoSuchType"')).toMatchObject({ ok: false });
    const badDefault = { type: "record", name: "r", fields: [{ name: "a", type: "int", default: "x" }] };
    expect(parseAvro(JSON.stringify(badDefault)).ok).toBe(false);
  });
});
