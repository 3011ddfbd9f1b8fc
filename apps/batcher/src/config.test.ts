import { describe, expect, it } from "vitest";
import { readBatcherConfig } from "./config.ts";

describe("readBatcherConfig", () => {
  it("aims Postgres at seconds of freshness and Redshift at larger loads", () => {
    const pg = readBatcherConfig({});
    expect(pg.warehouseUrl).toBe("postgres://postgres:postgres@127.0.0.1:54329/warehouse");
    expect(pg.fileLimits).toEqual({ maxRows: 100_000, maxBytes: 64 * 1024 * 1024 });
    expect(pg.coalesce).toMatchObject({ maxAgeMs: 0, minRows: 1 });
    const rs = readBatcherConfig({ WAREHOUSE_DIALECT: "redshift", WAREHOUSE_URL: "postgres://u:p@cluster:5439/dev", REDSHIFT_IAM_ROLE: "arn:aws:iam::1:role/r" });
    expect(rs.fileLimits.maxRows).toBe(1_000_000);
    expect(rs.coalesce).toMatchObject({ maxAgeMs: 60_000, minRows: 500_000 });
  });

  it("lists every problem at once", () => {
    expect(() => readBatcherConfig({ WAREHOUSE_DIALECT: "redshift", BATCHER_MAX_ROWS: "-1", BATCHER_GZIP_LEVEL: "12" })).toThrow(
      /BATCHER_MAX_ROWS[\s\S]*BATCHER_GZIP_LEVEL[\s\S]*WAREHOUSE_URL[\s\S]*REDSHIFT_IAM_ROLE|BATCHER_MAX_ROWS[\s\S]*BATCHER_GZIP_LEVEL/,
    );
  });
});
