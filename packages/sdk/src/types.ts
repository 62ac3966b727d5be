// Wire types of Salvo's HTTP API, as a client receives them. Request types are
// derived from the API's own schemas, counters and statuses from core's tables
// (type-only imports: nothing of them ships).
import type {
  accountChanges,
  BATCH_TOTAL_PARTS,
  balanceAlerts,
  batchRejection,
  BatchCounter as CoreBatchCounter,
  BatchStatus as CoreBatchStatus,
  MessageStatus as CoreMessageStatus,
  ModerationReason as CoreModerationReason,
  SenderState as CoreSenderState,
  contactListChanges,
  creditTransfer,
  newAccount,
  newBatch,
  newContactList,
  newContacts,
  newGroupContact,
  newSender,
  newSms,
  newSubAccount,
  newToken,
  newWebhook,
  optOutMentionUpdate,
  retentionUpdate,
  senderRefusal,
  sendingHoursUpdate,
  subAccountCountries,
} from "@salvo/core";
import type { z } from "zod";

export interface ErrorBody {
  error: {
    code: string;
    description: string;
    field?: string;
    /** `OUTSIDE_SENDING_HOURS`: when the account's sending hours open next (RFC 3339, its time zone). */
    next_opening?: string;
  };
  /** `POST /v1/send` only: -1 authentication, -3 credits, -5 not found, -6 bad JSON, -7 data error, -99 other. */
  status?: number;
}

export interface Page<T> {
  data: T[];
  page: { count: number; number: number };
}

export interface AccountAttributes {
  name: string;
  credits: number;
  /** The account that owns this one (a sub-account), or null. */
  parent_id: string | null;
  default_country: string;
  limits: {
    api_requests_per_second: number;
    messages_per_second: number | null;
    anti_flood: { max_per_recipient_per_hour: number; max_same_body_per_recipient_per_hour: number };
  };
  /** Balance alert thresholds, highest first (see `GET /v1/account/balance-alerts`). */
  balance_alerts: number[];
  /** Sends only from approved senders (`SENDER_NOT_ALLOWED` otherwise). */
  require_registered_sender: boolean;
  /** Days its batches' tracked short links redirect, then 410 (set by an operator). */
  link_retention_days: number;
  created_at: string;
}

export interface AccountResource {
  data: {
    id: string;
    type: "accounts";
    attributes: AccountAttributes & {
      /** The countries in effect (see `GET /v1/account/countries` for where they come from and their usage). */
      countries: { allowed_countries: string[]; monthly_limits: Record<string, number> };
    };
  };
  links: { self: string };
}

/** Where a country setting in effect comes from: set on the account, its parent's, or the default. */
export type CountrySettingSource = "account" | "parent" | "default";

/** `GET /v1/account/countries`, `GET`/`PUT /v1/subaccounts/:id/countries`. */
export interface CountriesResource {
  data: {
    type: "countries";
    attributes: {
      /** Countries (ISO 3166 alpha-2) it may send to; other numbers end `not_allowed`. */
      allowed_countries: string[];
      /** `default`: its default country alone. */
      allowed_countries_from: CountrySettingSource;
      /** Most messages a UTC calendar month per country; past it `country_limit`. A country absent has no limit. */
      monthly_limits: Record<string, number>;
      /** `default`: no limits. */
      monthly_limits_from: CountrySettingSource;
      /** This month's usage of each limited country: messages handed off (or about to be), and what is left. */
      usage: {
        time_zone: "UTC";
        /** `YYYY-MM`. */
        month: string;
        sent: Record<string, number>;
        remaining: Record<string, number>;
      };
    };
  };
  links: { self: string };
}

/** The body of `PUT /v1/subaccounts/:id/countries`. */
export type SubAccountCountries = z.input<typeof subAccountCountries>;

/** `PUT /v1/account/balance-alerts` (see `balanceAlerts` in @salvo/core). */
export type BalanceAlerts = z.input<typeof balanceAlerts>;

