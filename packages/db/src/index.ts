export {
  type Account,
  type AccountChanges,
  type ApiToken,
  acceptApiToken,
  authenticateToken,
  createAccount,
  createApiToken,
  findAccount,
  findApiToken,
  listAccounts,
  listApiTokens,
  revokeAccountApiToken,
  revokeApiToken,
  type TokenWithAccount,
  updateAccount,
} from "./accounts";
export {
  acceptBatch,
  type Batch,
  findBatch,
  findSingleMessage,
  listBatches,
  listMessages,
  type Message,
  type MessageStatus,
  type NewBatch,
  type RawRecipient,
  type SingleMessage,
  stalledBatches,
} from "./batches";
export { closeDb, createDb, type Db } from "./client";
export { eventFanOut, isoTimestamp, recordEvents } from "./events";
export {
  bindIdempotencyResource,
  claimIdempotencyKey,
  completeIdempotencyKey,
  type IdempotencyClaim,
  type IdempotencyRecord,
  purgeExpiredIdempotencyKeys,
  releaseIdempotencyKey,
} from "./idempotency";
export { findInstallation } from "./installation";
export { addToList, listNumbers, type NumberList, removeFromList } from "./lists";
export * from "./pipeline";
export { type InboundMessage, listReplies, type Reply, receiveInbound } from "./replies";
export { redactUrl } from "./server";
export { createSql, inTransaction, type Sql, type SqlClient } from "./sql";
export {
  type AttemptVerdict,
  createWebhook,
  deleteWebhook,
  type EventForDelivery,
  enableWebhook,
  failWebhookEvent,
  findWebhook,
  listWebhookAttempts,
  listWebhooks,
  loadEventForDelivery,
  overdueWebhookEvents,
  purgeSettledWebhookEvents,
  recordWebhookAttempt,
  resealWebhookSecrets,
  type Webhook,
  type WebhookAttempt,
} from "./webhooks";
