import { describe, expect, it } from "vitest";
import { refusedRows } from "./redshift-set-aside.ts";

describe("refusedRows", () => {
  const text = Buffer.from('e1,1\ne2,"multi\nline",x\ne3,3\n');
  const files = [{ key: "loads/acme/t/v1/sql.acme+0+0-2.csv.gz", text }];
  it("turns the rows of SYS_LOAD_ERROR_DETAIL into the records they name, once each, with Redshift's reason", () => {
    const url = "s3://bkt/loads/acme/t/v1/sql.acme+0+0-2.csv.gz      ";
    const { rows, unknown } = refusedRows(
      [
        { file_name: url, line_number: "3", column_name: "level     ", error_code: "1207", error_message: "Invalid digit, Value 'x', Pos 0, Type: Long   " },
        { file_name: url, line_number: 2, column_name: "other", error_code: 1204, error_message: "String length exceeds DDL length" },
      ],
      files,
      "bkt",
    );
    expect(unknown).toEqual([]);
    expect(rows).toEqual([
      {
        key: "loads/acme/t/v1/sql.acme+0+0-2.csv.gz",
        line: 2,
        code: "BATCHER_INVALID_VALUE",
        reason: "level: Invalid digit, Value 'x', Pos 0, Type: Long (Redshift load error 1207)",
        csv: Buffer.from('e2,"multi\nline",x'),
      },
    ]);
  });

  it("reports errors it cannot place, so the load is tried again rather than lose a row", () => {
    const { rows, unknown } = refusedRows([{ file_name: "s3://other/x.csv.gz", line_number: 1, column_name: null, error_code: 1214, error_message: "Delimiter not found" }], files, "bkt");
    expect(rows).toEqual([]);
    expect(unknown).toHaveLength(1);
  });
});
