import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { dateToMicros, formatDate, formatTimestamp, isTimestampOutOfRange, millisToMicros, parseDate, parseTimestamp } from "./time.ts";

describe("parseTimestamp", () => {
  it("reads RFC 3339 with offsets and fractions to epoch microseconds", () => {
    expect(parseTimestamp("2015-01-01T00:31:32Z")).toBe(1_420_072_292_000_000);
    expect(parseTimestamp("2015-01-01t00:31:32.5z")).toBe(1_420_072_292_500_000);
    expect(parseTimestamp("2015-01-01T01:31:32.000001+01:00")).toBe(1_420_072_292_000_001);
    expect(parseTimestamp("2014-12-31T23:31:32-01:00")).toBe(1_420_072_292_000_000);
    expect(parseTimestamp("2015-01-01T00:31:32.123456000Z")).toBe(1_420_072_292_123_456);
    expect(parseTimestamp("1969-12-31T23:59:59.999999Z")).toBe(-1);
  });

  it("is exact beyond 2^53 microseconds, as bigint", () => {
    expect(parseTimestamp("9999-12-31T23:59:59.999999Z")).toBe(253_402_300_799_999_999n);
    expect(parseTimestamp("0001-01-01T00:00:00Z")).toBe(-62_135_596_800_000_000n);
  });

  it("refuses anything that is not strict RFC 3339 or would lose precision", () => {
    for (const s of [
      "2015-01-01 00:31:32Z",
      "2015-01-01T00:31:32",
      "2015-01-01T00:31Z",
      "2015-02-29T00:00:00Z",
      "2016-02-30T00:00:00Z",
      "2015-13-01T00:00:00Z",
      "2015-01-01T24:00:00Z",
      "2015-01-01T23:59:60Z",
      "2015-01-01T00:31:32.Z",
      "2015-01-01T00:31:32.1234567Z",
      "2015-01-01T00:31:32+0100",
      "2015-01-01T00:31:32+24:00",
      "0000-01-01T00:00:00Z",
      "+2015-01-01T00:31:32Z",
      "2015-01-01T00:31:32Zjunk",
      "１２３４-01-01T00:00:00Z",
    ]) {
      expect(parseTimestamp(s), s).toBeUndefined();
    }
    expect(parseTimestamp("2016-02-29T00:00:00Z")).toBe(1_456_704_000_000_000);
  });

  it("refuses an instant outside years 0001-9999 once its offset is applied, and says it is out of range", () => {
    const micros = (s: string) => BigInt(parseTimestamp(s) as number | bigint);
    expect(micros("0001-01-01T00:00:00Z")).toBe(-62_135_596_800_000_000n);
    expect(micros("0001-01-01T00:00:00-01:00")).toBe(-62_135_593_200_000_000n);
    expect(micros("9999-12-31T23:59:59.999999Z")).toBe(253_402_300_799_999_999n);
    expect(micros("9999-12-31T23:30:00+01:00")).toBe(253_402_295_400_000_000n);
    for (const s of ["0001-01-01T00:00:00+01:00", "0001-01-01T00:59:59.999999+01:00", "9999-12-31T23:30:00-01:00", "9999-12-31T23:59:59.999999-00:01"]) {
      expect(parseTimestamp(s), s).toBeUndefined();
      expect(isTimestampOutOfRange(s), s).toBe(true);
    }
    for (const s of ["2015-01-01T00:31:32Z", "not a time", "0000-01-01T00:00:00Z", "2015-01-01T24:00:00Z"]) {
      expect(isTimestampOutOfRange(s), s).toBe(false);
    }
  });

  it("never yields an instant outside 0001-01-01T00:00:00Z … 9999-12-31T23:59:59.999999Z", () => {
    const two = (max: number) => fc.integer({ min: 0, max }).map((n) => String(n).padStart(2, "0"));
    const year = fc.oneof(fc.constantFrom(1, 2, 9998, 9999), fc.integer({ min: 1, max: 9999 })).map((y) => String(y).padStart(4, "0"));
    const text = fc
      .tuple(year, two(12), two(28), two(23), two(59), two(59), fc.constantFrom("+", "-"), two(23), two(59))
      .map(([y, mo, d, h, mi, s, sign, oh, om]) => `${y}-${mo}-${d}T${h}:${mi}:${s}.999999${sign}${oh}:${om}`);
    fc.assert(
      fc.property(text, (s) => {
        const micros = parseTimestamp(s);
        if (micros === undefined) return;
        expect(BigInt(micros) >= -62_135_596_800_000_000n && BigInt(micros) <= 253_402_300_799_999_999n).toBe(true);
        // In range, it prints back as itself.
        expect(parseTimestamp(formatTimestamp(micros))).toBe(micros);
      }),
    );
  });

  it("agrees with Date for every millisecond instant of years 0001-9999", () => {
    fc.assert(
      fc.property(fc.date({ min: new Date("0001-01-01T00:00:00Z"), max: new Date("9999-12-31T23:59:59.999Z"), noInvalidDate: true }), (d) => {
        const iso = d.toISOString();
        expect(BigInt(parseTimestamp(iso) as number | bigint)).toBe(BigInt(d.getTime()) * 1000n);
      }),
    );
  });

  it("round-trips through formatTimestamp", () => {
    fc.assert(
      fc.property(fc.bigInt({ min: -62_135_596_800_000_000n, max: 253_402_300_799_999_999n }), (micros) => {
        expect(BigInt(parseTimestamp(formatTimestamp(micros)) as number | bigint)).toBe(micros);
      }),
    );
  });
});

describe("parseDate", () => {
  it("reads the first and last dates, whose midnights are in the timestamp range", () => {
    expect(formatTimestamp(dateToMicros(parseDate("0001-01-01") as number))).toBe("0001-01-01T00:00:00.000000Z");
    expect(parseTimestamp(formatTimestamp(dateToMicros(parseDate("9999-12-31") as number)))).toBe(dateToMicros(parseDate("9999-12-31") as number));
    expect(parseDate("0000-12-31")).toBeUndefined();
  });

  it("reads ISO calendar dates to days since the epoch", () => {
    expect(parseDate("1970-01-01")).toBe(0);
    expect(parseDate("2020-01-01")).toBe(18_262);
    expect(parseDate("1969-12-31")).toBe(-1);
    expect(parseDate("2023-02-29")).toBeUndefined();
    expect(parseDate("2023-1-01")).toBeUndefined();
    expect(parseDate("2023-01-01T00:00:00Z")).toBeUndefined();
  });

  it("round-trips through formatDate", () => {
    fc.assert(
      fc.property(fc.integer({ min: -719_162, max: 2_932_896 }), (days) => {
        expect(parseDate(formatDate(days))).toBe(days);
      }),
    );
  });

  it("converts to midnight UTC", () => {
    expect(dateToMicros(1)).toBe(86_400_000_000);
    expect(formatTimestamp(dateToMicros(parseDate("9999-12-31") as number))).toBe("9999-12-31T00:00:00.000000Z");
  });
});

describe("millisToMicros", () => {
  it("is exact at the extremes", () => {
    expect(millisToMicros(1_420_072_292_000)).toBe(1_420_072_292_000_000);
    expect(millisToMicros(253_402_300_799_999)).toBe(253_402_300_799_999_000n);
  });
});
