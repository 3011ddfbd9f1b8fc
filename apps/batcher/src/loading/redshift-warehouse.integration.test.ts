/**
 * The Redshift warehouse against a real cluster. Redshift cannot run on this machine, so this
 * runs only when REDSHIFT_URL (a cluster, as a postgres:// URL), REDSHIFT_BUCKET (an S3 bucket the
 * cluster can read, in the cluster's region, reached with the default AWS credentials) and
 * REDSHIFT_IAM_ROLE (a role the cluster assumes to read it) are set; the SQL itself is checked as
 * text in libs/warehouse/src/redshift/*.test.ts.
 */
import { randomBytes } from "node:crypto";
import { promisify } from "node:util";
import { gzip as gzipCallback } from "node:zlib";
import { createPool, quoteIdent } from "@schematizer/postgres";
import { s3Client, s3ObjectStore } from "@schematizer/s3";
import { coerce, emptySchema, mergeSchema, observe, type JsonObject, type TableSchema } from "@schematizer/schema";
import { describe, expect, test } from "vitest";
import { transcoderFor } from "../staging/avro-csv.ts";
import { fileKeys } from "../staging/file-keys.ts";
import { copyManifest } from "@schematizer/warehouse";
import { ByteWriter } from "../byte-writer.ts";
import { redshiftWarehouse } from "@schematizer/warehouse";
import type { RefusedRow } from "@schematizer/warehouse";
import { avroEncode } from "@schematizer/contracts";

const gzip = promisify(gzipCallback);
const { REDSHIFT_URL, REDSHIFT_BUCKET, REDSHIFT_IAM_ROLE } = process.env;
const configured = REDSHIFT_URL !== undefined && REDSHIFT_BUCKET !== undefined && REDSHIFT_IAM_ROLE !== undefined;

describe("Redshift warehouse", () => {
  test.skipIf(!configured)("loads exactly once through COPY FROM S3, widens VARCHARs outside the transaction, keeps NULL apart from '', sets a bad row aside and loads the rest (needs REDSHIFT_URL, REDSHIFT_BUCKET, REDSHIFT_IAM_ROLE: no cluster on this machine)", { timeout: 300_000 }, async () => {
    const run = `szt_${randomBytes(4).toString("hex")}`;
    const s3 = s3Client({ region: process.env.AWS_REGION ?? "us-east-1" });
    const store = s3ObjectStore(s3, REDSHIFT_BUCKET!);
    const pool = createPool({ connectionString: REDSHIFT_URL!, max: 2 });
    const warehouse = redshiftWarehouse({ pool, store, credentials: { iamRole: REDSHIFT_IAM_ROLE! }, schemaPrefix: `${run}_` });
    const keys: string[] = [];
    let offset = 0;
    const upload = async (schema: TableSchema, bodies: [string, JsonObject][], mangle = (csv: string) => csv) => {
      const out = new ByteWriter();
      for (const [id, body] of bodies) {
        const { row } = coerce(schema, { ts: 1_420_072_292_000_000, entype: "user", evname: "login", body }, { id, receivedAt: Date.now() * 1000 });
        transcoderFor(schema).transcode(avroEncode(schema, row), out);
      }
      const k = fileKeys({ app: "acme", table: schema.table, version: schema.version, topic: "sql.acme", partition: 0, first: String(offset), last: String(offset + bodies.length - 1) });
      offset += bodies.length;
      const data = await gzip(Buffer.from(mangle(Buffer.from(out.view()).toString("utf8"))));
      await store.put(`${run}/${k.data}`, data);
      await store.put(`${run}/${k.manifest}`, JSON.stringify(copyManifest(store.bucket, [{ key: `${run}/${k.data}`, bytes: data.length }])));
      keys.push(`${run}/${k.data}`, `${run}/${k.manifest}`);
      return { key: `${run}/${k.data}`, manifestKey: `${run}/${k.manifest}`, rows: bodies.length, gzipBytes: data.length };
    };
    try {
      const v1: TableSchema = { ...mergeSchema(emptySchema("_e_user__login", "redshift"), observe({ level: 1, name: "x" })).schema, version: 1 };
      const first = await upload(v1, [
        ["a", { level: 1, name: "" }],
        ["b", { level: 2 }],
        ["a", { level: 3, name: "dup" }],
      ]);
      const ref1 = { id: 1, schema: v1 };
      const refused: RefusedRow[] = [];
      const setAside = async (rows: readonly RefusedRow[]) => {
        refused.push(...rows);
      };
      expect((await warehouse.load({ app: "acme", target: ref1, fileVersion: ref1, current: undefined, files: [first], setAside })).inserted.get(first.key)).toBe(2);
      expect((await warehouse.load({ app: "acme", target: ref1, fileVersion: ref1, current: ref1, files: [first], setAside })).alreadyLoaded).toEqual([first.key]);

      const v2: TableSchema = { ...mergeSchema(v1, observe({ name: "y".repeat(2000), country: "fr" })).schema, version: 2 };
      const second = await upload(v2, [["c", { level: 4, name: "y".repeat(2000), country: "fr" }]]);
      const ref2 = { id: 2, schema: v2 };
      await warehouse.load({ app: "acme", target: ref2, fileVersion: ref2, current: ref1, files: [second], setAside });
      // A row whose level is not a number: COPY skips it (MAXERROR), the other row of the file loads.
      const third = await upload(v2, [["d", { level: 5 }], ["e", { level: 777 }]], (csv) => csv.replace(",777,", ",x7x,"));
      const result = await warehouse.load({ app: "acme", target: ref2, fileVersion: ref2, current: ref2, files: [third], setAside });
      expect(refused).toMatchObject([{ key: third.key, line: 2, code: "BATCHER_INVALID_VALUE", reason: expect.stringContaining("1207") }]);
      expect(refused[0]?.csv.toString()).toContain(",x7x,");
      expect(result.refused.get(third.key)).toHaveLength(1);
      const { rows } = await pool.query(`SELECT _sz_id, level, name, country FROM ${quoteIdent(`${run}_acme`)}."_e_user__login" ORDER BY _sz_id`);
      expect(rows.map((r) => [r._sz_id, Number(r.level), r.name === null ? null : String(r.name).length, r.country])).toEqual([
        ["a", 1, 0, null],
        ["b", 2, null, null],
        ["c", 4, 2000, "fr"],
        ["d", 5, null, null],
      ]);
    } finally {
      await pool.query(`DROP SCHEMA IF EXISTS ${quoteIdent(`${run}_acme`)} CASCADE`).catch(() => undefined);
      await warehouse.close();
      await store.delete(keys).catch(() => undefined);
      s3.destroy();
    }
  });
});
