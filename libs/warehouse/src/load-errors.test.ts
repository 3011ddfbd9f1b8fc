import { CodedError } from "@schematizer/errors";
import { describe, expect, it } from "vitest";
import { LOAD_CODES, type LoadCode } from "./load-codes.ts";
import { classifyLoadError, copyErrorLine, fateOf, redshiftRowCode } from "./load-errors.ts";

/** A server error as node-postgres reports it. */
const pgError = (code: string, message: string, extra: { detail?: string; where?: string } = {}) => Object.assign(new Error(message), { code, ...extra });

/** Errors as Postgres and Redshift raise them, with the code each must get. */
const CASES: readonly [string, unknown, LoadCode][] = [
  // Rows the warehouse refuses: set aside.
  ["Postgres row too big", pgError("54000", "row is too big: size 15432, maximum size 8160", { where: "COPY t, line 5" }), "BATCHER_ROW_TOO_BIG"],
  ["Postgres index row too big", pgError("54000", "index row size 3040 exceeds btree version 4 maximum 2704 for index \"t_pkey\""), "BATCHER_ROW_TOO_BIG"],
  ["Postgres bad syntax for a type", pgError("22P02", 'invalid input syntax for type bigint: "x"'), "BATCHER_INVALID_VALUE"],
  ["Postgres out of range", pgError("22003", 'value "100000" is out of range for type smallint'), "BATCHER_INVALID_VALUE"],
  ["Postgres timestamp out of range", pgError("22008", "timestamp out of range"), "BATCHER_INVALID_VALUE"],
  ["Postgres NUL in text", pgError("22021", "invalid byte sequence for encoding \"UTF8\": 0x00"), "BATCHER_INVALID_VALUE"],
  ["Postgres CSV with a field missing", pgError("22P04", 'missing data for column "level"'), "BATCHER_MALFORMED_ROW"],
  ["Postgres NOT NULL", pgError("23502", 'null value in column "level" of relation "t" violates not-null constraint'), "BATCHER_CONSTRAINT_VIOLATION"],
  ["Postgres CHECK", pgError("23514", 'new row for relation "t" violates check constraint "t_level_check"'), "BATCHER_CONSTRAINT_VIOLATION"],
  // Batches that cannot load: parked.
  ["Postgres system column name", pgError("42701", 'column name "xmin" conflicts with a system column name'), "BATCHER_RESERVED_NAME"],
  ["Postgres reserved name", pgError("42939", 'name "pg_x" is reserved'), "BATCHER_RESERVED_NAME"],
  ["Postgres column twice", pgError("42701", 'column "level" specified more than once'), "BATCHER_DUPLICATE_NAME"],
  ["Postgres table twice", pgError("42P07", 'relation "t" already exists'), "BATCHER_DUPLICATE_NAME"],
  ["Postgres too many columns", pgError("54011", "tables can have at most 1600 columns"), "BATCHER_TOO_MANY_COLUMNS"],
  ["Postgres column gone", pgError("42703", 'column "level" of relation "t" does not exist'), "BATCHER_TABLE_MISMATCH"],
  ["Postgres type changed by hand", pgError("42804", 'column "level" cannot be cast automatically to type boolean'), "BATCHER_TABLE_MISMATCH"],
  ["Postgres table gone", pgError("42P01", 'relation "t" does not exist'), "BATCHER_TABLE_MISMATCH"],
  ["Postgres no grant", pgError("42501", "permission denied for table t"), "BATCHER_NOT_PERMITTED"],
  ["Postgres syntax error", pgError("42601", 'syntax error at or near "x"'), "BATCHER_BAD_STATEMENT"],
  ["Postgres statement too complex", pgError("54001", "stack depth limit exceeded"), "BATCHER_BAD_STATEMENT"],
  ["Postgres internal error", pgError("XX000", "could not read block 0 in file"), "BATCHER_LOAD_FAILED"],
  ["an error nobody foresaw", new TypeError("Cannot read properties of undefined"), "BATCHER_LOAD_FAILED"],
  ["a non-error thrown", "something", "BATCHER_LOAD_FAILED"],
  // The dependency, not the batch: retried.
  ["connection refused", Object.assign(new Error("connect ECONNREFUSED 127.0.0.1:5432"), { code: "ECONNREFUSED" }), "BATCHER_WAREHOUSE_UNAVAILABLE"],
  ["connection lost", new Error("Connection terminated unexpectedly"), "BATCHER_WAREHOUSE_UNAVAILABLE"],
  ["Postgres admin shutdown", pgError("57P01", "terminating connection due to administrator command"), "BATCHER_WAREHOUSE_UNAVAILABLE"],
  ["Postgres statement timeout", pgError("57014", "canceling statement due to statement timeout"), "BATCHER_WAREHOUSE_UNAVAILABLE"],
  ["Postgres cannot connect now", pgError("08006", "connection failure"), "BATCHER_WAREHOUSE_UNAVAILABLE"],
  ["Postgres disk full", pgError("53100", "could not extend file: No space left on device"), "BATCHER_WAREHOUSE_BUSY"],
  ["Postgres too many connections", pgError("53300", "sorry, too many clients already"), "BATCHER_WAREHOUSE_BUSY"],
  ["Postgres serialization failure", pgError("40001", "could not serialize access due to concurrent update"), "BATCHER_WAREHOUSE_CONFLICT"],
  ["Postgres deadlock", pgError("40P01", "deadlock detected"), "BATCHER_WAREHOUSE_CONFLICT"],
  ["Postgres lock not available", pgError("55P03", "canceling statement due to lock timeout"), "BATCHER_WAREHOUSE_CONFLICT"],
  ["S3 throttling the batcher", Object.assign(new Error("Please reduce your request rate."), { name: "SlowDown", $fault: "server", $metadata: { httpStatusCode: 503 } }), "BATCHER_STORAGE_UNAVAILABLE"],
  // Redshift: nearly everything is XX000, told apart by its text.
  ["Redshift serializable isolation (1023)", pgError("XX000", "1023", { detail: "Serializable isolation violation on table - 100388, transactions forming the cycle are: 1543, 1544 (pid:5678)" }), "BATCHER_WAREHOUSE_CONFLICT"],
  ["Redshift serializable isolation in the message", pgError("XX000", "ERROR: 1023 DETAIL: Serializable isolation violation on table in Redshift"), "BATCHER_WAREHOUSE_CONFLICT"],
  ["Redshift concurrent transaction", pgError("XX000", "could not complete because of conflict with concurrent transaction"), "BATCHER_WAREHOUSE_CONFLICT"],
  ["Redshift S3 throttling during COPY", pgError("XX000", "S3ServiceException:Please reduce your request rate.,Status 503,Error SlowDown,Rid X,ExtRid Y,CanRetry 1"), "BATCHER_STORAGE_UNAVAILABLE"],
  ["Redshift S3 failing during COPY", pgError("XX000", "S3ServiceException:We encountered an internal error. Please try again.,Status 500,Error InternalError,Rid X"), "BATCHER_STORAGE_UNAVAILABLE"],
  ["Redshift S3 unreachable during COPY", pgError("XX000", "S3 Query Exception (Fetch)", { detail: "error: S3 Query Exception (Fetch). Task failed due to an internal error. Unable to connect" }), "BATCHER_STORAGE_UNAVAILABLE"],
  ["Redshift S3 timing out during COPY", pgError("XX000", "S3ServiceException:Connection timed out after 50000 milliseconds,Status 0"), "BATCHER_STORAGE_UNAVAILABLE"],
  ["Redshift disk full", pgError("XX000", "Disk Full", { detail: "error: Disk Full code: 1016" }), "BATCHER_WAREHOUSE_BUSY"],
  ["Redshift may not read the bucket", pgError("XX000", "S3ServiceException:Access Denied,Status 403,Error AccessDenied,Rid X"), "BATCHER_NOT_PERMITTED"],
  ["Redshift finds no file", pgError("XX000", "S3ServiceException:The specified key does not exist.,Status 404,Error NoSuchKey,Rid X"), "BATCHER_FILE_MISSING"],
  ["Redshift cannot read the manifest", pgError("XX000", "Manifest file is not in correct json format"), "BATCHER_FILE_CORRUPT"],
  ["Redshift COPY over MAXERROR", pgError("XX000", "Load into table '_sz_stage' failed.  Check 'sys_load_error_detail' system table for details."), "BATCHER_TOO_MANY_BAD_ROWS"],
];

