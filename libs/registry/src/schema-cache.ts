/**
 * In-process caches of schema versions. Pure data structures, no I/O.
 *
 * The invalidation rule: versions are append-only and immutable, so a cached version is never
 * wrong, only possibly behind. A row that fits the cached version fits every later one (they
 * only add columns and widen types), so the cache may answer "no change" on its own. When a
 * merge against it says "changed", the writer re-reads the latest version from the database
 * before writing, and the cache moves forward to whatever it read; it never moves back.
 */

/**
 * The latest known version of each table, bounded; the oldest entries go first when full.
 *
 * @example
 * ```ts
 * const latest = new LatestVersionCache<{ version: number }>(10_000);
 * latest.offer("1/_e_user__login", { version: 3 });
 * latest.offer("1/_e_user__login", { version: 2 }); // ignored: never moves back
 * latest.get("1/_e_user__login")?.version;          // 3
 * ```
 */
export class LatestVersionCache<V extends { readonly version: number }> {
  readonly #entries = new Map<string, V>();
  readonly #capacity: number;

  constructor(capacity: number) {
    this.#capacity = Math.max(1, capacity);
  }

  get(key: string): V | undefined {
    return this.#entries.get(key);
  }

  /** Keeps `value` unless the cache already holds a later version; returns what it holds. */
  offer(key: string, value: V): V {
    const held = this.#entries.get(key);
    if (held !== undefined && held.version >= value.version) return held;
    if (held === undefined && this.#entries.size >= this.#capacity) {
      this.#entries.delete(this.#entries.keys().next().value as string);
    }
    this.#entries.set(key, value);
    return value;
  }

  get size(): number {
    return this.#entries.size;
  }
}

/**
 * Immutable values by id (schema id → version): never invalidated, only evicted for room.
 *
 * @example
 * ```ts
 * const byId = new ImmutableCache<number, string>(100_000);
 * byId.set(7, "…");
 * byId.get(7); // "…"
 * ```
 */
export class ImmutableCache<K, V> {
  readonly #entries = new Map<K, V>();
  readonly #capacity: number;

  constructor(capacity: number) {
    this.#capacity = Math.max(1, capacity);
  }

  get(key: K): V | undefined {
    return this.#entries.get(key);
  }

  set(key: K, value: V): V {
    if (!this.#entries.has(key) && this.#entries.size >= this.#capacity) {
      this.#entries.delete(this.#entries.keys().next().value as K);
    }
    this.#entries.set(key, value);
    return value;
  }

  get size(): number {
    return this.#entries.size;
  }
}

/**
 * Runs tasks one at a time per key, in arrival order. In-process writers to one table take
 * turns, so they race only with other processes, not with each other; it is not a lock in
 * the database, and a task that fails does not stop the next.
 *
 * @example
 * ```ts
 * const queue = new KeyedQueue();
 * await Promise.all([queue.run("t", a), queue.run("t", b)]); // b starts after a settles
 * ```
 */
export class KeyedQueue {
  readonly #tails = new Map<string, Promise<unknown>>();

  run<T>(key: string, task: () => Promise<T>): Promise<T> {
    const previous = this.#tails.get(key) ?? Promise.resolve();
    const result = previous.then(task, task);
    const tail = result.then(
      () => undefined,
      () => undefined,
    );
    this.#tails.set(key, tail);
    void tail.then(() => {
      if (this.#tails.get(key) === tail) this.#tails.delete(key);
    });
    return result;
  }

  /** Keys with a task running or waiting. */
  get size(): number {
    return this.#tails.size;
  }
}