/** The account's balance alerts: thresholds in credits, highest first, and the balance now. */
export interface BalanceAlertsResource {
  data: {
    type: "balance_alerts";
    attributes: {
      thresholds: number[];
      credits: number;
      /** Alerts are also e-mailed to `email` (the install needs SMTP_URL). */
      email_enabled: boolean;
      email: string | null;
      /** Alerts are also sent by SMS to `phone` (E.164). */
      sms_enabled: boolean;
      phone: string | null;
    };
  };
  links: { self: string };
}

/** `PUT /v1/account/sending-hours` (see `sendingHoursUpdate` in @salvo/core). */
export type SendingHours = z.input<typeof sendingHoursUpdate>;

/** Where a setting comes from: the account itself, its parent account, or the install's default. */
export type SettingSource = "account" | "parent" | "default";

/** One weekly window: ISO weekdays (1 = Monday … 7 = Sunday), from `from` until `to` (HH:MM). */
export interface SendingWindow {
  days: number[];
  from: string;
  to: string;
}

/** The account's sending hours for marketing messages, as they apply now. */
export interface SendingHoursResource {
  data: {
    type: "sending_hours";
    attributes: {
      time_zone: string;
      windows: SendingWindow[];
      holidays: "FR" | "none";
      /** Whether marketing messages go out now. */
      open_now: boolean;
      /** When they go out next (now, when open), RFC 3339 in `time_zone`. */
      next_opening: string;
      /** When the window of `next_opening` closes. */
      closes_at: string;
      sources: { time_zone: SettingSource; windows: SettingSource };
    };
  };
  links: { self: string };
}

/** `PUT /v1/account/opt-out-mention` (see `optOutMentionUpdate` in @salvo/core). */
export type OptOutMention = z.input<typeof optOutMentionUpdate>;

/**
 * `PUT /v1/account/retention` (see `retentionUpdate` in @salvo/core): each kind
 * `"<n>d"`, `"<n>m"`, `"<n>y"` or `"0"` (kept until deleted); null follows the
 * parent account's; a kind left out stays as it is.
 */
export type Retention = z.input<typeof retentionUpdate>;

/** How long the account's data is kept before the workers delete it (`"0"`: until deleted). */
export interface RetentionResource {
  data: {
    type: "retention";
    attributes: {
      message: string;
      list: string;
      /** Stored and shown only: Salvo has no surveys. */
      survey: string;
      campaign: string;
      sources: {
        message: SettingSource;
        list: SettingSource;
        survey: SettingSource;
        campaign: SettingSource;
      };
    };
  };
  links: { self: string };
}

/** The opt-out mention added to the account's marketing messages (`""`: none). */
export interface OptOutMentionResource {
  data: { type: "opt_out_mention"; attributes: { mention: string; source: SettingSource } };
  links: { self: string };
}

export interface TokenData {
  id: string;
  type: "tokens";
  attributes: {
    label: string;
    created_at: string;
    last_used_at: string | null;
    revoked_at: string | null;
    /** When it stops authenticating (made with a `ttl` on /smsfactor/token); null: never. */
    expires_at: string | null;
    /** The addresses and CIDR ranges it may be used from (`allowed_ips` when created); null: any. */
    allowed_ips: string[] | null;
  };
  links: { self: string };
}

export interface CreatedTokenData extends TokenData {
  /**
   * `token`: the full token, shown only in the answer that created it; `null` in
   * a replay of that answer (`Idempotent-Replayed: true`), as only its hash is stored.
   */
  attributes: TokenData["attributes"] & { token: string | null };
}

/** The body of `POST /v1/subaccounts`. */
export type NewSubAccount = z.input<typeof newSubAccount>;

/** The body of `POST /v1/subaccounts/:id/credits`. */
export type CreditTransfer = z.input<typeof creditTransfer>;

export interface SubAccountData {
  id: string;
  type: "subaccounts";
  attributes: AccountAttributes & {
    /** Credits spent (`cost` of its batches) by calendar month, in UTC. */
    usage: { time_zone: "UTC"; this_month: number; previous_month: number };
  };
  links: { self: string; tokens: string; countries: string };
}

