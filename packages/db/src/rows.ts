// The rows the store reads, as TypeScript sees them. prisma/schema.prisma is the
// source of truth for the tables; these types name the columns repositories
// read, and test/rows.test.ts fails when a table gains or loses a column that
// its type does not follow.
import {
  BATCH_COUNTER_NAMES,
  type BatchCounter,
  type BatchStatus,
  type ImportDelimiter,
  type ImportStatus,
  type MessageStatus,
  type ModerationOverrides,
  type ModerationReason,
  type SenderState,
  type SendingWeek,
} from "@salvo/core";

export interface Account {
  id: string;
  name: string;
  /** Prepaid balance, in credits (1 credit = 1 SMS segment). */
  credits: number;
  /** API requests per second allowed for this account. */
  apiRateLimit: number;
  /** Messages per second handed to providers for this account; null = unlimited. */
  sendRateLimit: number | null;
  /** ISO 3166 alpha-2 country used to read national-format numbers. */
  defaultCountry: string;
  floodMaxPerHour: number;
  floodMaxSameBodyPerHour: number;
  /** Balance alerts: thresholds, distinct, highest first (see balance.ts). */
  balanceAlerts: number[];
  /** Balance alerts are also e-mailed, to `balanceAlertEmail`. */
  balanceAlertByEmail: boolean;
  balanceAlertEmail: string | null;
  /** Balance alerts are also sent by SMS, to `balanceAlertPhone` (E.164). */
  balanceAlertBySms: boolean;
  balanceAlertPhone: string | null;
  /** Only approved senders may send; null: the install's default (REQUIRE_REGISTERED_SENDER). */
  requireRegisteredSender: boolean | null;
  /** IANA time zone of its sending hours; null: its parent's, then Europe/Paris. */
  timezone: string | null;
  /** Its own weekly windows and holidays for marketing sends; null: its parent's, then France's. */
  sendingHours: SendingWeek | null;
  /** Appended to marketing bodies; "": none; null: its parent's, then the install's. */
  optOutMention: string | null;
  /** Moderation rules of its own; a rule not set inherits the parent's, then the install's. */
  moderation: ModerationOverrides | null;
  /** The account that owns this one (a sub-account); null for a top-level account. */
  parentId: string | null;
  /** Countries it may send to, as set on it; null: its parent's, else its default country (see countries.ts). */
  allowedCountries: string[] | null;
  /** Most messages a UTC month per country, as set on it; null: its parent's, else none. */
  countryLimits: Record<string, number> | null;
  /** Days its batches' tracked links keep redirecting (then 410). */
  linkRetentionDays: number;
  /** Data retention set on it ("<n>d", "<n>m", "<n>y" or "0": kept); null: its parent's, then kept (see @salvo/core retention.ts). */
  messageRetention: string | null;
  campaignRetention: string | null;
  listRetention: string | null;
  /** Stored and shown only: Salvo has no surveys. */
  surveyRetention: string | null;
  createdAt: Date;
  updatedAt: Date;
}

export const ACCOUNT_COLUMNS = {
  id: "id",
  name: "name",
  credits: "credits",
  apiRateLimit: "api_rate_limit",
  sendRateLimit: "send_rate_limit",
  defaultCountry: "default_country",
  floodMaxPerHour: "flood_max_per_hour",
  floodMaxSameBodyPerHour: "flood_max_same_body_per_hour",
  balanceAlerts: "balance_alerts",
  balanceAlertByEmail: "balance_alert_by_email",
  balanceAlertEmail: "balance_alert_email",
  balanceAlertBySms: "balance_alert_by_sms",
  balanceAlertPhone: "balance_alert_phone",
  requireRegisteredSender: "require_registered_sender",
  timezone: "timezone",
  sendingHours: "sending_hours",
  optOutMention: "opt_out_mention",
  moderation: "moderation",
  parentId: "parent_id",
  allowedCountries: "allowed_countries",
  countryLimits: "country_limits",
  linkRetentionDays: "link_retention_days",
  messageRetention: "message_retention",
  campaignRetention: "campaign_retention",
  listRetention: "list_retention",
  surveyRetention: "survey_retention",
  createdAt: "created_at",
  updatedAt: "updated_at",
} as const satisfies Record<keyof Account, string>;

