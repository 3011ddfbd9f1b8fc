/**
 * Avro schema text as the Confluent API receives it: validation, and a canonical form by which
 * two spellings of one schema are recognised as the same.
 *
 * The canonical form is JSON with object keys sorted and no whitespace, names fully qualified
 * (`namespace` folded into `name`) and `{"type":"int"}` written as `"int"`. It keeps
 * everything else, documentation and defaults included, as Confluent does when it compares
 * schemas for lookup and registration. Its SHA-256 is stored, so this form must never change.
 */
import { createHash } from "node:crypto";
import avsc from "avsc";

const PRIMITIVES = new Set(["null", "boolean", "int", "long", "float", "double", "bytes", "string"]);
const NAMED = new Set(["record", "error", "enum", "fixed"]);
const COMPLEX = new Set([...NAMED, "array", "map"]);

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/** A schema the registry accepted: the parsed JSON, its canonical text, and that text's hash. */
export interface ParsedAvro {
  readonly json: Json;
  readonly canonical: string;
  readonly fingerprint: string;
  readonly type: avsc.Type;
}

/**
 * Parses and validates Avro schema text; the error message says what is wrong.
 *
 * @example
 * ```ts
 * parseAvro('{"type":"record","name":"r","fields":[]}'); // { ok: true, value: { canonical, fingerprint, … } }
 * parseAvro('{"type":"record"}');                        // { ok: false, error: "…" }
 * ```
 */
export function parseAvro(text: string): { ok: true; value: ParsedAvro } | { ok: false; error: string } {
  let json: Json;
  try {
    json = JSON.parse(text) as Json;
  } catch (error) {
    return { ok: false, error: `the schema is not JSON: ${(error as Error).message}` };
  }
  let type: avsc.Type;
  try {
    // Logical types are left as annotations: they never change how a schema resolves against another.
    type = avsc.Type.forSchema(json as avsc.Schema, { wrapUnions: true });
  } catch (error) {
    return { ok: false, error: `the schema is not valid Avro: ${(error as Error).message}` };
  }
  const canonical = canonicalAvro(json);
  return { ok: true, value: { json, canonical, fingerprint: fingerprintOf(canonical), type } };
}

/**
 * The canonical text of an Avro schema given as JSON (see the module comment).
 *
 * @example
 * ```ts
 * canonicalAvro({ type: "record", name: "r", namespace: "n", fields: [{ name: "a", type: { type: "int" } }] });
 * // '{"fields":[{"name":"a","type":"int"}],"name":"n.r","type":"record"}'
 * ```
 */
export function canonicalAvro(schema: unknown): string {
  return sortedJson(normalize(schema as Json, ""));
}

/**
 * The SHA-256 (hex) of a canonical text, as stored for lookups.
 *
 * @example
 * ```ts
 * fingerprintOf(canonicalAvro("string")).length; // 64
 * ```
 */
export function fingerprintOf(canonical: string): string {
  return createHash("sha256").update(canonical, "utf8").digest("hex");
}

function normalize(node: Json, namespace: string): Json {
  if (typeof node === "string") return PRIMITIVES.has(node) ? node : qualify(node, namespace);
  if (Array.isArray(node)) return node.map((branch) => normalize(branch, namespace));
  if (node === null || typeof node !== "object") return node;
  const type = node.type;
  if (typeof type === "string" && PRIMITIVES.has(type) && Object.keys(node).length === 1) return type;
  const out: { [key: string]: Json } = {};
  let inner = namespace;
  if (typeof type === "string" && NAMED.has(type) && typeof node.name === "string") {
    const own = typeof node.namespace === "string" ? node.namespace : namespace;
    const full = node.name.includes(".") ? node.name : own === "" ? node.name : `${own}.${node.name}`;
    inner = full.includes(".") ? full.slice(0, full.lastIndexOf(".")) : "";
    out.name = full;
  }
  for (const [key, value] of Object.entries(node)) {
    if (key === "name" && out.name !== undefined) continue;
    if (key === "namespace" && out.name !== undefined) continue;
    if (key === "type") out.type = typeof value === "string" && COMPLEX.has(value) ? value : normalize(value, inner);
    else if (key === "fields" && Array.isArray(value)) out.fields = value.map((f) => normalizeField(f, inner));
    else if (key === "items" || key === "values") out[key] = normalize(value, inner);
    else out[key] = value;
  }
  return out;
}

function normalizeField(field: Json, namespace: string): Json {
  if (field === null || typeof field !== "object" || Array.isArray(field)) return field;
  const out: { [key: string]: Json } = {};
  for (const [key, value] of Object.entries(field)) out[key] = key === "type" ? normalize(value, namespace) : value;
  return out;
}

function qualify(name: string, namespace: string): string {
  return name.includes(".") || namespace === "" ? name : `${namespace}.${name}`;
}

function sortedJson(value: Json): string {
  if (value === null || typeof value !== "object") return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map(sortedJson).join(",")}]`;
  const keys = Object.keys(value).sort();
  return `{${keys.map((k) => `${JSON.stringify(k)}:${sortedJson(value[k] as Json)}`).join(",")}}`;
}
