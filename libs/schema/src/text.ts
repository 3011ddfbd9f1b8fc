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

/**
 * Characters that make two names look alike or cannot be stored: controls (Cc), format characters
 * (Cf: zero-width space, BOM, bidi marks…), lone surrogates (Cs), line and paragraph separators,
 * the code points Unicode says to render as nothing, and noncharacters.
 */
const INVISIBLE =
  /[\p{Cc}\p{Cf}\p{Cs}\p{Zl}\p{Zp}\p{Default_Ignorable_Code_Point}\p{Noncharacter_Code_Point}]/u;
const EDGE_SPACE = /^\s|\s$/u;

/**
 * Whether an event kind's name (`entype`, `evname`) is plain: not empty, no character that is
 * invisible or unstorable, no whitespace at either end. Printable ASCII is checked in one pass;
 * only other text pays for the Unicode check. Two plain names that look the same are the same.
 *
 * @example
 * ```ts
 * isPlainName("pass mission");   // true
 * isPlainName("user\u200b");     // false (zero-width space)
 * isPlainName(" user");          // false
 * ```
 */
export function isPlainName(s: string): boolean {
  const n = s.length;
  if (n === 0 || s.charCodeAt(0) === 0x20 || s.charCodeAt(n - 1) === 0x20) return false;
  for (let i = 0; i < n; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0x20 && c < 0x7f) continue;
    if (c < 0x20 || c === 0x7f) return false;
    return nameProblem(s) === undefined;
  }
  return true;
}

/**
 * What makes a name not plain (see {@link isPlainName}), in words naming the offending
 * character and its index, or `undefined` when it is plain.
 *
 * @example
 * ```ts
 * nameProblem("user\u200b"); // "has U+200B, an invisible or control character, at index 4"
 * nameProblem("user ");      // "ends with whitespace"
 * ```
 */
export function nameProblem(s: string): string | undefined {
  if (s.length === 0) return "is empty";
  const found = INVISIBLE.exec(s);
  if (found !== null) {
    const code = found[0].codePointAt(0) as number;
    const hex = code.toString(16).toUpperCase().padStart(4, "0");
    return `has U+${hex}, an invisible or control character, at index ${found.index}`;
  }
  if (EDGE_SPACE.test(s)) return /^\s/u.test(s) ? "starts with whitespace" : "ends with whitespace";
  return undefined;
}
