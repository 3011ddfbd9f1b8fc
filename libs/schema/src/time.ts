/**
 * Strict RFC 3339 timestamps and ISO dates, as exact integers.
 *
 * Warehouses store microseconds; a timestamp is kept as microseconds since the Unix epoch,
 * a `number` when it is a safe integer (years ~1685–2255) and a `bigint` beyond, so that a
 * sentinel such as 9999-12-31T23:59:59Z is still exact.
 */

/** Microseconds since 1970-01-01T00:00:00Z. */
export type EpochMicros = number | bigint;

const MICROS_PER_DAY = 86_400_000_000;
/** Seconds whose microsecond count is still a safe integer (|s| × 10^6 + 999 999 < 2^53). */
const SAFE_SECONDS = 9_007_199_253;
/**
 * Epoch seconds of 0001-01-01T00:00:00Z and 9999-12-31T23:59:59Z: the instants both warehouses
 * read back as written. An offset can carry a valid local time outside them (year 0 or 10000 in UTC).
 */
const MIN_SECONDS = -62_135_596_800;
const MAX_SECONDS = 253_402_300_799;

/**
 * Parses a strict RFC 3339 date-time (`YYYY-MM-DDTHH:MM:SS[.fraction](Z|±HH:MM)`, `T`/`Z` in
 * either case, year 0001–9999, no leap second) to epoch microseconds.
 *
 * Returns `undefined` for anything else; for fractions finer than a microsecond unless the extra
 * digits are zeros (a timestamp column would round them, so they stay text); and for an instant
 * outside 0001-01-01T00:00:00Z … 9999-12-31T23:59:59.999999Z once its offset is applied, which
 * a warehouse would refuse or misread.
 *
 * @example
 * ```ts
 * parseTimestamp("2015-01-01T00:31:32Z");       // 1420072292000000
 * parseTimestamp("2015-01-01T00:31:32.5+01:00"); // 1420068692500000
 * parseTimestamp("2015-01-01 00:31:32Z");       // undefined
 * parseTimestamp("0001-01-01T00:00:00+01:00");  // undefined (year 0 in UTC)
 * ```
 */
export function parseTimestamp(s: string): EpochMicros | undefined {
  return parseInstant(s, true);
}

/**
 * Whether `s` is a well-formed RFC 3339 date-time whose instant lies outside the range
 * {@link parseTimestamp} accepts, so that a caller can say "out of range" rather than "malformed".
 *
 * @example
 * ```ts
 * isTimestampOutOfRange("9999-12-31T23:30:00-01:00"); // true
 * isTimestampOutOfRange("not a time");                // false
 * ```
 */
export function isTimestampOutOfRange(s: string): boolean {
  return parseInstant(s, true) === undefined && parseInstant(s, false) !== undefined;
}

function parseInstant(s: string, bounded: boolean): EpochMicros | undefined {
  const n = s.length;
  if (n < 20 || n > 35) return undefined;
  if (s.charCodeAt(4) !== 0x2d || s.charCodeAt(7) !== 0x2d || s.charCodeAt(13) !== 0x3a || s.charCodeAt(16) !== 0x3a) {
    return undefined;
  }
  const t = s.charCodeAt(10);
  if (t !== 0x54 && t !== 0x74) return undefined;
  const year = digits(s, 0, 4);
  const month = digits(s, 5, 2);
  const day = digits(s, 8, 2);
  const hour = digits(s, 11, 2);
  const minute = digits(s, 14, 2);
  const second = digits(s, 17, 2);
  if (year < 1 || month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month)) return undefined;
  if (hour < 0 || hour > 23 || minute < 0 || minute > 59 || second < 0 || second > 59) return undefined;
  let pos = 19;
  let micros = 0;
  if (s.charCodeAt(pos) === 0x2e) {
    pos++;
    const start = pos;
    while (pos < n && isDigit(s.charCodeAt(pos))) pos++;
    const count = pos - start;
    if (count === 0 || count > 9) return undefined;
    for (let i = 0; i < 6; i++) micros = micros * 10 + (i < count ? s.charCodeAt(start + i) - 0x30 : 0);
    for (let i = 6; i < count; i++) if (s.charCodeAt(start + i) !== 0x30) return undefined;
  }
  let offsetMinutes: number;
  const z = s.charCodeAt(pos);
  if (z === 0x5a || z === 0x7a) {
    if (pos + 1 !== n) return undefined;
    offsetMinutes = 0;
  } else if ((z === 0x2b || z === 0x2d) && pos + 6 === n && s.charCodeAt(pos + 3) === 0x3a) {
    const oh = digits(s, pos + 1, 2);
    const om = digits(s, pos + 4, 2);
    if (oh < 0 || oh > 23 || om < 0 || om > 59) return undefined;
    offsetMinutes = (z === 0x2d ? -1 : 1) * (oh * 60 + om);
  } else {
    return undefined;
  }
  const seconds = daysFromCivil(year, month, day) * 86_400 + hour * 3600 + minute * 60 + second - offsetMinutes * 60;
  if (bounded && (seconds < MIN_SECONDS || seconds > MAX_SECONDS)) return undefined;
  return toMicros(seconds, micros);
}

