export type { ObjectInfo, ObjectStore, PutOptions } from "./object-store.ts";
export { dropBucket, ensureBucket, s3Client, s3ObjectStore, type S3Config } from "./s3-object-store.ts";
