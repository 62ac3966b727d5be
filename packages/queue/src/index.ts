export { type AntiFloodInput, applyAntiFlood, type FloodRecipient, type FloodRule } from "./anti-flood";
export {
  CATALOG,
  type CatalogSettings,
  deliveryReportsJob,
  enqueueWebhookEvents,
  expandBatchJob,
  JOB_LOCK_MS,
  type OpenQueue,
  openQueue,
  type Payload,
  type Processors,
  QUEUES,
  type ScheduledJobName,
  sendChunkJob,
  startConsumers,
  webhookEventJob,
} from "./catalog";
export { redisKey, workersKey } from "./keys";
export { claimRedisPrefix, PREFIX_CLAIM_TTL_MS, PrefixTakenError } from "./prefix-claim";
export { closeRedis, createRedis, type RedisClient } from "./redis";
export { type SendLimit, waitForSendSlots } from "./send-limiter";
export { countLiveWorkers } from "./workers";
