/**
 * The public event envelope: validation with every problem listed, each with its JSON path.
 */
import { fail, jsonPath, ok, schemaError, type Result, type SchemaError } from "./errors.ts";
import { parseJson, type JsonObject, type JsonValue } from "./json.ts";
import { DEFAULT_LIMITS, tooDeepAt, type Limits } from "./limits.ts";
import { SYSTEM_ID_BYTES } from "./schema.ts";
import { isPlainName, isStorableText, nameProblem, utf8LongerThan } from "./text.ts";
import { isTimestampOutOfRange, millisToMicros, parseTimestamp, type EpochMicros } from "./time.ts";

/** A validated event. */
export interface Event {
  /** Client idempotency key; the front door generates one when absent. */
  readonly id?: string;
  /** Event time in epoch microseconds. */
  readonly ts: EpochMicros;
  readonly entype: string;
  readonly evname: string;
  /** Entity id: the Kafka key, so one entity's events stay in order. */
  readonly enid?: string;
  readonly body: JsonObject;
}

const ENVELOPE_FIELDS = new Set(["id", "ts", "entype", "evname", "enid", "body"]);
/** Longest accepted entype or evname, in bytes. */
export const MAX_EVENT_NAME_BYTES = 256;
/** Epoch milliseconds of 0001-01-01T00:00:00Z and 9999-12-31T23:59:59.999Z. */
const MIN_EPOCH_MS = -62_135_596_800_000;
const MAX_EPOCH_MS = 253_402_300_799_999;

/**
 * Checks a parsed value against the envelope: `id` (optional string), `ts` (RFC 3339 string or
 * integer epoch milliseconds, an instant within 0001-01-01T00:00:00Z … 9999-12-31T23:59:59.999999Z),
 * `entype` and `evname` (plain names: no control or invisible character, no lone surrogate, no
 * whitespace at either end, so two names that look alike are alike), `enid` (optional string),
 * `body` (an object), and nothing else, so that no field is silently ignored. `null` counts as
 * absent for the optional fields. Every problem is reported, not just the first.
 *
 * @example
 * ```ts
 * validateEnvelope({ ts: "2015-01-01T00:31:32Z", entype: "user", evname: "", body: [] });
 * // { ok: false, errors: [
 * //   { code: "ENVELOPE_FIELD_EMPTY", path: "$.evname", message: "evname must not be empty" },
 * //   { code: "ENVELOPE_FIELD_TYPE", path: "$.body", message: "body must be an object, got array" } ] }
 * ```
 */
export function validateEnvelope(value: unknown): Result<Event> {
  const event = wellFormed(value);
  return event !== undefined ? ok(event) : validateSlowly(value);
}

/**
 * The event, when the envelope is well-formed in the usual way; `undefined` sends the value to
 * the validation that names every problem. Every event has the same object shape, so the code
 * reading events stays monomorphic.
 */
function wellFormed(value: unknown): Event | undefined {
  if (value === null || typeof value !== "object" || Array.isArray(value)) return undefined;
  const obj = value as Record<string, unknown>;
  for (const key in obj) {
    switch (key) {
      case "id":
      case "ts":
      case "entype":
      case "evname":
      case "enid":
      case "body":
        continue;
      default:
        return undefined;
    }
  }
  const { id, ts, entype, evname, enid, body } = obj;
  if (typeof entype !== "string" || !plainName(entype) || typeof evname !== "string" || !plainName(evname)) return undefined;
  if (id != null && (typeof id !== "string" || !plainId(id))) return undefined;
  if (enid != null && (typeof enid !== "string" || !plainId(enid))) return undefined;
  if (body === null || typeof body !== "object" || Array.isArray(body)) return undefined;
  let micros: EpochMicros | undefined;
  if (typeof ts === "number") {
    if (Number.isInteger(ts) && ts >= MIN_EPOCH_MS && ts <= MAX_EPOCH_MS) micros = millisToMicros(ts);
  } else if (typeof ts === "string") {
    micros = parseTimestamp(ts);
  }
  if (micros === undefined) return undefined;
  return {
    id: (id as string | null | undefined) ?? undefined,
    ts: micros,
    entype,
    evname,
    enid: (enid as string | null | undefined) ?? undefined,
    body: body as JsonObject,
  };
}

function plainName(s: string): boolean {
  // Anything unusual gets the full check, which says what is wrong and where.
  return isPlainName(s) && !utf8LongerThan(s, MAX_EVENT_NAME_BYTES);
}

