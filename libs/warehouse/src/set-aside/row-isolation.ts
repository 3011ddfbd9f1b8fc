/**
 * Which rows of a file the warehouse refuses, found by loading parts of it: the decision logic,
 * free of I/O (the caller's `attempt` loads a slice of records and says how it went).
 *
 * A slice that fails for its rows is narrowed down:
 * - when the error names a line (Postgres: "COPY t, line N"), the record on that line is tried
 *   alone, without keeping it: if it fails it is set aside and the records before and after it are
 *   loaded as two slices; if it loads, the line was not the culprit's (Postgres names the last line
 *   read when its multi-row insert buffer fails), and the slice is halved;
 * - otherwise the slice is halved, and a single record that fails is set aside.
 * Slices are loaded in file order, so the first of two rows with one `_sz_id` stays the first.
 * The work is bounded: past `maxBadRows` refused rows (or the attempts that many could need), the
 * file is not a few bad rows but a table the rows do not fit, and the whole batch is parked.
 */
import { loadError } from "../load-codes.ts";
import { classifyLoadError } from "../load-errors.ts";
import { recordAtLine, type CsvRecords } from "./csv-records.ts";

/** How loading records `from`…`to - 1` went. `line` is the physical line, within that slice, an error named. */
export type AttemptOutcome = { readonly ok: true; readonly inserted: number } | { readonly ok: false; readonly error: unknown; readonly line?: number };

/**
 * Loads records `from`…`to - 1`. With `keep` false the attempt is undone even when it succeeds
 * (a check that one record fails alone).
 */
export type Attempt = (from: number, to: number, keep: boolean) => Promise<AttemptOutcome>;

export interface IsolationOptions {
  /** Rows set aside beyond which the file is given up (BATCHER_TOO_MANY_BAD_ROWS). */
  readonly maxBadRows: number;
  /** Whether an error is the rows' fault; any other error ends the isolation and is thrown. */
  readonly isRowError: (error: unknown) => boolean;
  /** Names the file in errors. */
  readonly label: string;
}

/** A refused record and why. */
export interface RefusedRecord {
  readonly index: number;
  readonly error: unknown;
}

export interface Isolated {
  /** Rows the loaded slices inserted (duplicates of ids already there excluded). */
  readonly inserted: number;
  /** Records in the loaded slices. */
  readonly loaded: number;
  /** Refused records, in file order. */
  readonly refused: readonly RefusedRecord[];
  readonly attempts: number;
}

/**
 * Attempts that isolating up to `maxBadRows` refused rows among `rows` can take: each refused row
 * costs at most three attempts (a failed slice, a check alone, its sibling slice) per halving.
 *
 * @example
 * ```ts
 * attemptBudget(100_000, 1000); // 3 * 1001 * 19 + 1
 * ```
 */
export function attemptBudget(rows: number, maxBadRows: number): number {
  return 1 + 3 * (maxBadRows + 1) * (Math.ceil(Math.log2(Math.max(rows, 1))) + 2);
}

/**
 * Loads every record of the file that the warehouse accepts and returns those it refuses; see the
 * module comment for how. Throws the first error that is not the rows' fault, or
 * BATCHER_TOO_MANY_BAD_ROWS past the bound.
 *
 * @example
 * ```ts
 * const { refused } = await isolateRefusedRows(records, (from, to, keep) => copySlice(from, to, keep), { maxBadRows: 1000, isRowError, label: key });
 * ```
 */
export async function isolateRefusedRows(records: CsvRecords, attempt: Attempt, options: IsolationOptions): Promise<Isolated> {
  const budget = attemptBudget(records.length, options.maxBadRows);
  const refused: RefusedRecord[] = [];
  const slices: [number, number][] = [[0, records.length]];
  let attempts = 0;
  let inserted = 0;
  let loaded = 0;

  const tryLoad = async (from: number, to: number, keep: boolean): Promise<AttemptOutcome> => {
    if (++attempts > budget) throw tooMany(`its isolation took more than ${budget} attempts`);
    const outcome = await attempt(from, to, keep);
    if (!outcome.ok && !options.isRowError(outcome.error)) throw outcome.error;
    return outcome;
  };
  const refuse = (index: number, error: unknown) => {
    refused.push({ index, error });
    if (refused.length > options.maxBadRows) throw tooMany(`more than ${options.maxBadRows} of its rows were refused`);
  };
  const tooMany = (why: string) => {
    const first = refused[0] === undefined ? "" : `; the first (record ${refused[0].index + 1}): ${classifyLoadError(refused[0].error).message}`;
    return loadError("BATCHER_TOO_MANY_BAD_ROWS", `${options.label}: ${why}${first}`, {
      context: { refused: refused.length, attempts, maxBadRows: options.maxBadRows },
    });
  };

  while (slices.length > 0) {
    const [from, to] = slices.shift() as [number, number];
    if (from >= to) continue;
    const outcome = await tryLoad(from, to, true);
    if (outcome.ok) {
      inserted += outcome.inserted;
      loaded += to - from;
      continue;
    }
    if (to - from === 1) {
      refuse(from, outcome.error);
      continue;
    }
    const named = outcome.line === undefined ? undefined : recordAtLine(records, from, to, outcome.line);
    if (named !== undefined) {
      const alone = await tryLoad(named, named + 1, false);
      if (!alone.ok) {
        refuse(named, alone.error);
        slices.unshift([from, named], [named + 1, to]);
        continue;
      }
    }
    const mid = (from + to) >>> 1;
    slices.unshift([from, mid], [mid, to]);
  }
  refused.sort((a, b) => a.index - b.index);
  return { inserted, loaded, refused, attempts };
}
