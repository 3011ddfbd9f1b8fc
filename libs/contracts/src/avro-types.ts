/**
 * avsc's types as the rows need them, through avsc's documented subclassing points: longs exact
 * to int64 (timestamps in microseconds reach 2^58 by year 9999, bigint columns 2^53), decimals as
 * big-endian two's complement, and faster writers for short strings and nullable unions. The
 * bytes are standard Avro: a plain decoder reads them (the tests check it).
 */
import avsc from "avsc";
import type { AvroSchema } from "./avro-row-schema.ts";

/** The parts of avsc's Tap (its write cursor) that the types below use. */
interface Tap {
  buf: Buffer;
  pos: number;
  writeLong(n: number): void;
  readLong(): number;
  writeString(s: string): void;
}

/** An avsc type as its record writer calls it. */
interface TypeInternals {
  _write(tap: Tap, value: unknown): void;
}

/**
 * avsc's own classes, extended below through its documented subclassing points: its typings
 * do not declare the internal methods (`_write`, `_read`, `_check`) that subclasses override.
 */
const builtins = avsc.types as unknown as {
  LongType: new () => object;
  StringType: new () => object;
  UnwrappedUnionType: new (schema: unknown, opts: unknown) => { readonly types: readonly TypeInternals[] };
  LogicalType: typeof avsc.types.LogicalType;
};

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;
const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);
/** avsc's writeLong is exact up to here; beyond, its float arithmetic would round. */
const AVSC_LONG_LIMIT = 2 ** 52;

/**
 * A long that takes any safe-integer `number` or int64 `bigint`, and reads back a `number` when
 * it is safe. avsc's own long refuses magnitudes beyond 2^52 (its varint arithmetic is in
 * doubles); timestamps in microseconds reach 2^58 by year 9999 and bigint columns 2^53.
 */
class ExactLongType extends builtins.LongType {
  _check(v: unknown): boolean {
    return typeof v === "number" ? Number.isSafeInteger(v) : typeof v === "bigint" && v >= INT64_MIN && v <= INT64_MAX;
  }

  _write(tap: Tap, v: number | bigint): void {
    if (typeof v === "number" && v <= AVSC_LONG_LIMIT && v >= -AVSC_LONG_LIMIT) {
      tap.writeLong(v);
      return;
    }
    if (!this._check(v)) throw new Error(`invalid long: ${String(v)}`);
    const big = BigInt(v);
    // Zigzag, then 7 bits per byte, low first; writes past the end only move pos (avsc's contract).
    let z = BigInt.asUintN(64, (big << 1n) ^ (big >> 63n));
    const buf = tap.buf;
    while (z > 0x7fn) {
      buf[tap.pos++] = Number(z & 0x7fn) | 0x80;
      z >>= 7n;
    }
    buf[tap.pos++] = Number(z);
  }

  _read(tap: Tap): number | bigint {
    const buf = tap.buf;
    // Up to 7 varint bytes (49 bits) avsc reads exactly; only longer ones need BigInt.
    let end = tap.pos;
    while (end - tap.pos < 7 && ((buf[end] ?? 0) & 0x80) !== 0) end++;
    if (end - tap.pos < 7) return tap.readLong();
    let z = 0n;
    let shift = 0n;
    let b: number;
    do {
      b = buf[tap.pos++] ?? 0;
      z |= BigInt(b & 0x7f) << shift;
      shift += 7n;
    } while (b & 0x80);
    const v = (z >> 1n) ^ -(z & 1n);
    return v >= -MAX_SAFE && v <= MAX_SAFE ? Number(v) : v;
  }

  compare(a: number | bigint, b: number | bigint): number {
    return a < b ? -1 : a > b ? 1 : 0;
  }
}

const EXACT_LONG = new ExactLongType();

/** Strings of at most this many UTF-16 units have a one-byte length prefix when ASCII (≤ 63 bytes). */
const SHORT_STRING = 21;

/**
 * avsc's string writer measures every string with Buffer.byteLength before writing it. Most
 * strings of an event are short ASCII: those are written in one pass, the length byte patched
 * in front; anything else goes to avsc's writer. Encoding is unchanged.
 */
class FastStringType extends builtins.StringType {
  _write(tap: Tap, s: string): void {
    const n = s.length;
    if (n <= SHORT_STRING) {
      const buf = tap.buf;
      const start = tap.pos;
      let pos = start + 1;
      let i = 0;
      for (; i < n; i++) {
        const c = s.charCodeAt(i);
        if (c >= 0x80) break;
        buf[pos++] = c;
      }
      if (i === n) {
        buf[start] = n << 1;
        tap.pos = pos;
        return;
      }
    }
    tap.writeString(s);
  }
}

const FAST_STRING = new FastStringType();

/**
 * `["null", T]`: writes the branch index from a null check, where avsc would search its branches
 * for every value. Encoding is unchanged.
 */
class NullableUnionType extends builtins.UnwrappedUnionType {
  _write(tap: Tap, value: unknown): void {
    if (value === null) {
      tap.writeLong(0);
    } else {
      tap.writeLong(1);
      (this.types[1] as TypeInternals)._write(tap, value);
    }
  }
}

/** Decimal(38, 0) as Avro bytes: big-endian two's complement of the unscaled integer. */
class DecimalType extends builtins.LogicalType {
  override _fromValue(buf: Buffer): bigint {
    if (buf.length === 0) return 0n;
    const v = BigInt(`0x${buf.toString("hex")}`);
    return (buf[0] as number) & 0x80 ? v - (1n << BigInt(buf.length * 8)) : v;
  }

  override _toValue(v: unknown): Buffer | undefined {
    if (typeof v !== "bigint") return undefined;
    // A negative number's two's complement is the bitwise complement of −v − 1.
    const negative = v < 0n;
    let hex = (negative ? -v - 1n : v).toString(16);
    if (hex.length % 2 === 1) hex = `0${hex}`;
    if (parseInt(hex.slice(0, 2), 16) & 0x80) hex = `00${hex}`;
    const bytes = Buffer.from(hex, "hex");
    if (negative) for (let i = 0; i < bytes.length; i++) bytes[i] = ~(bytes[i] as number) & 0xff;
    return bytes;
  }

  override _resolve(type: avsc.Type): ((v: Buffer) => bigint) | undefined {
    return avsc.Type.isType(type, "bytes", "logical:decimal") ? (v: Buffer) => this._fromValue(v) : undefined;
  }
}

function typeHook(schema: unknown, opts: unknown): avsc.Type | undefined {
  if (schema === "long") return EXACT_LONG as unknown as avsc.Type;
  if (schema === "string") return FAST_STRING as unknown as avsc.Type;
  if (Array.isArray(schema)) {
    return schema.length === 2 && schema[0] === "null" ? (new NullableUnionType(schema, opts) as unknown as avsc.Type) : undefined;
  }
  if (schema !== null && typeof schema === "object" && (schema as { type?: unknown }).type === "long") {
    return EXACT_LONG as unknown as avsc.Type;
  }
  return undefined;
}

/**
 * The avsc type of an Avro schema, with the exact longs and decimals above.
 *
 * @example
 * ```ts
 * const type = avroType(avroSchema(version)); // type.toBuffer(record), type.fromBuffer(bytes)
 * ```
 */
export function avroType(schema: AvroSchema): avsc.Type {
  return avsc.Type.forSchema(schema as avsc.Schema, { logicalTypes: { decimal: DecimalType }, typeHook, wrapUnions: false });
}