/**
 * The periods of `GET /v1/account/usage`: 24 hourly buckets, 30 daily ones, or
 * one a day of the current UTC calendar month so far (`month`).
 */
export type UsagePeriod = "24h" | "30d" | "month";

/** `GET /v1/account/usage`: messages handed off (`sent_at`) and delivered (the report's time) per UTC bucket. */
export interface UsageResource {
  data: {
    type: "usage";
    attributes: {
      period: UsagePeriod;
      time_zone: "UTC";
      bucket: "hour" | "day";
      /** Over the whole period. */
      sent: number;
      delivered: number;
      /** Oldest first, the current (partial) hour or day last. */
      buckets: { start: string; sent: number; delivered: number }[];
    };
  };
  links: { self: string };
}

/** An account as an operator reads, creates or changes it (`/v1/admin/accounts/:id`): with the countries in effect. */
export interface AdminAccountDetail {
  id: string;
  type: "accounts";
  attributes: AccountResource["data"]["attributes"];
  links: { self: string };
}

/** The body of `POST /v1/admin/accounts`. */
export type NewAccount = z.input<typeof newAccount>;

/** The body of `PATCH /v1/admin/accounts/:id`: each field given is set. */
export type AccountChanges = z.input<typeof accountChanges>;

/** The answer of `POST /v1/admin/accounts`: the account, and its first API token, shown only this once. */
export interface CreatedAccount {
  data: AdminAccountDetail;
  meta: { token: string };
}

/** An account as operators list it (`GET /v1/admin/accounts`). */
export interface AdminAccountData {
  id: string;
  type: "accounts";
  attributes: AccountAttributes;
  links: { self: string };
}

/** The answer of `POST /v1/subaccounts/:id/credits`: the sub-account, and the parent's balance after. */
export interface SubAccountTransfer {
  data: SubAccountData;
  meta: { parent_credits: number };
}

export interface Health {
  status: string;
  checks?: Record<string, string>;
}

export type { Recipient } from "@salvo/core";

/** `POST /v1/batches` and `POST /v1/send` (see `newBatch` in @salvo/core). */
export type NewBatch = z.input<typeof newBatch>;

/** `POST /v1/sms` (see `newSms` in @salvo/core); `isTransactional` defaults to true. */
export type NewSms = z.input<typeof newSms>;

/** A Sofy group (`GET /v1/groups`): a contact list, its id the list's. */
export interface SofyGroup {
  id: string;
  name: string;
  createdAt: string;
  updatedAt: string;
  source: "user";
}

/**
 * `POST /v1/groups/:groupId/contacts` (Sofy's; see `newGroupContact` in @salvo/core):
 * other keys are custom columns, named by their id (`GET /v1/customColumns`).
 */
export type NewGroupContact = z.input<typeof newGroupContact>;

/** The contact as stored in the group: its number in E.164 without `+`, custom columns as text. */
export type SofyGroupContact = {
  groupId: string;
  contactPhoneNumber: string;
  contactEmailAddress?: string;
  contactFirstName?: string;
  contactLastName?: string;
  contactSubscribed?: boolean;
  contactBirthday?: string;
} & {
  /** Custom columns, by id: their text. */
  [customColumn: string]: string | boolean;
};

/** A Sofy custom column (`GET /v1/customColumns`): a field name of the account's contacts. */
export interface SofyCustomColumn {
  id: string;
  venueId: 0;
  userLabel: string;
  type: "TEXT";
  created_at: string;
  updated_at: string;
  deleted_at: null;
}

/** `POST /v1/tokens`. */
export type NewToken = z.input<typeof newToken>;

export type SmsStatus =
  | "pending"
  | "sent"
  | "delivered"
  | "undelivered"
  | "failed"
  | "blacklisted"
  | "npai"
  | "flooded"
  | "not_allowed"
  | "country_limit";

