import { describe, expect, it } from "vitest";
import { fileKeys, rejectsKey } from "./file-keys.ts";

describe("file keys", () => {
  const c = { app: "acme", table: "_e_user__login", version: 3, topic: "sql.acme", partition: 2, first: "100", last: "199" };

  it("are derived from the file alone, so a retry writes the same objects", () => {
    expect(fileKeys(c)).toEqual({
      data: "loads/acme/_e_user__login/v3/sql.acme+2+100-199.csv.gz",
      manifest: "loads/acme/_e_user__login/v3/sql.acme+2+100-199.manifest",
      meta: "loads/acme/_e_user__login/v3/sql.acme+2+100-199.meta.json",
    });
    expect(fileKeys({ ...c })).toEqual(fileKeys(c));
  });

  it("differ for every table, version, partition and range", () => {
    const keys = new Set(
      [c, { ...c, table: "_e_user__logout" }, { ...c, version: 4 }, { ...c, partition: 3 }, { ...c, first: "101" }, { ...c, last: "198" }, { ...c, topic: "t_x.sql.acme" }].map(
        (x) => fileKeys(x).data,
      ),
    );
    expect(keys.size).toBe(7);
  });

  it("keep rejected records per range", () => {
    expect(rejectsKey("acme", "sql.acme", 0, "5", "9")).toBe("rejects/acme/sql.acme+0+5-9.jsonl.gz");
  });
});
