/**
 * Where stage 1's ranges start, as pure functions. A partition's ledger end is the last Kafka
 * offset whose record is in a committed file; a range is committed only when it starts right
 * after that end (the fence, in range-ledger.ts's SQL).
 */

/**
 * Where the next range of a partition starts, given the first record not yet in the ledger.
 * It starts right after the ledger's end even when that record's offset is higher, so ranges stay
 * contiguous; the offsets in between (`unseen`) had no record to read — transaction markers, or
 * records removed by retention or skipped by a consumer offset moved past the ledger — and are
 * counted, logged and kept on the range row, never passed over silently.
 *
 * @example
 * ```ts
 * rangeStart(99n, 100n);        // { first: 100n, unseen: 0n }
 * rangeStart(99n, 105n);        // { first: 100n, unseen: 5n }
 * rangeStart(undefined, 1234n); // { first: 1234n, unseen: 0n }
 * ```
 */
export function rangeStart(ledgerEnd: bigint | undefined, firstOffset: bigint): { first: bigint; unseen: bigint } {
  if (ledgerEnd === undefined || firstOffset <= ledgerEnd + 1n) return { first: firstOffset, unseen: 0n };
  return { first: ledgerEnd + 1n, unseen: firstOffset - ledgerEnd - 1n };
}

/**
 * The index of the first message not yet covered by the ledger: the ones before it are skipped
 * (their rows are already in a committed batch).
 *
 * @example
 * ```ts
 * firstUncovered([{ offset: "98" }, { offset: "99" }, { offset: "100" }], 99n); // 2
 * ```
 */
export function firstUncovered(messages: readonly { offset: string }[], ledgerEnd: bigint | undefined): number {
  if (ledgerEnd === undefined) return 0;
  let i = 0;
  while (i < messages.length && BigInt((messages[i] as { offset: string }).offset) <= ledgerEnd) i++;
  return i;
}
