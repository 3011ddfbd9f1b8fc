/**
 * @schematizer/registry — the schema registry: apps and their write keys, every table's
 * contiguous schema history under optimistic concurrency, lineage, and the Confluent Schema
 * Registry REST API as a fastify plugin. All of it in one Postgres schema. `openRegistry` opens
 * all of it (and migrates); `openAppKeyStore` only checks write keys, read-only.
 */
export { openRegistry } from "./registry.ts";
export type { Registry, RegistryOptions } from "./registry.ts";
export { DEFAULT_REGISTRY_SCHEMA } from "./database.ts";

export { openAppKeyStore } from "./app-key-store.ts";
export type { AppKeyStore, AppKeyStoreOptions, AuthOutcome, KeyVerdict } from "./app-key-store.ts";
export type { AppInfo, AppStore } from "./app-store.ts";
export { MAX_ALLOWED_ORIGINS, canonicalOrigin, isOriginAllowed, resolveAllowedOrigins } from "./app-origins.ts";
export { DEFAULT_APP_SETTINGS, resolveAppSettings } from "./app-settings.ts";
export type { AppSettings } from "./app-settings.ts";
export { KEY_PREFIX, generateKey, hashKey, keyMatches } from "./app-keys.ts";

export { DEFAULT_EVOLVE_RETRY } from "./evolve.ts";
export type { EvolveResult, EvolveRetryOptions, EvolveStats } from "./evolve.ts";
export type { SchemaVersion, TableInfo } from "./table-versions.ts";

export { buildLineage, describeDiff } from "./lineage.ts";
export type { Lineage, LineageEntry } from "./lineage.ts";

export { tableSubject, isTableSubjectName } from "./subject-naming.ts";
export type { SubjectStore, SubjectVersion, VersionSelector } from "./subject-store.ts";
export { confluentApi, SCHEMA_REGISTRY_CONTENT_TYPE } from "./confluent-api.ts";
export type { ConfluentApiOptions } from "./confluent-api.ts";
export { CONFLUENT_ERRORS, toConfluentError } from "./confluent-errors.ts";
export type { ConfluentErrorBody, ConfluentErrorCode } from "./confluent-errors.ts";
export { COMPATIBILITY_LEVELS, DEFAULT_COMPATIBILITY } from "./avro-compatibility.ts";
export type { CompatibilityLevel } from "./avro-compatibility.ts";

export { migrateRegistry, registryMigrations, SCHEMA_NAME_PATTERN } from "./migrations.ts";
export { REGISTRY_ERRORS, isConflict } from "./registry-errors.ts";
export type { RegistryErrorCode } from "./registry-errors.ts";