/** A single message: `POST /v1/sms` answers it `pending`, `GET /v1/sms/:id` with its current status. */
export interface Sms {
  id: string;
  from: string;
  /** As the client sent it. */
  to: string;
  body: string;
  shortenUrls: boolean;
  isTransactional: boolean;
  /** When it is scheduled to go (RFC 3339), in the answer to `send` only when it was given. */
  send_at?: string;
  status: SmsStatus;
  /** Why it failed or was not delivered (e.g. `unknown_subscriber`); "" otherwise. */
  statusReason: string;
}

/** A batch's counters: those of core's table (`BATCH_COUNTERS`), as the API names them. */
export type BatchCounter = CoreBatchCounter;

/** The counters that always add up to `total` (delivery reports split `sent` into delivered and undelivered). */
export type BatchTotalPart = (typeof BATCH_TOTAL_PARTS)[number];

/** `POST /v1/send`'s answer: 200 once every message is judged and handed off, 202 (with `pending`) on timeout. */
export interface SendResult extends Record<"total" | Exclude<BatchTotalPart, "pending">, number> {
  /** 1: sent (or still being sent, HTTP 202); -8: held for moderation, nothing sent (do not retry). */
  status: 1 | -8;
  message: string;
  /** The batch id: `GET /v1/batches/:ticket`. */
  ticket: string;
  cost: number;
  /** The account's balance after the send. */
  credits: number;
  /** When the wait timed out (HTTP 202), or the batch is held for moderation (`status: -8`, pending = total). */
  pending?: number;
}

/** What sending a batch now would give (`POST /v1/batches/simulate`): nothing is stored, taken or sent. */
export interface BatchSimulation {
  type: "batch_simulations";
  attributes: Record<
    | "total"
    | "sent"
    | "invalid"
    | "duplicated"
    | "blacklisted"
    | "npai"
    | "flooded"
    | "not_allowed"
    | "country_limit",
    number
  > & {
    /** Segments per message. */
    segments: number;
    /** segments × sent. */
    cost: number;
    /** segments × total: what accepting the batch would take first (the unsent refunded after). */
    reserved: number;
    /** The balance now. */
    credits: number;
    /** credits − cost. */
    credits_after: number;
    /** Whether credits ≥ reserved: without, the real request is refused (402). */
    enough_credits: boolean;
    /** The moderation rules that would hold it for an operator (empty: none). */
    moderation_reasons: ModerationReason[];
  };
}

/** `POST /v1/send/simulate`'s answer: `POST /v1/send`'s without `ticket` (nothing is stored, taken or sent). */
export interface SendSimulation extends Omit<SendResult, "ticket" | "pending"> {
  /** The balance the send would leave. */
  credits: number;
  segments: number;
  enough_credits: boolean;
  /** The moderation rules that would hold it (then `status` is -8; empty: none). */
  moderation_reasons: ModerationReason[];
}

export interface BatchAccepted {
  data: { batch_id: string; type: "batches" };
  links: { self: string };
}

export interface BatchAttributes extends Record<BatchCounter, number> {
  /** The name or label given at creation (`name`); null when none. */
  name: string | null;
  status: BatchStatus;
  cost: number;
  from: string;
  type: "transactional" | "marketing";
  segments: number;
  created_at: string;
  /** When the batch is scheduled to start (RFC 3339, UTC); null when it was sent at once. */
  send_at: string | null;
  completed_at: string | null;
  /** The moderation rules that held it; null when it never was. */
  moderation_reasons: ModerationReason[] | null;
  /** Why an operator rejected it (null: no reason given, or not rejected). */
  rejection_reason: string | null;
}

/** A rule that held a batch for moderation, and what matched (docs/api.md, "Moderation"). */
export type ModerationReason = CoreModerationReason;

export interface BatchData {
  id: string;
  type: "batches";
  attributes: BatchAttributes;
  links: { self: string };
}

export type MessageStatus = CoreMessageStatus;

/** A batch's status (docs/api.md, "Batch statuses"). */
export type BatchStatus = CoreBatchStatus;

