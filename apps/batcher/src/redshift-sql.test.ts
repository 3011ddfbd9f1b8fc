import { describe, expect, it } from "vitest";
import { copySql, literal, loadErrorsSql, mergeSql, redshiftPrepareStatements } from "./redshift-sql.ts";
import { classifyLoadError } from "./warehouse.ts";

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

  it("reads the load errors of the session's last COPY", () => {
    expect(loadErrorsSql(3)).toBe(
      `SELECT file_name, line_number, column_name, error_code, error_message\nFROM sys_load_error_detail WHERE query_id = pg_last_copy_id()\nORDER BY line_number LIMIT 3`,
    );
    expect(() => literal("a\u0000")).toThrow();
  });
});

describe("classifyLoadError", () => {
  it("says whether a retry can help", () => {
    expect(classifyLoadError({ code: "22P02", message: "invalid input syntax" })).toMatchObject({ code: "BATCHER_LOAD_DATA_ERROR", retriable: false });
    expect(classifyLoadError(Object.assign(new Error("Load into table failed. Check 'sys_load_error_detail'"), { code: "XX000" }))).toMatchObject({
      code: "BATCHER_LOAD_DATA_ERROR",
      retriable: false,
    });
    expect(classifyLoadError({ code: "40001", message: "serializable isolation violation" })).toMatchObject({ retriable: true });
    expect(classifyLoadError({ code: "57P01", message: "terminating connection" })).toMatchObject({ retriable: true });
    expect(classifyLoadError(new Error("connect ECONNREFUSED"))).toMatchObject({ code: "BATCHER_LOAD_FAILED", retriable: true });
  });
});