export interface ApiToken {
  id: string;
  accountId: string;
  label: string;
  /** SHA-256 of the token's secret, hex; the secret itself is never stored. */
  secretHash: string;
  createdAt: Date;
  lastUsedAt: Date | null;
  revokedAt: Date | null;
  /** From then on the token authenticates nothing; null: it never expires. */
  expiresAt: Date | null;
  /** The addresses and CIDR ranges it may be used from (canonical forms); null: any. */
  allowedIps: string[] | null;
  /** Its number for SMSFactor clients (bigint, as node-postgres reads it: a decimal string). */
  numericId: string;
}

export const API_TOKEN_COLUMNS = {
  id: "id",
  accountId: "account_id",
  label: "label",
  secretHash: "secret_hash",
  createdAt: "created_at",
  lastUsedAt: "last_used_at",
  revokedAt: "revoked_at",
  expiresAt: "expires_at",
  allowedIps: "allowed_ips",
  numericId: "numeric_id",
} as const satisfies Record<keyof ApiToken, string>;

/** An operator's token for the admin routes; like an ApiToken, of no account. */
export interface AdminToken {
  id: string;
  label: string;
  /** SHA-256 of the token's secret, hex; the secret itself is never stored. */
  secretHash: string;
  createdAt: Date;
  lastUsedAt: Date | null;
  revokedAt: Date | null;
}

export const ADMIN_TOKEN_COLUMNS = {
  id: "id",
  label: "label",
  secretHash: "secret_hash",
  createdAt: "created_at",
  lastUsedAt: "last_used_at",
  revokedAt: "revoked_at",
} as const satisfies Record<keyof AdminToken, string>;

export type BatchType = "transactional" | "marketing";
export type { BatchStatus };

export type Batch = {
  id: string;
  accountId: string;
  type: BatchType;
  sender: string;
  body: string;
  /** Country used to read national-format numbers; null = the account's default. */
  country: string | null;
  /** Segments per message: the cost of one message. */
  segments: number;
  /** The client's name or label for it; null = none. */
  name: string | null;
  status: BatchStatus;
  chunkCount: number;
  /** Credits taken from the account when the batch was accepted (segments × total). */
  reserved: number;
  /** Credits actually spent (segments of messages handed off). */
  cost: number;
  single: boolean;
  shortenUrls: boolean;
  createdAt: Date;
  updatedAt: Date;
  completedAt: Date | null;
  /** When a scheduled batch starts; null = as soon as accepted. */
  sendAt: Date | null;
  /** The rules that held it for moderation; null when it never was. */
  moderationReasons: ModerationReason[] | null;
  /** The operator's reason, when it was rejected. */
  rejectionReason: string | null;
  /** When an operator approved or rejected it. */
  moderatedAt: Date | null;
  /** Its tracked links' first id (bigint, as node-postgres reads it: a decimal string); null without links. */
  linkBase: string | null;
  /** Where its links lead, slot by slot; null without links. */
  linkUrls: string[] | null;
  /** What its links start with, e.g. `https://s.example/`. */
  linkPrefix: string | null;
  /** When its links stop redirecting. */
  linksExpireAt: Date | null;
  /** The ids of the contact lists it was sent to, as given (their contacts were copied at acceptance). */
  contactLists: string[];
  /** When the account's message retention deleted its messages (its counters stay); null: not yet. */
  messagesPurgedAt: Date | null;
} & Record<BatchCounter, number>;

export const BATCH_COLUMNS = {
  id: "id",
  accountId: "account_id",
  type: "type",
  sender: "sender",
  body: "body",
  country: "country",
  segments: "segments",
  name: "name",
  status: "status",
  // A counter's name is its column and its field.
  ...(Object.fromEntries(BATCH_COUNTER_NAMES.map((name) => [name, name])) as Record<BatchCounter, string>),
  chunkCount: "chunk_count",
  reserved: "reserved",
  cost: "cost",
  single: "single",
  shortenUrls: "shorten_urls",
  createdAt: "created_at",
  updatedAt: "updated_at",
  completedAt: "completed_at",
  sendAt: "send_at",
  moderationReasons: "moderation_reasons",
  rejectionReason: "rejection_reason",
  moderatedAt: "moderated_at",
  linkBase: "link_base",
  linkUrls: "link_urls",
  linkPrefix: "link_prefix",
  linksExpireAt: "links_expire_at",
  contactLists: "contact_lists",
  messagesPurgedAt: "messages_purged_at",
} as const satisfies Record<keyof Batch, string>;

