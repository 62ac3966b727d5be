// packages/db: the store (repositories over one PostgreSQL pool), the rows it
// reads, and the database's setup (migrations, the server). See store.ts.
export type { AccountChanges, SendingSettings } from "./accounts";
export type { BalanceAlertChannels } from "./balance";
export type { ClaimedBalanceAlert } from "./balance-notices";
export type { BatchFilter, NewBatch, RawRecipient, SingleMessage } from "./batches";
export type { Campaign, CampaignReply, CampaignSearch } from "./campaigns";
export { type ImportSlice, StaleImportCheckpointError } from "./contact-imports";
export type { CountrySettings } from "./countries";
export type { BatchNpaiEntry, ExportedMessage } from "./history";
export type { IdempotencyClaim, IdempotencyRecord } from "./idempotency";
export type { InboundMessage } from "./inbound";
export type { NumberKnowledge } from "./lookups";
export type { HeldBatch } from "./moderation";
export type { NumberList } from "./number-lists";
export type { BatchForWork, HandoffOutcome, JudgedMessage, StoredChunk, StoredReport } from "./pipeline";
export type { AccountRetention, PurgeSlice } from "./retention";
export type {
  Account,
  AdminToken,
  ApiToken,
  Batch,
  BatchStatus,
  BatchType,
  Contact,
  ContactImport,
  ContactList,
  InvalidImportRow,
  Message,
  MessageStatus,
  Sender,
} from "./rows";
export { redactUrl } from "./server";
export type { Statement, StatementLine } from "./statements";
export { createStore, type Repositories, type Store, type StoreOptions } from "./store";
export type { SubAccount } from "./subaccounts";
export type { Revoker, TokenWithAccount } from "./tokens";
export type { UsageBucket } from "./usage";
export type { AttemptVerdict, EventForDelivery, Webhook, WebhookAttempt } from "./webhooks";
