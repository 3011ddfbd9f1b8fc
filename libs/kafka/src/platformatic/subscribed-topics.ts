/**
 * The topics a consumer subscribes to, decided once at its start as kafkajs does: its names, which
 * must exist, and the topics its patterns match now.
 */
import { Admin as LibAdmin, type BaseOptions } from "@platformatic/kafka";

/**
 * The names, then the existing topics a pattern matches, each once. Throws when a name does not
 * exist: kafkajs's subscribe fails at once, where the library's metadata call would retry first.
 *
 * @example
 * subscribedTopics(["raw.a", /^sql\./], ["raw.a", "sql.a", "sql.b"]) // ["raw.a", "sql.a", "sql.b"]
 */
export function subscribedTopics(topics: readonly (string | RegExp)[], existing: readonly string[]): string[] {
  const names = topics.filter((t): t is string => typeof t === "string");
  const patterns = topics.filter((t): t is RegExp => t instanceof RegExp);
  const missing = names.filter((name) => !existing.includes(name));
  if (missing.length > 0) throw new Error(`topic ${missing.join(", ")} does not exist`);
  return [...new Set([...names, ...existing.filter((t) => patterns.some((p) => p.test(t)))])];
}

/**
 * {@link subscribedTopics} against the cluster's topics now, internal ones included.
 *
 * @example
 * const topics = await resolveTopics(base, [/^raw\./]);
 */
export async function resolveTopics(base: BaseOptions, topics: readonly (string | RegExp)[]): Promise<string[]> {
  const admin = new LibAdmin(base);
  try {
    return subscribedTopics(topics, await admin.listTopics({ includeInternals: true }));
  } finally {
    await admin.close();
  }
}
