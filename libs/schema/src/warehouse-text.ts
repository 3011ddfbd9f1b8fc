/**
 * Cells as the text a warehouse parses back to the same value: what a loader writes into CSV
 * for COPY, or passes as a query parameter.
 */
import type { CellValue } from "./row.ts";
import type { Column } from "./schema.ts";
import { formatDate, formatTimestamp } from "./time.ts";

/**
 * The warehouse text of one cell of a column, or `null` for SQL NULL.
 *
 * Timestamps are RFC 3339 in UTC with microseconds, dates `YYYY-MM-DD`, decimals their exact
 * digits, doubles the shortest text that parses back to the same double (negative zero kept),
 * json and varchar cells their text.
 *
 * @example
 * ```ts
 * cellText({ name: "at", type: "timestamptz", sources: [["at"]] }, 1420072292000000); // "2015-01-01T00:31:32.000000Z"
 * cellText({ name: "day", type: "date", sources: [["day"]] }, 18262);                // "2020-01-01"
 * ```
 */
export function cellText(column: Pick<Column, "type">, cell: CellValue): string | null {
  if (cell === null) return null;
  switch (column.type) {
    case "timestamptz":
      return formatTimestamp(cell as number | bigint);
    case "date":
      return formatDate(cell as number);
    case "double":
      return Object.is(cell, -0) ? "-0" : String(cell);
    default:
      return String(cell);
  }
}