export interface MessageData {
  id: string;
  type: "messages";
  attributes: {
    to: string;
    ref: string | null;
    status: MessageStatus;
    /** Why it was not sent, or not delivered: see docs/api.md "Message reasons". Null when sent or delivered. */
    reason: string | null;
    /** For a `duplicated` message: the position (0-based) of the number's first occurrence in the batch. */
    duplicate_of: number | null;
    segments: number;
    cost: number;
    created_at: string;
    sent_at: string | null;
    done_at: string | null;
  };
}

export interface NumbersAdded {
  data: { type: "blacklist" | "npai"; added: number; numbers: string[] };
}

export interface ListedNumber {
  number: string;
  created_at: string;
}

/** A number a batch's delivery report (`unknown_subscriber`) put on the NPAI list. */
export interface BatchNpaiNumber extends ListedNumber {
  /** The message whose report added it. */
  message_id: string;
}

/** One URL of a batch's tracked links and its clicks (`GET /v1/batches/:id/links`). */
export interface BatchLinkStats {
  /** Its slot in the body (URLs and `<-short->` markers in order), from 0. */
  index: number;
  url: string;
  /** Clicks by humans. */
  clicks: number;
  /** Messages whose link to it a human clicked. */
  unique_clicks: number;
  /** Clicks by link previewers and crawlers (counted apart, no event). */
  bot_clicks: number;
}

/** `GET /v1/batches/:id/links`: its links (none when it shortened none) and when they expire. */
export interface BatchLinks {
  data: BatchLinkStats[];
  meta: { expires_at: string | null };
  links: { self: string };
}

/** The filters of `GET /v1/batches`; every one given must match. */
export interface BatchFilters {
  page?: number;
  status?: BatchStatus;
  type?: "transactional" | "marketing";
  /** The sender id or number, exactly. */
  from?: string;
  /** RFC 3339 date-times with their offset: created at or after, strictly before. */
  created_after?: string;
  created_before?: string;
  /** A piece of the batch's name, case-insensitive. */
  q?: string;
}

export interface ReplyAttributes {
  /** The replying number, E.164. */
  from: string;
  /** The sender id or number it was sent to. */
  to: string;
  body: string;
  /** A stop keyword: the number was put on the blacklist. */
  stop: boolean;
  /** The message it answers (the last one sent to that number from that sender). */
  message_id: string | null;
  batch_id: string | null;
  received_at: string;
}

export interface ReplyData {
  id: string;
  type: "replies";
  attributes: ReplyAttributes;
}

export interface InboundReplyData {
  id: string;
  type: "replies";
  /** `account_matched`: false when the reply answers no message sent by Salvo (it is kept, unassigned). */
  attributes: ReplyAttributes & { account_matched: boolean };
}

/** What a webhook can subscribe to. */
export type WebhookEventType =
  | "dlr"
  | "mo"
  | "stop"
  | "batch.completed"
  | "balance.low"
  | "sender.approved"
  | "sender.refused"
  | "batch.moderation"
  | "batch.rejected"
  | "batch.paused"
  | "batch.resumed"
  | "message.clicked"
  | "sms.status";

/** `POST /v1/webhooks` (see `newWebhook` in @salvo/core). */
export type NewWebhook = z.input<typeof newWebhook>;

export interface WebhookData {
  id: string;
  type: "webhooks";
  attributes: {
    url: string;
    events: WebhookEventType[];
    /** How its requests are written: Salvo's events, or SMSFactor's or Sofy's payloads. */
    format: "salvo" | "smsfactor" | "sofy";
    /** `disabled` after failing every delivery for too long (see `disabled_reason`). */
    status: "enabled" | "disabled";
    disabled_reason: string | null;
    disabled_at: string | null;
    /** Start of the current run of failed deliveries; null after a success. */
    failing_since: string | null;
    created_at: string;
  };
  links: { self: string };
}

export interface CreatedWebhookData extends WebhookData {
  attributes: WebhookData["attributes"] & { secret: string };
}

