/**
 * Lines of newline-delimited text from a stream of byte chunks, as they arrive: a file of any
 * size is read with one chunk and one line in memory. Pure: it only iterates what it is given.
 */

const NEWLINE = 0x0a;

/**
 * Each line of the chunks, decoded as UTF-8, without its newline; a last line without a newline
 * too, and no empty line after the final newline. Splitting bytes at `\n` never cuts a UTF-8
 * character (no byte of a multi-byte character is 0x0a).
 *
 * @example
 * for await (const line of ndjsonLines(gunzipped)) readArchiveLine(line);
 */
export async function* ndjsonLines(chunks: AsyncIterable<Buffer | string>): AsyncGenerator<string> {
  let carry: Buffer = Buffer.alloc(0);
  for await (const chunk of chunks) {
    const bytes = typeof chunk === "string" ? Buffer.from(chunk, "utf8") : chunk;
    let start = 0;
    let at = bytes.indexOf(NEWLINE, start);
    if (at === -1) {
      carry = carry.length === 0 ? bytes : Buffer.concat([carry, bytes]);
      continue;
    }
    yield (carry.length === 0 ? bytes.subarray(0, at) : Buffer.concat([carry, bytes.subarray(0, at)])).toString("utf8");
    carry = Buffer.alloc(0);
    start = at + 1;
    while ((at = bytes.indexOf(NEWLINE, start)) !== -1) {
      yield bytes.subarray(start, at).toString("utf8");
      start = at + 1;
    }
    carry = bytes.subarray(start);
  }
  if (carry.length > 0) yield carry.toString("utf8");
}
