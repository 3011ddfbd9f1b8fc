import { describe, expect, it } from "vitest";
import { refusedRows } from "./redshift-set-aside.ts";
import { copySql, literal, loadErrorsSql, mergeSql, redshiftPrepareStatements } from "./redshift-sql.ts";

describe("Redshift SQL", () => {
  it("COPYs gzip CSV through a manifest with an explicit column list, NULL as the empty field, and an IAM role", () => {
    expect(
      copySql({
        schema: "acme",
        into: "_sz_stage",
        temporary: true,
        columns: ["_sz_id", "level", 'we"ird'],
        manifestUrl: "s3://loads/loads/acme/_e_user__login/v3/sql.acme+0+0-99.manifest",
        credentials: { iamRole: "arn:aws:iam::123456789012:role/copy" },
      }),
    ).toBe(
      [
        `COPY "_sz_stage" ("_sz_id", "level", "we""ird")`,
        `FROM 's3://loads/loads/acme/_e_user__login/v3/sql.acme+0+0-99.manifest'`,
        `IAM_ROLE 'arn:aws:iam::123456789012:role/copy'`,
        `MANIFEST CSV GZIP NULL AS '' TIMEFORMAT 'auto' DATEFORMAT 'auto' ACCEPTINVCHARS COMPUPDATE OFF STATUPDATE OFF`,
      ].join("\n"),
    );
  });

  it("takes access keys, a session token and a region instead", () => {
    const sql = copySql({
      schema: "acme",
      into: "_e_user__login",
      temporary: false,
      columns: ["_sz_id"],
      manifestUrl: "s3://b/m",
      credentials: { accessKeyId: "AKIA", secretAccessKey: "se'cret", sessionToken: "tok" },
      region: "eu-west-1",
    });
    expect(sql).toContain(`COPY "acme"."_e_user__login" ("_sz_id")`);
    expect(sql).toContain(`ACCESS_KEY_ID 'AKIA' SECRET_ACCESS_KEY 'se''cret' SESSION_TOKEN 'tok'`);
    expect(sql).toContain(`REGION 'eu-west-1'`);
    expect(sql).not.toMatch(/EMPTYASNULL|BLANKSASNULL/);
  });

  it("inserts only ids that are new: not in the table, first of their id in the files", () => {
    expect(mergeSql({ schema: "acme", table: "_e_user__login", columns: ["_sz_id", "_sz_received_at", "level"] })).toBe(
      [
        `INSERT INTO "acme"."_e_user__login" ("_sz_id", "_sz_received_at", "level")`,
        `SELECT "_sz_id", "_sz_received_at", "level" FROM (`,
        `  SELECT "_sz_id", "_sz_received_at", "level", ROW_NUMBER() OVER (PARTITION BY "_sz_id" ORDER BY "_sz_received_at", "_sz_ts") AS "_sz_rn"`,
        `  FROM "_sz_stage"`,
        `) s`,
        `WHERE s."_sz_rn" = 1 AND NOT EXISTS (SELECT 1 FROM "acme"."_e_user__login" t WHERE t."_sz_id" = s."_sz_id")`,
      ].join("\n"),
    );
  });

  it("creates the app's schema and bookkeeping tables idempotently", () => {
    const statements = redshiftPrepareStatements("acme");
    expect(statements[0]).toBe(`CREATE SCHEMA IF NOT EXISTS "acme"`);
    expect(statements[1]).toMatch(/^CREATE TABLE IF NOT EXISTS "acme"\."_sz_loads" \(\n {2}batch_key VARCHAR\(1024\) NOT NULL,/);
    expect(statements[2]).toMatch(/^CREATE TABLE IF NOT EXISTS "acme"\."_sz_tables" /);
  });

  it("skips up to MAXERROR bad rows (at most Redshift's 100,000) so the rest of the files load", () => {
    const base = { schema: "acme", into: "_sz_stage", temporary: true, columns: ["_sz_id"], manifestUrl: "s3://b/m", credentials: { iamRole: "arn:r" } };
    expect(copySql({ ...base, maxErrors: 1000 }).split("\n").at(-1)).toBe("MAXERROR 1000");
    expect(copySql({ ...base, maxErrors: 10_000_000 })).toContain("MAXERROR 100000");
    expect(copySql(base)).not.toContain("MAXERROR");
  });

  it("reads every load error of the session's last COPY, in file and line order", () => {
    expect(loadErrorsSql(3)).toBe(
      `SELECT TRIM(file_name) AS file_name, line_number, TRIM(column_name) AS column_name, error_code, TRIM(error_message) AS error_message\nFROM sys_load_error_detail WHERE query_id = pg_last_copy_id()\nORDER BY file_name, line_number LIMIT 3`,
    );
    expect(() => literal("a\u0000")).toThrow();
  });
});

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
