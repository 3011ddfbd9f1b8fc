/**
 * The Confluent errors the subject store answers with: schema text that is not Avro, a subject
 * name Postgres cannot store, and a subject, version or schema that is not there.
 */
import { isStorableText } from "@schematizer/schema";
import { parseAvro, type ParsedAvro } from "./avro-canonical.ts";
import { confluentError } from "./confluent-errors.ts";

/** The schema text parsed; INVALID_SCHEMA when it is not Avro. */
export function parseSchema(text: string): ParsedAvro {
  const result = parseAvro(text);
  if (!result.ok) throw confluentError("INVALID_SCHEMA", `Invalid schema: ${result.error}`);
  return result.value;
}

/** BAD_REQUEST for a subject name Postgres cannot store, before anything is written under it. */
export function checkWritable(subject: string): void {
  if (!isStorableText(subject)) {
    throw confluentError("BAD_REQUEST", "a subject name must be valid Unicode text without NUL characters", { subject });
  }
}

export function subjectNotFound(subject: string) {
  return confluentError("SUBJECT_NOT_FOUND", `Subject '${subject}' not found.`, { subject });
}

export function versionNotFound(subject: string, version: number) {
  return confluentError("VERSION_NOT_FOUND", `Version ${version} not found.`, { subject, version });
}

export function schemaNotFound(subject: string) {
  return confluentError("SCHEMA_NOT_FOUND", `Schema not found in subject '${subject}'.`, { subject });
}
