export { BATCH_CHANGES_INTERVAL_MS, BatchChanges, batchChangesChannel } from "./batch-changes";
export {
  CATALOG,
  type CatalogSettings,
  deliveryReportsJob,
  enqueueBatch,
  enqueueClicks,
  enqueueDeliveryReports,
  enqueueImport,
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
export {
  type ConnectorState,
  type PublishedConnectorState,
  publishConnectorStates,
  readConnectorStates,
} from "./connector-states";
export { hashTag, redisKey, workersKey } from "./keys";
export { lookupLinkRange, type PublishedLinkRange, pruneLinkRanges, publishLinkRange } from "./link-ranges";
export { luaScript, runScript } from "./lua";
export { claimRedisPrefix, PREFIX_CLAIM_TTL_MS, PrefixTakenError } from "./prefix-claim";
export { closeRedis, createRedis, type RedisClient } from "./redis";
export { type OpenQueueStats, openQueueStats, type QueueStats } from "./stats";
export { countLiveWorkers } from "./workers";
