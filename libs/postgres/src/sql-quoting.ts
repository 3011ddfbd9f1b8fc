/**
 * Quoting for SQL text built by the project, for Postgres and Redshift alike (both with
 * standard_conforming_strings on, their default). NUL can be neither in an identifier nor in a
 * literal, so it is refused here rather than by the server half-way through a plan.
 */

/**
 * Quotes an identifier.
 *
 * @example
 * ```ts
 * quoteIdent("level"); // '"level"'
 * quoteIdent('a"b');   // '"a""b"'
 * ```
 */
export function quoteIdent(name: string): string {
  if (name.includes("\0")) throw new Error("identifiers cannot contain NUL");
  return `"${name.replaceAll('"', '""')}"`;
}

/**
 * Quotes a string literal.
 *
 * @example
 * ```ts
 * quoteLiteral("it's"); // "'it''s'"
 * ```
 */
export function quoteLiteral(text: string): string {
  if (text.includes("\0")) throw new Error("literals cannot contain NUL");
  return `'${text.replaceAll("'", "''")}'`;
}
