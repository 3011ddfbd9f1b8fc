import { describe, expect, it } from "vitest";
import { batchKeys, copyManifest, rejectsKey } from "./batch-key.ts";

describe("batch keys", () => {
  const c = { app: "acme", table: "_e_user__login", version: 3, topic: "sql.acme", partition: 2, first: "100", last: "199" };

  it("are derived from the batch alone, so a retry writes the same objects", () => {
    expect(batchKeys(c)).toEqual({
      data: "loads/acme/_e_user__login/v3/sql.acme+2+100-199.csv.gz",
      manifest: "loads/acme/_e_user__login/v3/sql.acme+2+100-199.manifest",
      meta: "loads/acme/_e_user__login/v3/sql.acme+2+100-199.meta.json",
    });
    expect(batchKeys({ ...c })).toEqual(batchKeys(c));
  });

  it("differ for every table, version, partition and range", () => {
    const keys = new Set(
      [c, { ...c, table: "_e_user__logout" }, { ...c, version: 4 }, { ...c, partition: 3 }, { ...c, first: "101" }, { ...c, last: "198" }, { ...c, topic: "t_x.sql.acme" }].map(
        (x) => batchKeys(x).data,
      ),
    );
    expect(keys.size).toBe(7);
  });

  it("keep rejected records per range", () => {
    expect(rejectsKey("acme", "sql.acme", 0, "5", "9")).toBe("rejects/acme/sql.acme+0+5-9.jsonl.gz");
  });
});

describe("copyManifest", () => {
  it("is Redshift's COPY manifest: every file mandatory, with its length", () => {
    expect(copyManifest("loads", [{ key: "loads/a.csv.gz", bytes: 12 }, { key: "loads/b.csv.gz", bytes: 34 }])).toEqual({
      entries: [
        { url: "s3://loads/loads/a.csv.gz", mandatory: true, meta: { content_length: 12 } },
        { url: "s3://loads/loads/b.csv.gz", mandatory: true, meta: { content_length: 34 } },
      ],
    });
  });
});
