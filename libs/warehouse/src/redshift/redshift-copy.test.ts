import { describe, expect, it } from "vitest";
import { quoteLiteral } from "@schematizer/postgres";
import { copyManifest, copySql, loadErrorsSql, mergeSql } from "./redshift-copy.ts";

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
    expect(() => quoteLiteral("a\u0000")).toThrow();
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
