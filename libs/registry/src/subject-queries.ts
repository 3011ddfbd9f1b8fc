/**
 * The subject store's reads that run on the database or inside its registering transaction
 * alike: a plain subject's versions with their schemas, and a subject's compatibility level.
 */
import type { Kysely } from "kysely";
import { asCompatibilityLevel, type CompatibilityLevel } from "./avro-compatibility.ts";
import type { RegistryDatabase } from "./database.ts";

/** A plain subject's versions in order, each with its schema's id, text and fingerprint. */
export async function plainVersions(db: Kysely<RegistryDatabase>, subject: string) {
  return db
    .selectFrom("subject_versions")
    .innerJoin("plain_schemas", "plain_schemas.id", "subject_versions.schema_id")
    .select(["subject_versions.version", "subject_versions.schema_id", "plain_schemas.avro", "plain_schemas.avro_fingerprint"])
    .where("subject_versions.subject", "=", subject)
    .orderBy("subject_versions.version")
    .execute();
}

/** The level stored for a subject (the registry's under its own key), if any. */
export async function levelOf(db: Kysely<RegistryDatabase>, subject: string): Promise<CompatibilityLevel | undefined> {
  const row = await db.selectFrom("compatibility").select("level").where("subject", "=", subject).executeTakeFirst();
  return row === undefined ? undefined : asCompatibilityLevel(row.level);
}
