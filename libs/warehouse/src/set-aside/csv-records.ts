/**
 * A batch file's CSV as records, for the rare loads that must pick rows out of a file: where each
 * record starts and ends, and which physical lines it spans (a quoted field may hold newlines, and
 * both warehouses number errors by physical line). Pure.
 */

const QUOTE = 0x22;
const NEWLINE = 0x0a;

/** The records of a CSV text, as offsets into it. */
export interface CsvRecords {
  /** Start of record i's bytes; `starts[i + 1]` (or the text's end) is where it ends, newline included. */
  readonly starts: readonly number[];
  /** The physical line (1-based) record i ends on: its start line is the previous record's + 1. */
  readonly lastLines: readonly number[];
  readonly length: number;
}

/**
 * Splits CSV text (records ending in `\n`, fields quoted with `"` as csv.ts writes them) into
 * records. A last record without its newline still counts.
 *
 * @example
 * ```ts
 * const r = csvRecords(Buffer.from('a,1\n"b\nc",2\nd,3\n'));
 * r.length;    // 3
 * r.lastLines; // [1, 3, 4]
 * ```
 */
export function csvRecords(text: Uint8Array): CsvRecords {
  const starts: number[] = [];
  const lastLines: number[] = [];
  let line = 0;
  let quoted = false;
  let start = 0;
  for (let i = 0; i < text.length; i++) {
    const byte = text[i];
    // "" inside quotes toggles twice, so it needs no case of its own.
    if (byte === QUOTE) quoted = !quoted;
    else if (byte === NEWLINE) {
      line++;
      if (!quoted) {
        starts.push(start);
        lastLines.push(line);
        start = i + 1;
      }
    }
  }
  if (start < text.length) {
    starts.push(start);
    lastLines.push(line + 1);
  }
  return { starts, lastLines, length: starts.length };
}

/**
 * The bytes of records `from` (included) to `to` (excluded), newlines included.
 *
 * @example
 * ```ts
 * recordBytes(text, csvRecords(text), 1, 2).toString(); // the second record
 * ```
 */
export function recordBytes(text: Uint8Array, records: CsvRecords, from: number, to: number): Buffer {
  const begin = records.starts[from] ?? text.length;
  const end = to < records.length ? (records.starts[to] as number) : text.length;
  return Buffer.from(text.buffer, text.byteOffset + begin, end - begin);
}

/**
 * The record among `from`…`to - 1` that spans physical `line` of a text made of just those
 * records (line 1 being record `from`'s first), or undefined when none does.
 *
 * @example
 * ```ts
 * // lastLines [1, 3, 4]: record 1 spans lines 2 and 3 of the whole file
 * recordAtLine(records, 0, 3, 3); // 1
 * recordAtLine(records, 1, 3, 3); // 2 (line 3 of the text starting at record 1)
 * ```
 */
export function recordAtLine(records: CsvRecords, from: number, to: number, line: number): number | undefined {
  if (line < 1 || from >= to) return undefined;
  const before = from === 0 ? 0 : (records.lastLines[from - 1] as number);
  const target = before + line;
  // Binary search for the first record whose last line reaches the target.
  let lo = from;
  let hi = to;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((records.lastLines[mid] as number) < target) lo = mid + 1;
    else hi = mid;
  }
  return lo < to ? lo : undefined;
}