describe("classifyLoadError", () => {
  it.each(CASES)("%s", (_, error, code) => {
    const coded = classifyLoadError(error);
    expect(coded.code).toBe(code);
    expect(coded.retriable).toBe(LOAD_CODES[code].retriable);
    expect(coded.cause).toBe(error);
  });

  it("covers every load code of the catalogue with a case", () => {
    const loadFates = new Set(["retried", "row set aside"]);
    const covered = new Set(CASES.map(([, , code]) => code));
    const loadCodes = (Object.keys(LOAD_CODES) as LoadCode[]).filter((c) => loadFates.has(LOAD_CODES[c].fate) && c !== "BATCHER_LOAD_ERRORS_UNREPORTED");
    expect(loadCodes.filter((c) => !covered.has(c))).toEqual([]);
  });

  it("keeps the SQLSTATE, and returns the batcher's own errors as they are", () => {
    expect(classifyLoadError(pgError("22P02", "x")).context).toEqual({ sqlstate: "22P02" });
    const own = new CodedError("BATCHER_FILE_MISSING", "gone");
    expect(classifyLoadError(own)).toBe(own);
  });

  it("says what becomes of each", () => {
    expect(fateOf(classifyLoadError(pgError("54000", "row is too big")))).toBe("row set aside");
    expect(fateOf(classifyLoadError(pgError("XX000", "1023", { detail: "Serializable isolation violation on table" })))).toBe("retried");
    expect(fateOf(classifyLoadError(pgError("42501", "permission denied")))).toBe("batch parked");
    expect(fateOf(new CodedError("ELSEWHERE", "x", { retriable: true }))).toBe("retried");
  });
});

describe("copyErrorLine", () => {
  it("reads the line a COPY error names", () => {
    expect(copyErrorLine(pgError("22P02", "x", { where: 'COPY _e_user__login, line 3, column level: "x"' }))).toBe(3);
    expect(copyErrorLine(pgError("54000", "x", { where: "COPY t, line 5" }))).toBe(5);
    expect(copyErrorLine(pgError("23514", "x", { where: 'COPY t, line 12: "c,13,3"' }))).toBe(12);
    expect(copyErrorLine(pgError("23514", "x", { where: "SQL statement \"INSERT …\"" }))).toBeUndefined();
    expect(copyErrorLine(new Error("no where"))).toBeUndefined();
  });
});

describe("redshiftRowCode", () => {
  it("maps Redshift's load error codes", () => {
    expect([1201, 1202, 1203, 1211, 1214, 1216].map(redshiftRowCode)).toEqual(Array(6).fill("BATCHER_MALFORMED_ROW"));
    expect([1213, 1217].map(redshiftRowCode)).toEqual(["BATCHER_CONSTRAINT_VIOLATION", "BATCHER_CONSTRAINT_VIOLATION"]);
    expect([1204, 1205, 1206, 1207, 1208, 1209, 1210, 1215, 1220, 1222].map(redshiftRowCode)).toEqual(Array(10).fill("BATCHER_INVALID_VALUE"));
  });
});