function plainId(s: string): boolean {
  return s.length > 0 && !utf8LongerThan(s, SYSTEM_ID_BYTES) && isStorableText(s);
}

function validateSlowly(value: unknown): Result<Event> {
  if (value === null || typeof value !== "object" || Array.isArray(value)) {
    return fail([schemaError("ENVELOPE_NOT_OBJECT", "$", `an event must be a JSON object, got ${kindOf(value)}`)]);
  }
  const obj = value as Record<string, unknown>;
  let errors: SchemaError[] | undefined;
  const report = (error: SchemaError): void => {
    (errors ??= []).push(error);
  };

  for (const key in obj) {
    if (!ENVELOPE_FIELDS.has(key)) {
      report(
        schemaError(
          "ENVELOPE_UNKNOWN_FIELD",
          jsonPath("$", key),
          `unknown envelope field ${JSON.stringify(key)}; event data belongs in body`,
        ),
      );
    }
  }

  const id = optionalString(obj, "id", SYSTEM_ID_BYTES, report);
  const entype = requiredName(obj, "entype", report);
  const evname = requiredName(obj, "evname", report);
  const enid = optionalString(obj, "enid", SYSTEM_ID_BYTES, report);
  const ts = timestamp(obj.ts, report);

  const body = obj.body;
  if (body === undefined) {
    report(schemaError("ENVELOPE_FIELD_MISSING", "$.body", "body is required"));
  } else if (body === null || typeof body !== "object" || Array.isArray(body)) {
    report(schemaError("ENVELOPE_FIELD_TYPE", "$.body", `body must be an object, got ${kindOf(body)}`));
  }

  if (errors !== undefined) return fail(errors);
  return ok({ id, ts: ts as EpochMicros, entype: entype as string, evname: evname as string, enid, body: body as JsonObject });
}

const UTF8 = new TextDecoder("utf-8", { fatal: true });

/**
 * From raw bytes or text to a validated event: size limit, UTF-8, JSON (integers beyond 2^53
 * exact), envelope, body nesting depth. Never throws.
 *
 * @example
 * ```ts
 * const result = parseEvent('{"ts":1420072292000,"entype":"user","evname":"pass_mission","body":{"level":7}}');
 * if (result.ok) result.value.body.level; // 7
 * ```
 */
export function parseEvent(raw: string | Uint8Array, limits: Limits = DEFAULT_LIMITS): Result<Event> {
  let text: string;
  if (typeof raw === "string") {
    // UTF-8 is at most 3 bytes per UTF-16 unit: only long texts need an exact count.
    if (raw.length * 3 > limits.maxEventBytes) {
      const bytes = Buffer.byteLength(raw, "utf8");
      if (bytes > limits.maxEventBytes) return tooLarge(bytes, limits);
    }
    text = raw;
  } else {
    if (raw.byteLength > limits.maxEventBytes) return tooLarge(raw.byteLength, limits);
    try {
      text = UTF8.decode(raw);
    } catch {
      return fail([schemaError("EVENT_INVALID_JSON", "$", "event is not valid UTF-8")]);
    }
  }
  const parsed = parseJson(text);
  if (!parsed.ok) {
    return fail([schemaError("EVENT_INVALID_JSON", "$", `${parsed.message} at offset ${parsed.offset}`)]);
  }
  return checkEvent(parsed.value, limits);
}

/**
 * Envelope validation plus the body depth limit, for a value already parsed (for instance one
 * element of a JSON array of events parsed with `parseJson`).
 *
 * @example
 * ```ts
 * checkEvent({ ts: 0, entype: "a", evname: "b", body: { x: { y: 1 } } }, { ...DEFAULT_LIMITS, maxDepth: 1 });
 * // { ok: false, errors: [{ code: "EVENT_TOO_DEEP", path: "$.body.x", … }] }
 * ```
 */
export function checkEvent(value: JsonValue | unknown, limits: Limits = DEFAULT_LIMITS): Result<Event> {
  const envelope = validateEnvelope(value);
  if (!envelope.ok) return envelope;
  const deep = tooDeepAt(envelope.value.body, limits.maxDepth, "$.body");
  if (deep !== undefined) {
    return fail([
      schemaError("EVENT_TOO_DEEP", deep, `body nests deeper than ${limits.maxDepth} levels at ${deep}`),
    ]);
  }
  return envelope;
}

function tooLarge(bytes: number, limits: Limits): Result<Event> {
  return fail([schemaError("EVENT_TOO_LARGE", "$", `event is ${bytes} bytes; the limit is ${limits.maxEventBytes}`)]);
}

