export { ConfigError, parseEnv } from "./parse-env.ts";
export {
  eventLimits,
  eventLimitsEnv,
  MAX_EVENT_BYTES_CEILING,
  maxRowBytes,
  RECORD_OVERHEAD_BYTES,
  topicMessageBytes,
  type TopicMessageBytes,
} from "./event-limits.ts";
export { kafkaClientEnv, kafkaEnv, LOG_LEVELS, logEnv, registryEnv, s3Env, s3Settings, type S3Settings } from "./shared-env.ts";
