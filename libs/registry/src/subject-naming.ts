/**
 * Subject names of tables in the Confluent API.
 *
 * One subject per table, named by Confluent's TopicRecordNameStrategy, `<topic>-<record full
 * name>`: the table's rows travel on the app's `sql` topic as Avro records named
 * `schematizer.<table>`, so the subject of `_e_user__pass_mission` of app `acme` is
 * `sql.acme-schematizer._e_user__pass_mission`. Standard tools configured with that strategy
 * derive the same name from a message, and the topic part keeps apart two apps that have a
 * table of the same name (the record name alone, RecordNameStrategy, would not). The plain
 * TopicNameStrategy (`<topic>-value`) cannot work: one topic carries every table of an app.
 */
import { AVRO_NAMESPACE, topicsFor } from "@schematizer/contracts";

/**
 * The subject of an app's table.
 *
 * @example
 * ```ts
 * tableSubject("acme", "_e_user__pass_mission");        // "sql.acme-schematizer._e_user__pass_mission"
 * tableSubject("acme", "_e_user__pass_mission", "t1."); // "t1.sql.acme-schematizer._e_user__pass_mission"
 * ```
 */
export function tableSubject(app: string, table: string, topicPrefix = ""): string {
  return `${topicsFor(app, topicPrefix).sql}-${AVRO_NAMESPACE}.${table}`;
}

/**
 * Whether a subject has the shape of a table's subject under this topic prefix. Such names are
 * reserved for tables, so nobody can take one before its table exists.
 *
 * @example
 * ```ts
 * isTableSubjectName("sql.acme-schematizer._e_user__login"); // true
 * isTableSubjectName("payments-value");                      // false
 * ```
 */
export function isTableSubjectName(subject: string, topicPrefix = ""): boolean {
  const head = `${topicPrefix}sql.`;
  if (!subject.startsWith(head)) return false;
  return subject.slice(head.length).includes(`-${AVRO_NAMESPACE}.`);
}
