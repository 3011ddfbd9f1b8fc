/**
 * JSON text to values without rounding integers or overflowing to Infinity.
 *
 * `JSON.parse` turns 9007199254740993 into 9007199254740992 and 1e400 into Infinity, and Node 20
 * gives a reviver no access to the source text. Only integer literals of 16 or more digits can
 * exceed 2^53, and only those or literals with an exponent of 3 or more digits can exceed a
 * double, so cheap scans of the raw text decide: almost every event takes `JSON.parse`, and the
 * few that may hold such a literal take the exact parser below. It yields a `bigint` for every
 * integer literal beyond ±(2^53 − 1), the literal's own text (a string such as `"1e400"`) for a
 * number beyond the largest double, and is otherwise indistinguishable from `JSON.parse`.
 *
 * Why text for an overflowing number: it keeps the value exactly in the bytes the client sent,
 * where its digits could be many more (`2e99999` is 7 bytes and 100,000 digits); no numeric
 * column of either warehouse holds it anyway, so it lands as varchar, as the client wrote it.
 * A number too small for a double (`1e-400`) rounds to 0, as every double rounds.
 */

/**
 * A parsed JSON value. `bigint` appears only for integer literals that a double cannot hold; a
 * `number` is always finite (a literal beyond the largest double is kept as its text).
 */
export type JsonValue = null | boolean | number | bigint | string | JsonValue[] | JsonObject;
export interface JsonObject {
  [key: string]: JsonValue;
}

/** The outcome of parsing JSON text; `offset` points at the first offending character. */
export type JsonParseResult =
  | { readonly ok: true; readonly value: JsonValue }
  | { readonly ok: false; readonly message: string; readonly offset: number };

/**
 * Whether `text` may hold an integer literal that `JSON.parse` would round.
 *
 * False positives (a long digit run inside a string, or in a fraction) only cost speed.
 *
 * @example
 * ```ts
 * mayHoldBigIntegers('{"n": 12345678901234567}'); // true
 * mayHoldBigIntegers('{"n": 42}');                // false
 * ```
 */
export function mayHoldBigIntegers(text: string): boolean {
  // A run of 16 digits covers one of every 16th position: probe those, and measure the run
  // only around a digit found there. About n/16 reads instead of a regular expression's n.
  const n = text.length;
  for (let i = 15; i < n; i += 16) {
    if (!isDigit(text.charCodeAt(i))) continue;
    let start = i;
    while (start > 0 && isDigit(text.charCodeAt(start - 1))) start--;
    let end = i + 1;
    while (end < n && end - start < 16 && isDigit(text.charCodeAt(end))) end++;
    if (end - start >= 16) return true;
  }
  return false;
}

/**
 * Whether `text` may hold a number literal whose exponent has 3 or more digits, the only way
 * besides a 16-digit run for a literal to exceed the largest double. Such an exponent must follow
 * a mantissa that starts after `:`, `,`, `[`, whitespace or the start of the text, so hex ids and
 * UUIDs in strings (`"550e8400"`) do not count. False positives (`"a,1e400"` inside a string)
 * only cost speed.
 *
 * @example
 * ```ts
 * mayHoldHugeExponents('{"x": 1e400}');      // true
 * mayHoldHugeExponents('{"x": 1e40}');       // false
 * mayHoldHugeExponents('{"id": "550e8400"}'); // false
 * ```
 */
export function mayHoldHugeExponents(text: string): boolean {
  HUGE_EXPONENT.lastIndex = 0;
  while (HUGE_EXPONENT.test(text)) {
    // Back from the exponent's last 3 digits, over its sign, to the e.
    let e = HUGE_EXPONENT.lastIndex - 4;
    const sign = text.charCodeAt(e);
    if (sign === 0x2b || sign === 0x2d) e--;
    let i = e - 1;
    let c = text.charCodeAt(i);
    while (i >= 0 && (isDigit(c) || c === 0x2e)) c = text.charCodeAt(--i);
    if (i === e - 1) continue;
    if (c === 0x2d) c = text.charCodeAt(--i);
    if (i < 0 || c === 0x3a || c === 0x2c || c === 0x5b || c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09) return true;
  }
  return false;
}

const HUGE_EXPONENT = /[eE][+-]?\d{3}/g;

