import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateBucketCommand,
  CreateMultipartUploadCommand,
  DeleteBucketCommand,
  DeleteObjectsCommand,
  GetObjectCommand,
  HeadBucketCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
  UploadPartCommand,
  type CompletedPart,
  type S3ClientConfig,
} from "@aws-sdk/client-s3";
import { Readable } from "node:stream";
import type { ObjectInfo, ObjectStore, PutOptions } from "./object-store.ts";

export interface S3Config {
  /** e.g. http://127.0.0.1:9090 for a local server; omit for AWS. */
  endpoint?: string;
  region: string;
  accessKeyId?: string;
  secretAccessKey?: string;
}

/**
 * An S3 client for AWS or any S3-protocol server. Path-style addressing is used whenever an
 * endpoint is given, because local servers and MinIO do not resolve bucket subdomains.
 */
export function s3Client(config: S3Config): S3Client {
  const options: S3ClientConfig = { region: config.region };
  if (config.endpoint) {
    options.endpoint = config.endpoint;
    options.forcePathStyle = true;
  }
  if (config.accessKeyId && config.secretAccessKey) {
    options.credentials = { accessKeyId: config.accessKeyId, secretAccessKey: config.secretAccessKey };
  }
  return new S3Client(options);
}

/**
 * An ObjectStore over one bucket.
 *
 * @example
 * const store = s3ObjectStore(s3Client({ endpoint: "http://127.0.0.1:9090", region: "us-east-1" }), "loads");
 * await store.put("a/b.csv.gz", gzipped, { contentEncoding: "gzip" });
 */
export function s3ObjectStore(client: S3Client, bucket: string): ObjectStore {
  const store: ObjectStore = {
    bucket,
    put: (key, body, options = {}) => putObject(client, bucket, key, body, options),
    async getStream(key) {
      try {
        const out = await client.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
        return out.Body as Readable;
      } catch (error) {
        if (isNotFound(error)) return undefined;
        throw error;
      }
    },
    async get(key) {
      const stream = await store.getStream(key);
      if (!stream) return undefined;
      const chunks: Buffer[] = [];
      for await (const chunk of stream) chunks.push(chunk as Buffer);
      return Buffer.concat(chunks);
    },
    async head(key) {
      try {
        const out = await client.send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
        return { key, size: out.ContentLength ?? 0, metadata: out.Metadata ?? {} };
      } catch (error) {
        if (isNotFound(error)) return undefined;
        throw error;
      }
    },
    async list(prefix) {
      const found: ObjectInfo[] = [];
      let token: string | undefined;
      do {
        const page = await client.send(
          new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ContinuationToken: token }),
        );
        for (const o of page.Contents ?? []) if (o.Key) found.push({ key: o.Key, size: o.Size ?? 0 });
        token = page.IsTruncated ? page.NextContinuationToken : undefined;
      } while (token);
      return found;
    },
    async delete(keys) {
      for (let i = 0; i < keys.length; i += 1000) {
        const chunk = keys.slice(i, i + 1000);
        await client.send(
          new DeleteObjectsCommand({ Bucket: bucket, Delete: { Objects: chunk.map((Key) => ({ Key })), Quiet: true } }),
        );
      }
    },
  };
  return store;
}

const MIN_PART_BYTES = 5 * 1024 * 1024;

/**
 * A buffer or string goes up in one PutObject; a stream goes up in parts of `partSizeBytes`,
 * one part in memory at a time, or in one PutObject when it turns out smaller than a part.
 * The multipart upload is aborted on failure so no orphaned parts are left to pay for.
 *
 * Parts are uploaded here rather than with @aws-sdk/lib-storage: lib-storage creates the upload
 * with a CRC32 checksum type and then needs each part's checksum echoed back, which S3Mock does
 * not do for checksums sent as headers. The SDK still checksums every part it sends.
 */
async function putObject(
  client: S3Client,
  bucket: string,
  key: string,
  body: Buffer | string | Readable,
  options: PutOptions,
): Promise<void> {
  const params = {
    Bucket: bucket,
    Key: key,
    ContentType: options.contentType,
    ContentEncoding: options.contentEncoding,
    Metadata: options.metadata,
  };
  if (!(body instanceof Readable)) {
    await client.send(new PutObjectCommand({ ...params, Body: body }));
    return;
  }
  const partSize = Math.max(MIN_PART_BYTES, options.partSizeBytes ?? 8 * 1024 * 1024);
  const parts: CompletedPart[] = [];
  let uploadId: string | undefined;
  let pending: Buffer[] = [];
  let pendingBytes = 0;

  const uploadPart = async (part: Buffer) => {
    uploadId ??= (await client.send(new CreateMultipartUploadCommand(params))).UploadId;
    const PartNumber = parts.length + 1;
    const out = await client.send(new UploadPartCommand({ Bucket: bucket, Key: key, UploadId: uploadId, PartNumber, Body: part }));
    parts.push({ PartNumber, ETag: out.ETag });
  };

  try {
    for await (const chunk of body) {
      const bytes = typeof chunk === "string" ? Buffer.from(chunk) : (chunk as Buffer);
      pending.push(bytes);
      pendingBytes += bytes.length;
      if (pendingBytes >= partSize) {
        const whole = Buffer.concat(pending, pendingBytes);
        await uploadPart(whole.subarray(0, partSize));
        pending = [whole.subarray(partSize)];
        pendingBytes = whole.length - partSize;
      }
    }
    const rest = Buffer.concat(pending, pendingBytes);
    if (uploadId === undefined) {
      await client.send(new PutObjectCommand({ ...params, Body: rest }));
      return;
    }
    if (rest.length > 0) await uploadPart(rest);
    await client.send(
      new CompleteMultipartUploadCommand({ Bucket: bucket, Key: key, UploadId: uploadId, MultipartUpload: { Parts: parts } }),
    );
  } catch (error) {
    if (uploadId !== undefined) {
      await client.send(new AbortMultipartUploadCommand({ Bucket: bucket, Key: key, UploadId: uploadId })).catch(() => undefined);
    }
    throw error;
  }
}

/** Creates the bucket unless it exists. */
export async function ensureBucket(client: S3Client, bucket: string): Promise<void> {
  try {
    await client.send(new HeadBucketCommand({ Bucket: bucket }));
  } catch (error) {
    if (!isNotFound(error)) throw error;
    await client.send(new CreateBucketCommand({ Bucket: bucket }));
  }
}

/** Deletes every object of the bucket, then the bucket. */
export async function dropBucket(client: S3Client, bucket: string): Promise<void> {
  const store = s3ObjectStore(client, bucket);
  await store.delete((await store.list("")).map((o) => o.key));
  await client.send(new DeleteBucketCommand({ Bucket: bucket }));
}

function isNotFound(error: unknown): boolean {
  const e = error as { name?: string; $metadata?: { httpStatusCode?: number } };
  return e?.name === "NoSuchKey" || e?.name === "NotFound" || e?.name === "NoSuchBucket" || e?.$metadata?.httpStatusCode === 404;
}