export type { MessageStatus };

export interface Message {
  batchId: string;
  /** The recipient's position in its batch. */
  idx: number;
  accountId: string;
  /** E.164 when valid; otherwise the number as received. */
  to: string;
  ref: string | null;
  status: MessageStatus;
  reason: string | null;
  segments: number;
  /** Credits spent: segments when handed off, else 0. */
  cost: number;
  createdAt: Date;
  sentAt: Date | null;
  /** When the delivery report arrived. */
  doneAt: Date | null;
  /** The provider's own status or error code from its delivery report. */
  providerCode: string | null;
}

export const MESSAGE_COLUMNS = {
  batchId: "batch_id",
  idx: "idx",
  accountId: "account_id",
  to: '"to"',
  ref: "ref",
  status: "status",
  reason: "reason",
  segments: "segments",
  cost: "cost",
  createdAt: "created_at",
  sentAt: "sent_at",
  doneAt: "done_at",
  providerCode: "provider_code",
} as const satisfies Record<keyof Message, string>;

/** A sender id an account asked to register, and what an operator decided. */
export interface Sender {
  id: string;
  accountId: string;
  sender: string;
  state: SenderState;
  /** Why an operator refused it; null otherwise. */
  reason: string | null;
  createdAt: Date;
  decidedAt: Date | null;
}

export const SENDER_COLUMNS = {
  id: "id",
  accountId: "account_id",
  sender: "sender",
  state: "state",
  reason: "reason",
  createdAt: "created_at",
  decidedAt: "decided_at",
} as const satisfies Record<keyof Sender, string>;

/** A contact list: its contacts are rows of `contacts`, counted in `contactCount`. */
export interface ContactList {
  id: string;
  accountId: string;
  name: string;
  /** ISO 3166 alpha-2: how national-format numbers added to it are read. */
  country: string;
  contactCount: number;
  createdAt: Date;
  updatedAt: Date;
}

export const CONTACT_LIST_COLUMNS = {
  id: "id",
  accountId: "account_id",
  name: "name",
  country: "country",
  contactCount: "contact_count",
  createdAt: "created_at",
  updatedAt: "updated_at",
} as const satisfies Record<keyof ContactList, string>;

/** A contact of a list: its number (E.164) and named fields. */
export interface Contact {
  listId: string;
  number: string;
  fields: Record<string, string>;
  createdAt: Date;
  updatedAt: Date;
}

export const CONTACT_COLUMNS = {
  listId: "list_id",
  number: "number",
  fields: "fields",
  createdAt: "created_at",
  updatedAt: "updated_at",
} as const satisfies Record<keyof Contact, string>;

/** A row of a file that was not imported: its position (the header is row 1), its number as written, why. */
export interface InvalidImportRow {
  row: number;
  number: string;
  reason: string;
  message: string;
}

/** A CSV file imported into a contact list (see prisma/schema.prisma, ContactImport). */
export interface ContactImport {
  id: string;
  accountId: string;
  listId: string;
  status: ImportStatus;
  delimiter: ImportDelimiter;
  numberColumn: number;
  columns: (string | null)[];
  sizeBytes: number;
  rowsRead: number;
  added: number;
  updated: number;
  invalid: number;
  invalidRows: InvalidImportRow[];
  duplicates: number;
  failure: string | null;
  createdAt: Date;
  updatedAt: Date;
  startedAt: Date | null;
  finishedAt: Date | null;
}

export const CONTACT_IMPORT_COLUMNS = {
  id: "id",
  accountId: "account_id",
  listId: "list_id",
  status: "status",
  delimiter: "delimiter",
  numberColumn: "number_column",
  columns: "columns",
  sizeBytes: "size_bytes",
  rowsRead: "rows_read",
  added: "added",
  updated: "updated",
  invalid: "invalid",
  invalidRows: "invalid_rows",
  duplicates: "duplicates",
  failure: "failure",
  createdAt: "created_at",
  updatedAt: "updated_at",
  startedAt: "started_at",
  finishedAt: "finished_at",
} as const satisfies Record<keyof ContactImport, string>;