/**
 * Parses JSON text like `JSON.parse`, except that integers beyond ±(2^53 − 1) come back exactly,
 * as `bigint`, and a number beyond the largest double as its literal text, never as Infinity.
 * Never throws.
 *
 * @example
 * ```ts
 * parseJson('{"id": 18446744073709551615}');
 * // { ok: true, value: { id: 18446744073709551615n } }
 * parseJson('{"x": 1e400}');
 * // { ok: true, value: { x: "1e400" } }
 * parseJson('{"id": ');
 * // { ok: false, message: "Unexpected end of JSON input", offset: 7 }
 * ```
 */
export function parseJson(text: string): JsonParseResult {
  if (!mayHoldBigIntegers(text) && !mayHoldHugeExponents(text)) {
    try {
      return { ok: true, value: JSON.parse(text) as JsonValue };
    } catch (error) {
      // Re-parse to get a position that does not depend on V8's message wording.
      const exact = parseExact(text);
      if (!exact.ok) return exact;
      return { ok: false, message: (error as Error).message, offset: 0 };
    }
  }
  return parseExact(text);
}

/**
 * Serialises a value from {@link parseJson} back to JSON text, writing `bigint`s as their exact
 * digits (`JSON.stringify` throws on them).
 *
 * @example
 * ```ts
 * stringifyJson([1, 18446744073709551615n, "a"]); // '[1,18446744073709551615,"a"]'
 * ```
 */
export function stringifyJson(value: JsonValue): string {
  try {
    return JSON.stringify(value);
  } catch (error) {
    if (!(error instanceof TypeError)) throw error;
    return stringifySlow(value);
  }
}

