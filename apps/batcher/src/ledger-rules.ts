/**
 * The ledger's rules as pure functions; `ledger.ts` states the same rules in SQL.
 *
 * A partition's ledger end is the last Kafka offset whose record is in a committed batch. A range
 * of offsets is committed only when it starts right after that end, so of two consumers that read
 * the same records (a zombie after a rebalance, a restart that re-reads) exactly one commits them.
 */

/**
 * Whether a range starting at `first` may be committed on top of the ledger's end (`undefined`
 * when the partition has no ledger row yet: the first range is taken as it comes).
 *
 * @example
 * ```ts
 * fenceAccepts(99n, 100n);        // true
 * fenceAccepts(99n, 50n);         // false: those records are committed already
 * fenceAccepts(undefined, 1234n); // true
 * ```
 */
export function fenceAccepts(ledgerEnd: bigint | undefined, first: bigint): boolean {
  return ledgerEnd === undefined || first === ledgerEnd + 1n;
}

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
