/** Every topic the pipeline uses, named in one place. */

/** App names are what topic, schema and key names are built from: keep them plain. */
export const APP_NAME_PATTERN = /^[a-z][a-z0-9_]{0,47}$/;

export interface AppTopics {
  /** Events as event-sink accepted them. */
  raw: string;
  /** Typed rows in Avro (Confluent wire format), keyed by table. */
  sql: string;
  /** What sqlizer could not place, with the original bytes and a coded reason. */
  dlq: string;
}

/**
 * The topics of one app. `prefix` isolates environments (and tests) sharing a cluster.
 *
 * @example
 * topicsFor("acme").raw // "raw.acme"
 */
export function topicsFor(app: string, prefix = ""): AppTopics {
  return { raw: `${prefix}raw.${app}`, sql: `${prefix}sql.${app}`, dlq: `${prefix}dlq.${app}` };
}

/** Matches every app's topic of one kind, e.g. all raw topics: the app name is group 1. */
export function topicPattern(kind: keyof AppTopics, prefix = ""): RegExp {
  return new RegExp(`^${escapeRegExp(prefix)}${kind}\\.([a-z][a-z0-9_]*)$`);
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}