function stringifySlow(value: JsonValue): string {
  if (typeof value === "bigint") return value.toString();
  if (value === null || typeof value !== "object") return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map(stringifySlow).join(",")}]`;
  const parts: string[] = [];
  for (const key of Object.keys(value)) {
    parts.push(`${JSON.stringify(key)}:${stringifySlow(value[key] as JsonValue)}`);
  }
  return `{${parts.join(",")}}`;
}

const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);

/** Containers deeper than this are refused rather than risking the call stack. */
const MAX_PARSE_DEPTH = 2000;

class JsonSyntaxError {
  constructor(
    readonly message: string,
    readonly offset: number,
  ) {}
}

/** A recursive-descent parser with the grammar of RFC 8259 and the object semantics of JSON.parse. */
function parseExact(text: string): JsonParseResult {
  let pos = 0;
  const n = text.length;

  const fail = (message: string): never => {
    throw new JsonSyntaxError(message, pos);
  };

  const skipWs = (): void => {
    while (pos < n) {
      const c = text.charCodeAt(pos);
      if (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09) pos++;
      else break;
    }
  };

  const parseString = (): string => {
    pos++; // opening quote
    let out = "";
    let start = pos;
    for (;;) {
      if (pos >= n) fail("Unterminated string");
      const c = text.charCodeAt(pos);
      if (c === 0x22) {
        out += text.slice(start, pos);
        pos++;
        return out;
      }
      if (c < 0x20) fail("Bad control character in string");
      if (c !== 0x5c) {
        pos++;
        continue;
      }
      out += text.slice(start, pos);
      pos++;
      const e = text.charCodeAt(pos);
      switch (e) {
        case 0x22: out += '"'; break;
        case 0x5c: out += "\\"; break;
        case 0x2f: out += "/"; break;
        case 0x62: out += "\b"; break;
        case 0x66: out += "\f"; break;
        case 0x6e: out += "\n"; break;
        case 0x72: out += "\r"; break;
        case 0x74: out += "\t"; break;
        case 0x75: {
          const hex = text.slice(pos + 1, pos + 5);
          if (!/^[0-9a-fA-F]{4}$/.test(hex)) fail("Bad Unicode escape");
          out += String.fromCharCode(parseInt(hex, 16));
          pos += 4;
          break;
        }
        default:
          fail("Bad escaped character");
      }
      pos++;
      start = pos;
    }
  };

  const parseNumber = (): number | bigint | string => {
    const start = pos;
    if (text.charCodeAt(pos) === 0x2d) pos++;
    const intStart = pos;
    const first = text.charCodeAt(pos);
    if (first === 0x30) pos++;
    else if (first >= 0x31 && first <= 0x39) {
      while (pos < n && isDigit(text.charCodeAt(pos))) pos++;
    } else fail("No number after minus sign");
    const intDigits = pos - intStart;
    let integer = true;
    if (text.charCodeAt(pos) === 0x2e) {
      integer = false;
      pos++;
      if (!isDigit(text.charCodeAt(pos))) fail("Unterminated fractional number");
      while (pos < n && isDigit(text.charCodeAt(pos))) pos++;
    }
    const e = text.charCodeAt(pos);
    if (e === 0x65 || e === 0x45) {
      integer = false;
      pos++;
      const sign = text.charCodeAt(pos);
      if (sign === 0x2b || sign === 0x2d) pos++;
      if (!isDigit(text.charCodeAt(pos))) fail("Exponent part is missing a number");
      while (pos < n && isDigit(text.charCodeAt(pos))) pos++;
    }
    const literal = text.slice(start, pos);
    // 15 digits can never exceed 2^53, so only longer integer literals pay for a BigInt.
    if (integer && intDigits > 15) {
      const big = BigInt(literal);
      if (big > MAX_SAFE || big < -MAX_SAFE) return big;
    }
    const value = Number(literal);
    return Number.isFinite(value) ? value : literal;
  };

  const parseValue = (depth: number): JsonValue => {
    skipWs();
    if (pos >= n) fail("Unexpected end of JSON input");
    const c = text.charCodeAt(pos);
    if (c === 0x7b) return parseObject(depth + 1);
    if (c === 0x5b) return parseArray(depth + 1);
    if (c === 0x22) return parseString();
    if (c === 0x2d || isDigit(c)) return parseNumber();
    if (text.startsWith("true", pos)) {
      pos += 4;
      return true;
    }
    if (text.startsWith("false", pos)) {
      pos += 5;
      return false;
    }
    if (text.startsWith("null", pos)) {
      pos += 4;
      return null;
    }
    return fail(`Unexpected token ${JSON.stringify(text[pos])}`);
  };

  const parseArray = (depth: number): JsonValue[] => {
    if (depth > MAX_PARSE_DEPTH) fail("Nesting too deep");
    pos++;
    const out: JsonValue[] = [];
    skipWs();
    if (text.charCodeAt(pos) === 0x5d) {
      pos++;
      return out;
    }
    for (;;) {
      out.push(parseValue(depth));
      skipWs();
      const c = text.charCodeAt(pos);
      if (c === 0x2c) {
        pos++;
        continue;
      }
      if (c === 0x5d) {
        pos++;
        return out;
      }
      fail(pos >= n ? "Unexpected end of JSON input" : "Expected ',' or ']' after array element");
    }
  };

  const parseObject = (depth: number): JsonObject => {
    if (depth > MAX_PARSE_DEPTH) fail("Nesting too deep");
    pos++;
    const out: JsonObject = {};
    skipWs();
    if (text.charCodeAt(pos) === 0x7d) {
      pos++;
      return out;
    }
    for (;;) {
      skipWs();
      if (text.charCodeAt(pos) !== 0x22) fail(pos >= n ? "Unexpected end of JSON input" : "Expected property name");
      const key = parseString();
      skipWs();
      if (text.charCodeAt(pos) !== 0x3a) fail("Expected ':' after property name");
      pos++;
      const value = parseValue(depth);
      if (key === "__proto__") {
        // JSON.parse defines an own property; plain assignment would replace the prototype.
        Object.defineProperty(out, key, { value, writable: true, enumerable: true, configurable: true });
      } else {
        out[key] = value;
      }
      skipWs();
      const c = text.charCodeAt(pos);
      if (c === 0x2c) {
        pos++;
        continue;
      }
      if (c === 0x7d) {
        pos++;
        return out;
      }
      fail(pos >= n ? "Unexpected end of JSON input" : "Expected ',' or '}' after property value");
    }
  };

  try {
    const value = parseValue(0);
    skipWs();
    if (pos < n) fail("Unexpected non-whitespace character after JSON");
    return { ok: true, value };
  } catch (error) {
    if (error instanceof JsonSyntaxError) return { ok: false, message: error.message, offset: error.offset };
    throw error;
  }
}

function isDigit(c: number): boolean {
  return c >= 0x30 && c <= 0x39;
}
