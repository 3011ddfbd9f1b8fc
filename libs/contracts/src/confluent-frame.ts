/**
 * The Confluent wire frame around every row on `sql.<app>`: a magic byte 0, the registry's schema
 * id as 4 bytes big-endian, then the Avro payload. Any Confluent-aware consumer reads it: the id
 * names the schema to fetch from the registry's API.
 */

/** Bytes before the payload: the magic byte and the schema id. */
export const FRAME_HEADER_BYTES = 5;

const MAGIC = 0;

/**
 * Writes the frame's header at the start of `out`, which holds the payload from
 * {@link FRAME_HEADER_BYTES} on.
 *
 * @example
 * ```ts
 * writeFrameHeader(out, 42); // out[0] === 0, out.readUInt32BE(1) === 42
 * ```
 */
export function writeFrameHeader(out: Buffer, schemaId: number): void {
  out[0] = MAGIC;
  out.writeUInt32BE(schemaId, 1);
}

/**
 * Splits a Confluent-framed message into its schema id and Avro payload, or `undefined` when
 * the magic byte is missing.
 *
 * @example
 * ```ts
 * confluentFrame(message); // { schemaId: 42, payload: <Buffer …> }
 * ```
 */
export function confluentFrame(message: Uint8Array): { schemaId: number; payload: Uint8Array } | undefined {
  if (message.length < FRAME_HEADER_BYTES || message[0] !== MAGIC) return undefined;
  const view = new DataView(message.buffer, message.byteOffset, message.byteLength);
  return { schemaId: view.getUint32(1), payload: message.subarray(FRAME_HEADER_BYTES) };
}
