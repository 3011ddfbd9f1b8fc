import { promisify } from "node:util";
import { gunzip } from "node:zlib";
import { SinkError } from "./sink-errors.ts";
import { splitJsonBody, splitNdjsonBody } from "./split-events.ts";

const gunzipAsync = promisify(gunzip);
const UTF8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: false });

export type BodyFormat = "json" | "ndjson";

/** The media types accepted, and the format each means. */
export const MEDIA_TYPES: Record<string, BodyFormat> = {
  "application/json": "json",
  "application/x-ndjson": "ndjson",
  "application/ndjson": "ndjson",
  "application/jsonl": "ndjson",
  "application/jsonlines": "ndjson",
};

/** A request body as events: the JSON text of each, and the body's size once inflated. */
export interface DecodedBody {
  events: string[];
  /** Bytes of UTF-8 after decompression: at least the sum of the events' own bytes. */
  bytes: number;
}

export interface BodyLimits {
  /** Largest body after decompression. */
  maxBytes: number;
  /** Most events in one body. */
  maxEvents: number;
}

/**
 * From the request's bytes to the JSON text of each event: inflates gzip without ever holding
 * more than `maxBytes` of output (a gzip bomb stops at the limit), checks UTF-8, and splits,
 * stopping beyond `maxEvents`. Throws a SinkError for anything that is not a well-formed body.
 *
 * @example
 * await decodeBody(gzipSync('[{"a":1},{"b":2}]'), "gzip", "json", { maxBytes: 5_242_880, maxEvents: 100_000 })
 * // { events: ['{"a":1}', '{"b":2}'], bytes: 17 }
 */
export async function decodeBody(
  raw: Buffer | undefined,
  contentEncoding: string | undefined,
  format: BodyFormat,
  limits: BodyLimits,
): Promise<DecodedBody> {
  const { text, bytes } = await decodeText(raw, contentEncoding, limits.maxBytes);
  const split = format === "json" ? splitJsonBody(text, limits.maxEvents) : splitNdjsonBody(text, limits.maxEvents);
  if (!split.ok) throw new SinkError("SINK_MALFORMED_BODY", `${split.message} at offset ${split.offset}`);
  if (split.events.length === 0) throw new SinkError("SINK_NO_EVENTS");
  if (split.events.length > limits.maxEvents) throw new SinkError("SINK_TOO_MANY_EVENTS", `limit ${limits.maxEvents} events`);
  return { events: split.events, bytes };
}

/**
 * A request body as text: inflated when gzipped (never beyond `maxBytes` of output) and checked
 * as UTF-8. Throws a SinkError for an empty body, a bad gzip stream, an unknown encoding or bytes
 * that are not UTF-8.
 *
 * @example
 * await decodeText(gzipSync('{"a":1}'), "gzip", 5_242_880); // { text: '{"a":1}', bytes: 7 }
 */
export async function decodeText(raw: Buffer | undefined, contentEncoding: string | undefined, maxBytes: number): Promise<{ text: string; bytes: number }> {
  // A request without a body has none to inflate, whatever its headers say.
  if (raw === undefined || raw.length === 0) throw new SinkError("SINK_NO_EVENTS");
  const bytes = await inflate(raw, (contentEncoding ?? "identity").trim().toLowerCase(), maxBytes);
  try {
    return { text: UTF8.decode(bytes), bytes: bytes.length };
  } catch {
    throw new SinkError("SINK_INVALID_UTF8");
  }
}

async function inflate(raw: Buffer, encoding: string, maxBytes: number): Promise<Buffer> {
  if (encoding === "identity" || encoding === "") {
    if (raw.length > maxBytes) throw new SinkError("SINK_BODY_TOO_LARGE", `limit ${maxBytes} bytes`);
    return raw;
  }
  if (encoding !== "gzip" && encoding !== "x-gzip") throw new SinkError("SINK_UNSUPPORTED_ENCODING", encoding);
  try {
    return await gunzipAsync(raw, { maxOutputLength: maxBytes });
  } catch (error) {
    if ((error as { code?: string }).code === "ERR_BUFFER_TOO_LARGE") {
      throw new SinkError("SINK_BODY_TOO_LARGE", `limit ${maxBytes} bytes after decompression`);
    }
    throw new SinkError("SINK_BAD_GZIP", (error as Error).message);
  }
}
