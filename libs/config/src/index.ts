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
