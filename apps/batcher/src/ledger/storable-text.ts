/**
 * Text the batcher writes into its own ledger columns (reasons, last errors) made storable: a
 * Postgres text column refuses NUL and a lone surrogate has no UTF-8 form. Such characters come
 * from errors that quote an event's content; were they written as they are, the write would fail
 * on every attempt and hold its table or partition for ever.
 */

interface WellFormed {
  toWellFormed(): string;
}

/**
 * The text with NUL written as `\u0000` and each lone surrogate as U+FFFD; other text unchanged.
 *
 * @example
 * ```ts
 * storableText("bad \u0000 value \ud800"); // "bad \\u0000 value \ufffd"
 * ```
 */
export function storableText(text: string): string {
  return (text.replaceAll("\0", "\\u0000") as unknown as WellFormed).toWellFormed();
}
