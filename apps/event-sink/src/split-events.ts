/**
 * Splits a request body into the JSON texts of its events, without parsing them: each event is
 * forwarded to Kafka as the exact text the client sent, so nothing (such as an integer beyond
 * 2^53) can change on the way.
 */

export type SplitResult = { ok: true; events: string[] } | { ok: false; message: string; offset: number };

const WS = new Set([0x20, 0x0a, 0x0d, 0x09]);

/**
 * A JSON body: one event object, or an array of them. The array's elements are cut at their
 * top-level commas; each element is validated later on its own, so a malformed element is
 * reported by its index. Stops once it holds more than `maxEvents` events: such a body is
 * refused whole, and the rest of it need not be read.
 *
 * @example
 * splitJsonBody('[{"a":1}, {"b":"x,y"}]') // { ok: true, events: ['{"a":1}', '{"b":"x,y"}'] }
 */
export function splitJsonBody(text: string, maxEvents = Infinity): SplitResult {
  const start = skipWs(text, 0);
  if (start === text.length) return { ok: true, events: [] };
  if (text.charCodeAt(start) !== 0x5b /* [ */) return { ok: true, events: [text.slice(start, trimEnd(text))] };

  const events: string[] = [];
  let depth = 0;
  let inString = false;
  let elementStart = -1;
  for (let i = start + 1; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c /* \ */) i++;
      else if (c === 0x22 /* " */) inString = false;
      continue;
    }
    if (c === 0x22) {
      inString = true;
      if (elementStart < 0) elementStart = i;
    } else if (c === 0x7b /* { */ || c === 0x5b /* [ */) {
      depth++;
      if (elementStart < 0) elementStart = i;
    } else if (c === 0x7d /* } */ || c === 0x5d /* ] */) {
      if (depth === 0) {
        if (c === 0x7d) return { ok: false, message: "unexpected '}'", offset: i };
        // The closing bracket of the array.
        if (elementStart >= 0) events.push(text.slice(elementStart, trimEnd(text, i)));
        else if (events.length > 0) return { ok: false, message: "trailing comma before ']'", offset: i };
        const rest = skipWs(text, i + 1);
        if (rest !== text.length) return { ok: false, message: "unexpected text after the array", offset: rest };
        return { ok: true, events };
      }
      depth--;
    } else if (c === 0x2c /* , */ && depth === 0) {
      if (elementStart < 0) return { ok: false, message: "empty array element", offset: i };
      events.push(text.slice(elementStart, trimEnd(text, i)));
      if (events.length > maxEvents) return { ok: true, events };
      elementStart = -1;
    } else if (elementStart < 0 && !WS.has(c)) {
      elementStart = i;
    }
  }
  return { ok: false, message: "unterminated array", offset: text.length };
}

/**
 * NDJSON (JSON Lines): one event per line; blank lines are skipped, CRLF is accepted. Stops once
 * it holds more than `maxEvents` events, as `splitJsonBody` does.
 *
 * @example
 * splitNdjsonBody('{"a":1}\n\n{"b":2}\r\n') // { ok: true, events: ['{"a":1}', '{"b":2}'] }
 */
export function splitNdjsonBody(text: string, maxEvents = Infinity): SplitResult {
  const events: string[] = [];
  let lineStart = 0;
  while (lineStart <= text.length && events.length <= maxEvents) {
    let end = text.indexOf("\n", lineStart);
    if (end < 0) end = text.length;
    const a = skipWs(text, lineStart, end);
    if (a < end) events.push(text.slice(a, trimEnd(text, end, a)));
    lineStart = end + 1;
  }
  return { ok: true, events };
}

function skipWs(text: string, from: number, to = text.length): number {
  let i = from;
  while (i < to && WS.has(text.charCodeAt(i))) i++;
  return i;
}

function trimEnd(text: string, end = text.length, floor = 0): number {
  let i = end;
  while (i > floor && WS.has(text.charCodeAt(i - 1))) i--;
  return i;
}