function requiredName(obj: Record<string, unknown>, key: string, report: (e: SchemaError) => void): string | undefined {
  const v = obj[key];
  const path = `$.${key}`;
  if (v === undefined || v === null) {
    report(schemaError("ENVELOPE_FIELD_MISSING", path, `${key} is required`));
    return undefined;
  }
  if (typeof v !== "string") {
    report(schemaError("ENVELOPE_FIELD_TYPE", path, `${key} must be a string, got ${kindOf(v)}`));
    return undefined;
  }
  if (v.trim() === "") {
    report(schemaError("ENVELOPE_FIELD_EMPTY", path, `${key} must not be empty`));
    return undefined;
  }
  if (utf8LongerThan(v, MAX_EVENT_NAME_BYTES)) {
    report(schemaError("ENVELOPE_FIELD_TOO_LONG", path, `${key} must be at most ${MAX_EVENT_NAME_BYTES} bytes`));
    return undefined;
  }
  const problem = nameProblem(v);
  if (problem !== undefined) {
    report(
      schemaError(
        "ENVELOPE_FIELD_FORMAT",
        path,
        `${key} ${problem}; names must be visible text without control characters, lone surrogates or surrounding whitespace`,
      ),
    );
    return undefined;
  }
  return v;
}

function optionalString(
  obj: Record<string, unknown>,
  key: string,
  maxBytes: number,
  report: (e: SchemaError) => void,
): string | undefined {
  const v = obj[key];
  if (v === undefined || v === null) return undefined;
  const path = `$.${key}`;
  if (typeof v !== "string") {
    report(schemaError("ENVELOPE_FIELD_TYPE", path, `${key} must be a string, got ${kindOf(v)}`));
    return undefined;
  }
  if (v === "") {
    report(schemaError("ENVELOPE_FIELD_EMPTY", path, `${key} must not be empty; omit it instead`));
    return undefined;
  }
  if (utf8LongerThan(v, maxBytes)) {
    report(schemaError("ENVELOPE_FIELD_TOO_LONG", path, `${key} must be at most ${maxBytes} bytes`));
    return undefined;
  }
  if (!isStorableText(v)) {
    report(schemaError("ENVELOPE_FIELD_FORMAT", path, `${key} must be valid Unicode text without NUL characters`));
    return undefined;
  }
  return v;
}

function timestamp(v: unknown, report: (e: SchemaError) => void): EpochMicros | undefined {
  if (v === undefined || v === null) {
    report(schemaError("ENVELOPE_FIELD_MISSING", "$.ts", "ts is required"));
    return undefined;
  }
  if (typeof v === "string") {
    const micros = parseTimestamp(v);
    if (micros === undefined && (isTimestampOutOfRange(v) || isOverflowedNumber(v))) {
      report(
        schemaError(
          "ENVELOPE_FIELD_RANGE",
          "$.ts",
          "ts must be an instant within 0001-01-01T00:00:00Z and 9999-12-31T23:59:59.999999Z once its offset is applied",
        ),
      );
    } else if (micros === undefined) {
      report(
        schemaError(
          "ENVELOPE_FIELD_FORMAT",
          "$.ts",
          "ts must be an RFC 3339 date-time such as 2015-01-01T00:31:32Z (years 0001-9999, at most microsecond precision)",
        ),
      );
    }
    return micros;
  }
  if (typeof v === "number" || typeof v === "bigint") {
    if (typeof v === "number" && !Number.isInteger(v)) {
      report(schemaError("ENVELOPE_FIELD_FORMAT", "$.ts", "ts in epoch milliseconds must be an integer"));
      return undefined;
    }
    if (typeof v === "bigint" || v < MIN_EPOCH_MS || v > MAX_EPOCH_MS) {
      report(schemaError("ENVELOPE_FIELD_RANGE", "$.ts", "ts in epoch milliseconds must be within years 0001-9999"));
      return undefined;
    }
    return millisToMicros(v);
  }
  report(schemaError("ENVELOPE_FIELD_TYPE", "$.ts", `ts must be a string or a number, got ${kindOf(v)}`));
  return undefined;
}

const NUMBER_LITERAL = /^-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?$/;

/** A number literal too large for a double, which parseJson keeps as its text (see json.ts). */
function isOverflowedNumber(s: string): boolean {
  return NUMBER_LITERAL.test(s) && !Number.isFinite(Number(s));
}

function kindOf(v: unknown): string {
  if (v === null) return "null";
  if (Array.isArray(v)) return "array";
  return typeof v === "bigint" ? "number" : typeof v;
}
