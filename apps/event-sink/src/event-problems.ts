import type { EventProblem, ProblemReport } from "./sink-errors.ts";

/** One problem of one event, as the schema core and the tracking API's mapping report them. */
export interface Problem {
  readonly code: string;
  readonly path: string;
  readonly message: string;
}

/** Most problems one answer lists; the rest are counted. */
export const MAX_LISTED_PROBLEMS = 100;

/**
 * The bad events of one request, counted rather than collected: a body of a million bad events
 * costs a million additions, and the answer lists the first MAX_LISTED_PROBLEMS problems.
 *
 * @example
 * const tally = new ProblemTally();
 * tally.add(3, [{ code: "ENVELOPE_FIELD_MISSING", path: "$.ts", message: "ts is required" }]);
 * tally.report(); // { errors: [{ index: 3, code: "ENVELOPE_FIELD_MISSING", … }], badEvents: 1, totalErrors: 1 }
 */
export class ProblemTally {
  private readonly listed: EventProblem[] = [];
  badEvents = 0;
  totalErrors = 0;
  /** Whether some event is over the size limit: the answer is then a 413. */
  tooLarge = false;
  /** Bad events by the code of their first problem, for the metrics. */
  readonly byFirstCode = new Map<string, number>();

  add(index: number, errors: readonly Problem[]): void {
    this.badEvents++;
    this.totalErrors += errors.length;
    const first = errors[0]?.code ?? "EVENT_INVALID_JSON";
    this.byFirstCode.set(first, (this.byFirstCode.get(first) ?? 0) + 1);
    for (const e of errors) {
      if (e.code === "EVENT_TOO_LARGE") this.tooLarge = true;
      if (this.listed.length < MAX_LISTED_PROBLEMS) this.listed.push({ index, code: e.code, path: e.path, message: e.message });
    }
  }

  report(): ProblemReport {
    return { errors: this.listed, badEvents: this.badEvents, totalErrors: this.totalErrors };
  }
}
