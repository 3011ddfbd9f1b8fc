import type { Readable } from "node:stream";

/** The project's own object-store interface (S3 semantics); apps never see the SDK's types. */
export interface ObjectStore {
  readonly bucket: string;
  /** Writes a whole object; large or streamed bodies go up in parts. */
  put(key: string, body: Buffer | string | Readable, options?: PutOptions): Promise<void>;
  /** The object's bytes as a stream, or undefined when there is no such key. */
  getStream(key: string): Promise<Readable | undefined>;
  /** The whole object, or undefined when there is no such key. */
  get(key: string): Promise<Buffer | undefined>;
  head(key: string): Promise<ObjectInfo | undefined>;
  /** Every key under the prefix, in lexicographic order (follows continuation tokens). */
  list(prefix: string): Promise<ObjectInfo[]>;
  delete(keys: string[]): Promise<void>;
}

export interface PutOptions {
  contentType?: string;
  contentEncoding?: string;
  /** User metadata, stored as x-amz-meta-* (ASCII values). */
  metadata?: Record<string, string>;
  /** Part size for multipart uploads, at least 5 MiB (S3's minimum). */
  partSizeBytes?: number;
}

export interface ObjectInfo {
  key: string;
  size: number;
  metadata?: Record<string, string>;
}