/** One attempt to deliver an event to a webhook. */
export interface WebhookAttemptData {
  id: string;
  type: "webhook_attempts";
  attributes: {
    event_id: string;
    event: WebhookEventType;
    /** The event's state now: `pending` (a retry is due), `delivered` or `failed`. */
    event_state: "pending" | "delivered" | "failed";
    /** null when there was no answer (timeout, connection refused, …). */
    status_code: number | null;
    duration_ms: number;
    error: string | null;
    /** The start of the receiver's answer (its first 1,024 bytes as UTF-8 text); null when there was no answer. */
    response_body: string | null;
    /** Whether the answer was longer than `response_body`. */
    response_truncated: boolean;
    /** The answer's Content-Type; null when none (or no answer). */
    response_content_type: string | null;
    attempted_at: string;
  };
}

/** `POST /v1/senders`: a sender id to register. */
export type NewSender = z.input<typeof newSender>;

/** `pending` until an operator decides: `approved`, or `refused` with a `reason`. */
export type SenderState = CoreSenderState;

export interface SenderData {
  id: string;
  type: "senders";
  attributes: {
    sender: string;
    state: SenderState;
    /** The operator's reason, when refused; null otherwise. */
    reason: string | null;
    created_at: string;
    decided_at: string | null;
  };
}

/** A batch as the admin routes show it (`/v1/admin/…`): what it says, whose it is, why it was held. */
export interface ModeratedBatchData {
  id: string;
  type: "batches";
  attributes: Record<BatchCounter, number> & {
    status: BatchStatus;
    account_id: string;
    /** In `GET /v1/admin/moderation` only; null in decisions' answers. */
    account_name: string | null;
    from: string;
    body: string;
    type: "transactional" | "marketing";
    segments: number;
    /** Credits taken at acceptance (segments × total). */
    reserved: number;
    reasons: ModerationReason[];
    rejection_reason: string | null;
    cost: number;
    send_at: string | null;
    created_at: string;
    moderated_at: string | null;
  };
}

/** `POST /v1/admin/batches/:id/reject` (see `batchRejection` in @salvo/core). */
export type BatchRejection = z.input<typeof batchRejection>;

/** `POST /v1/admin/senders/:id/refuse` (see `senderRefusal` in @salvo/core). */
export type SenderRefusal = z.input<typeof senderRefusal>;

/** A sender as the admin routes show it: with its account. */
export interface AdminSenderData extends SenderData {
  attributes: SenderData["attributes"] & { account_id: string };
}

/** `POST /v1/contact-lists` (see `newContactList` in @salvo/core). */
export type NewContactList = z.input<typeof newContactList>;

/** `PATCH /v1/contact-lists/:id`: a new name, a new country, or both. */
export type ContactListChanges = z.input<typeof contactListChanges>;

/** `POST /v1/contact-lists/:id/contacts`: up to 10,000 contacts. */
export type NewContacts = z.input<typeof newContacts>;

export interface ContactListData {
  id: string;
  type: "contact_lists";
  attributes: {
    name: string;
    /** ISO 3166 alpha-2: how national-format numbers added to the list are read. */
    country: string;
    contact_count: number;
    created_at: string;
    updated_at: string;
  };
  links: { self: string };
}

export interface ContactData {
  /** E.164. */
  number: string;
  fields: Record<string, string>;
  created_at: string;
  updated_at: string;
}

/** A contact of a request that was not stored: its position in `contacts`, its number as sent, and why. */
export interface InvalidContact {
  index: number;
  number: string;
  /** A code of `INVALID_NUMBER_REASONS` (e.g. `too_short`). */
  reason: string;
  message: string;
}

export interface ContactsAdded {
  data: { type: "contacts"; added: number; updated: number; invalid: InvalidContact[] };
}

export interface ContactListCleaned {
  data: {
    type: "contact_list_clean";
    removed: { invalid: number; blacklisted: number; npai: number };
    contact_count: number;
  };
}

