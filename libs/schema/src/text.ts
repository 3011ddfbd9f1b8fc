/**
 * Text as warehouses store it: UTF-8 bytes, no NUL, no lone surrogates.
 */

interface WellFormedString {
  isWellFormed(): boolean;
}

/**
 * Whether a warehouse text column can store the string as is: no NUL (Postgres text refuses it)
 * and no lone surrogate (it has no UTF-8 form).
 *
 * @example
 * ```ts
 * isStorableText("café");     // true
 * isStorableText("a\u0000b"); // false
 * isStorableText("\ud800");   // false
 * ```
 */
export function isStorableText(s: string): boolean {
  return s.indexOf("\0") === -1 && (s as unknown as WellFormedString).isWellFormed();
}

/**
 * Whether the UTF-8 form of `s` is longer than `maxBytes`. Counts bytes only when the string
 * could be: a UTF-16 unit is at most 3 UTF-8 bytes.
 *
 * @example
 * ```ts
 * utf8LongerThan("héllo", 5); // true (6 bytes)
 * ```
 */
export function utf8LongerThan(s: string, maxBytes: number): boolean {
  return s.length * 3 > maxBytes && Buffer.byteLength(s, "utf8") > maxBytes;
}

/** UTF-8 length in bytes. @example `utf8Length("é")` → `2` */
export function utf8Length(s: string): number {
  return Buffer.byteLength(s, "utf8");
}