/**
 * Parses an ISO calendar date `YYYY-MM-DD` (year 0001–9999) to days since 1970-01-01.
 *
 * @example
 * ```ts
 * parseDate("1970-01-02"); // 1
 * parseDate("2023-02-29"); // undefined
 * ```
 */
export function parseDate(s: string): number | undefined {
  if (s.length !== 10 || s.charCodeAt(4) !== 0x2d || s.charCodeAt(7) !== 0x2d) return undefined;
  const year = digits(s, 0, 4);
  const month = digits(s, 5, 2);
  const day = digits(s, 8, 2);
  if (year < 1 || month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month)) return undefined;
  return daysFromCivil(year, month, day);
}

/** Midnight UTC of a day, in epoch microseconds. @example `dateToMicros(1)` → `86400000000` */
export function dateToMicros(days: number): EpochMicros {
  const micros = days * MICROS_PER_DAY;
  return Number.isSafeInteger(micros) ? micros : BigInt(days) * BigInt(MICROS_PER_DAY);
}

/**
 * Formats epoch microseconds as RFC 3339 in UTC with six fractional digits.
 *
 * @example
 * ```ts
 * formatTimestamp(1420072292000000); // "2015-01-01T00:31:32.000000Z"
 * ```
 */
export function formatTimestamp(micros: EpochMicros): string {
  const big = BigInt(micros);
  let days = big / 86_400_000_000n;
  let rest = big % 86_400_000_000n;
  if (rest < 0n) {
    rest += 86_400_000_000n;
    days -= 1n;
  }
  const r = Number(rest);
  const sec = Math.floor(r / 1_000_000);
  const frac = r % 1_000_000;
  return `${formatDate(Number(days))}T${pad(Math.floor(sec / 3600), 2)}:${pad(Math.floor(sec / 60) % 60, 2)}:${pad(sec % 60, 2)}.${pad(frac, 6)}Z`;
}

/** Formats days since 1970-01-01 as `YYYY-MM-DD`. @example `formatDate(0)` → `"1970-01-01"` */
export function formatDate(days: number): string {
  const [y, m, d] = civilFromDays(days);
  return `${pad(y, 4)}-${pad(m, 2)}-${pad(d, 2)}`;
}

/** Epoch milliseconds (an integer) to epoch microseconds. @example `millisToMicros(1)` → `1000` */
export function millisToMicros(ms: number): EpochMicros {
  const micros = ms * 1000;
  return Number.isSafeInteger(micros) ? micros : BigInt(ms) * 1000n;
}

function toMicros(seconds: number, micros: number): EpochMicros {
  if (seconds > -SAFE_SECONDS && seconds < SAFE_SECONDS) return seconds * 1_000_000 + micros;
  return BigInt(seconds) * 1_000_000n + BigInt(micros);
}

function digits(s: string, start: number, count: number): number {
  let v = 0;
  for (let i = start; i < start + count; i++) {
    const c = s.charCodeAt(i) - 0x30;
    if (c < 0 || c > 9) return -1;
    v = v * 10 + c;
  }
  return v;
}

function isDigit(c: number): boolean {
  return c >= 0x30 && c <= 0x39;
}

function daysInMonth(year: number, month: number): number {
  if (month === 2) return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0 ? 29 : 28;
  return month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31;
}

/** Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's algorithm). */
function daysFromCivil(y: number, m: number, d: number): number {
  const yy = m <= 2 ? y - 1 : y;
  const era = Math.floor(yy / 400);
  const yoe = yy - era * 400;
  const doy = Math.floor((153 * (m + (m > 2 ? -3 : 9)) + 2) / 5) + d - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146_097 + doe - 719_468;
}

function civilFromDays(days: number): [number, number, number] {
  const z = days + 719_468;
  const era = Math.floor(z / 146_097);
  const doe = z - era * 146_097;
  const yoe = Math.floor((doe - Math.floor(doe / 1460) + Math.floor(doe / 36_524) - Math.floor(doe / 146_096)) / 365);
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const d = doy - Math.floor((153 * mp + 2) / 5) + 1;
  const m = mp < 10 ? mp + 3 : mp - 9;
  return [yoe + era * 400 + (m <= 2 ? 1 : 0), m, d];
}

function pad(v: number, width: number): string {
  return String(v).padStart(width, "0");
}