/** A row of an imported file that was not imported. */
export interface InvalidImportRow {
  /** Its position in the file, the header being row 1 (empty lines not counted). */
  row: number;
  /** The number as the file wrote it (cut at 64 characters). */
  number: string;
  /** A code of `INVALID_NUMBER_REASONS`, or `too_many_values`, `field_too_long`, `not_storable`. */
  reason: string;
  message: string;
}

/** `GET /v1/contact-lists/:id/imports/:import_id`: an import of a CSV file and its progress. */
export interface ContactImportData {
  id: string;
  type: "contact_imports";
  attributes: {
    list_id: string;
    status: "receiving" | "queued" | "running" | "completed" | "failed";
    size_bytes: number;
    /** Rows read so far (the header and empty lines aside). */
    rows: number;
    /** Numbers new to the list, and numbers already on it whose fields were replaced. */
    added: number;
    updated: number;
    invalid: number;
    /** The first 1,000 invalid rows (absent from lists of imports). */
    invalid_rows?: InvalidImportRow[];
    /** Rows whose number an earlier row of the file had (the last row's fields are kept). */
    duplicates: number;
    failure_reason: string | null;
    created_at: string;
    started_at: string | null;
    finished_at: string | null;
  };
  links: { self: string; list: string };
}

/** The file of an import: CSV text, bytes, or a stream of bytes (a Node stream, a web stream). */
export type ImportFile = string | Uint8Array | Blob | ReadableStream<Uint8Array> | AsyncIterable<Uint8Array>;

/** How `contactLists.imports.create` sends a file. */
export interface ImportOptions {
  /** The header of the numbers' column, when its name does not say it (`phone`, `mobile`…). */
  numberColumn?: string;
  /** Send it as the `file` field of a multipart/form-data body (text, bytes or a Blob only). */
  multipart?: boolean;
  /** How long the upload may take, in ms (the client's timeoutMs otherwise). */
  timeoutMs?: number;
}

/** What Salvo knows of a number (`POST /v1/lookup`): no HLR is queried. */
export interface NumberLookup {
  /** The number as given. */
  input: string;
  /** E.164, or null when it is not a valid number. */
  number: string | null;
  valid: boolean;
  /** ISO 3166 alpha-2, its English name and calling code; null when unknown. */
  country: string | null;
  country_name: string | null;
  country_prefix: string | null;
  /** libphonenumber's line type, lower case (`mobile`, `fixed_line`…); null: unknown. */
  line_type: string | null;
  /** The network the number's range was first given to (not who serves it now: numbers are ported). */
  network: string | null;
  /** That range, as national digits (`61`); null with no network. */
  network_prefix: string | null;
  /** That network's MCC and MNC (`20801`), from Wikipedia's tables; null: unknown. */
  mcc_mnc: string | null;
  status: "invalid" | "npai" | "blacklisted" | "delivered" | "undelivered" | "pending" | "unknown";
  /** Why the last message there was not delivered (`unknown_subscriber`…). */
  reason: string | null;
  last_sent_at: string | null;
  last_report_at: string | null;
}

export interface NumberLookups {
  data: NumberLookup[];
  /** Credits the lookup cost: 0 (Salvo queries no network). */
  meta: { cost: number };
}

/** A month of the account (`GET /v1/account/statements`): its credits and sends, UTC. */
export interface Statement {
  /** The month, `YYYY-MM`. */
  id: string;
  type: "statements";
  attributes: {
    period_start: string;
    period_end: string;
    /** The balance before the month's first change and after its last; null: none recorded. */
    opening_balance: number | null;
    credits_added: number;
    credits_removed: number;
    /** Credits taken by sends, less refunds. */
    credits_spent: number;
    closing_balance: number | null;
    campaigns: number;
    messages_sent: number;
    messages_delivered: number;
    messages_undelivered: number;
  };
  links: { self: string; csv: string };
}

export interface StatementList {
  data: Statement[];
}

export interface StatementResource {
  data: Statement;
}
