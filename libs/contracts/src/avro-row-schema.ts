/**
 * The Avro schema of a table's schema version: what the registry serves under the version's id,
 * and what any consumer of `sql.<app>` decodes a row with.
 *
 * Body fields are nullable unions with a null default. Timestamps are `long` timestamp-micros,
 * dates `int` date; decimal columns are `bytes` with the decimal logical type (precision 38,
 * scale 0). The registry stores this text and its fingerprint: a change here is a new schema.
 */
import { bodyPath, DECIMAL_DIGITS, isSystemName, NOT_NULL_SYSTEM_COLUMNS, type Column, type TableSchema } from "@schematizer/schema";

/** An Avro schema as JSON. */
export type AvroSchema = string | { readonly [key: string]: AvroSchemaJson } | readonly AvroSchema[];
type AvroSchemaJson = string | number | boolean | null | readonly AvroSchemaJson[] | { readonly [key: string]: AvroSchemaJson };

/** Namespace of every record schema. */
export const AVRO_NAMESPACE = "schematizer";

const TIMESTAMP_MICROS = { type: "long", logicalType: "timestamp-micros" } as const;
const DATE = { type: "int", logicalType: "date" } as const;
const DECIMAL = { type: "bytes", logicalType: "decimal", precision: DECIMAL_DIGITS, scale: 0 } as const;

function fieldType(column: Column): AvroSchema {
  switch (column.type) {
    case "boolean":
      return "boolean";
    case "bigint":
      return "long";
    case "double":
      return "double";
    case "decimal":
      return DECIMAL;
    case "varchar":
    case "json":
      return "string";
    case "timestamptz":
      return TIMESTAMP_MICROS;
    case "date":
      return DATE;
  }
}

/**
 * The Avro record schema of a version: a record named after the table, one field per column in
 * column order; the documentation of a body field lists its source paths.
 *
 * @example
 * ```ts
 * avroSchema(v1);
 * // { type: "record", name: "_e_user__pass_mission", namespace: "schematizer", fields: [
 * //   { name: "_sz_id", type: "string" }, …,
 * //   { name: "level", type: ["null", "long"], default: null, doc: "$.body.level" } ] }
 * ```
 */
export function avroSchema(schema: TableSchema): AvroSchema {
  const fields = schema.columns.map((column) => {
    const type = fieldType(column);
    if (NOT_NULL_SYSTEM_COLUMNS.has(column.name)) return { name: column.name, type };
    const field: Record<string, AvroSchemaJson> = { name: column.name, type: ["null", type], default: null };
    if (!isSystemName(column.name)) field.doc = column.sources.map(bodyPath).join(", ");
    return field;
  });
  return { type: "record", name: schema.table, namespace: AVRO_NAMESPACE, fields };
}
