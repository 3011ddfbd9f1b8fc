/**
 * Reading a catalogue of coded errors back from its documentation, so that a test keeps the two in
 * step (as fastify's `test/internals/errors.test.js` does for its `lib/errors.js`): a code added to
 * a catalogue and not to the README, or left in the README after it is gone, fails a unit test.
 */

/**
 * The rows of the first table under a heading of a Markdown document, by the code in their first
 * cell (backticks dropped), each with its other cells. Empty when the heading is missing.
 *
 * @example
 * documentedCodes("### Codes\n\n| code | status |\n|---|---|\n| `SINK_NOT_FOUND` | 404 |\n", "### Codes");
 * // Map { "SINK_NOT_FOUND" => ["404"] }
 */
export function documentedCodes(markdown: string, heading: string): Map<string, string[]> {
  const lines = markdown.split("\n");
  const start = lines.findIndex((line) => line.trim() === heading);
  const rows = new Map<string, string[]>();
  if (start < 0) return rows;
  const level = /^#+/.exec(heading)?.[0].length ?? 0;
  let inTable = false;
  for (const line of lines.slice(start + 1)) {
    const headingLevel = /^(#+) /.exec(line)?.[1]!.length;
    if (headingLevel !== undefined && headingLevel <= level) break;
    if (!line.startsWith("|")) {
      if (inTable) break;
      continue;
    }
    const cells = line.slice(1, line.lastIndexOf("|")).split("|").map((cell) => cell.trim().replaceAll("`", ""));
    // The header row and the row of dashes under it.
    if (!inTable || /^:?-+:?$/.test(cells[0]!)) {
      inTable = true;
      continue;
    }
    rows.set(cells[0]!, cells.slice(1));
  }
  return rows;
}
