import {
  BATCH_COUNTER_NAMES,
  BATCH_STATUSES,
  BATCH_TOTAL_PARTS,
  type BatchCounter,
  MESSAGE_STATUSES,
  SENDER_STATES,
  WEBHOOK_EVENT_TYPES,
  WEBHOOK_FORMATS,
} from "@salvo/core";
import { z } from "zod";

// What the API answers, as zod schemas: the OpenAPI document describes them
// (src/openapi/document.ts), the API's tests check every answer they get against
// it, and the SDK's response types are checked against them (sdk-types.test.ts).

/** `{"error": {"code", "description", "field"?}}` (docs/api.md, "Errors"). */
export const errorBody = z.object({
  error: z.object({
    code: z.string(),
    description: z.string(),
    field: z.string().optional(),
    /** `OUTSIDE_SENDING_HOURS`: when the account's sending hours open next. */
    next_opening: z.string().optional(),
  }),
  /** `POST /v1/send` only: its numeric status. */
  status: z.number().int().optional(),
});

const timestamp = z.string();
const nullableTimestamp = timestamp.nullable();
const selfLink = z.object({ self: z.string() });
const settingSource = z.enum(["account", "parent", "default"]);

/** A page of a list: `{data: [...], page: {count, number}}`. */
const page = <T extends z.ZodType>(item: T) =>
  z.object({ data: z.array(item), page: z.object({ count: z.number().int(), number: z.number().int() }) });

const counters = z.object(
  Object.fromEntries(BATCH_COUNTER_NAMES.map((name) => [name, z.number().int()])) as Record<
    BatchCounter,
    z.ZodNumber
  >,
);

const moderationReason = z.discriminatedUnion("rule", [
  z.object({
    rule: z.literal("new_account"),
    account_age_days: z.number(),
    recipients: z.number(),
    max_recipients: z.number(),
  }),
  z.object({ rule: z.literal("blocked_word"), word: z.string() }),
  z.object({ rule: z.literal("blocked_domain"), domain: z.string() }),
  z.object({ rule: z.literal("unregistered_sender"), sender: z.string() }),
]);

const accountAttributes = z.object({
  name: z.string(),
  credits: z.number(),
  parent_id: z.string().nullable(),
  default_country: z.string(),
  limits: z.object({
    api_requests_per_second: z.number(),
    messages_per_second: z.number().nullable(),
    anti_flood: z.object({
      max_per_recipient_per_hour: z.number(),
      max_same_body_per_recipient_per_hour: z.number(),
    }),
  }),
  balance_alerts: z.array(z.number()),
  require_registered_sender: z.boolean(),
  link_retention_days: z.number(),
  created_at: timestamp,
});

export const accountResource = z.object({
  data: z.object({
    id: z.string(),
    type: z.literal("accounts"),
    attributes: accountAttributes.extend({
      countries: z.object({
        allowed_countries: z.array(z.string()),
        monthly_limits: z.record(z.string(), z.number()),
      }),
    }),
  }),
  links: selfLink,
});

export const balanceAlertsResource = z.object({
  data: z.object({
    type: z.literal("balance_alerts"),
    attributes: z.object({
      thresholds: z.array(z.number()),
      credits: z.number(),
      email_enabled: z.boolean(),
      email: z.string().nullable(),
      sms_enabled: z.boolean(),
      phone: z.string().nullable(),
    }),
  }),
  links: selfLink,
});

export const retentionResource = z.object({
  data: z.object({
    type: z.literal("retention"),
    attributes: z.object({
      message: z.string(),
      list: z.string(),
      survey: z.string(),
      campaign: z.string(),
      sources: z.object({
        message: settingSource,
        list: settingSource,
        survey: settingSource,
        campaign: settingSource,
      }),
    }),
  }),
  links: selfLink,
});

export const optOutMentionResource = z.object({
  data: z.object({
    type: z.literal("opt_out_mention"),
    attributes: z.object({ mention: z.string(), source: settingSource }),
  }),
  links: selfLink,
});

export const tokenData = z.object({
  id: z.string(),
  type: z.literal("tokens"),
  attributes: z.object({
    label: z.string(),
    created_at: timestamp,
    last_used_at: nullableTimestamp,
    revoked_at: nullableTimestamp,
    expires_at: nullableTimestamp,
    allowed_ips: z.array(z.string()).nullable(),
  }),
  links: selfLink,
});

export const createdTokenData = tokenData.extend({
  attributes: tokenData.shape.attributes.extend({ token: z.string().nullable() }),
});

export const batchData = z.object({
  id: z.string(),
  type: z.literal("batches"),
  attributes: counters.extend({
    name: z.string().nullable(),
    status: z.enum(BATCH_STATUSES),
    cost: z.number(),
    from: z.string(),
    type: z.enum(["transactional", "marketing"]),
    segments: z.number().int(),
    created_at: timestamp,
    send_at: nullableTimestamp,
    completed_at: nullableTimestamp,
    moderation_reasons: z.array(moderationReason).nullable(),
    rejection_reason: z.string().nullable(),
  }),
  links: selfLink,
});

export const batchAccepted = z.object({
  data: z.object({ batch_id: z.string(), type: z.literal("batches") }),
  links: selfLink,
});

export const messageData = z.object({
  id: z.string(),
  type: z.literal("messages"),
  attributes: z.object({
    to: z.string(),
    ref: z.string().nullable(),
    status: z.enum(MESSAGE_STATUSES),
    reason: z.string().nullable(),
    duplicate_of: z.number().int().nullable(),
    segments: z.number().int(),
    cost: z.number(),
    created_at: timestamp,
    sent_at: nullableTimestamp,
    done_at: nullableTimestamp,
  }),
});

export const sms = z.object({
  id: z.string(),
  from: z.string(),
  to: z.string(),
  body: z.string(),
  shortenUrls: z.boolean(),
  isTransactional: z.boolean(),
  send_at: z.string().optional(),
  status: z.enum([
    "pending",
    "sent",
    "delivered",
    "undelivered",
    "failed",
    "blacklisted",
    "npai",
    "flooded",
    "not_allowed",
    "country_limit",
  ]),
  statusReason: z.string(),
});

/** Sofy's group (`GET /v1/groups`): a contact list. */
export const sofyGroup = z.object({
  id: z.string(),
  name: z.string(),
  createdAt: timestamp,
  updatedAt: timestamp,
  source: z.literal("user"),
});

/** Sofy's contact as `POST /v1/groups/:groupId/contacts` stored it; other keys are custom columns. */
export const sofyGroupContact = z
  .object({
    groupId: z.string(),
    contactPhoneNumber: z.string(),
    contactEmailAddress: z.string().optional(),
    contactFirstName: z.string().optional(),
    contactLastName: z.string().optional(),
    contactSubscribed: z.boolean().optional(),
    contactBirthday: z.string().optional(),
  })
  // Custom columns are text; typed as the known keys' values too (TypeScript's index signatures).
  .catchall(z.union([z.string(), z.boolean()]));

/** Sofy's custom column (`GET /v1/customColumns`): a field name of the account's contacts. */
export const sofyCustomColumn = z.object({
  id: z.string(),
  venueId: z.literal(0),
  userLabel: z.string(),
  type: z.literal("TEXT"),
  created_at: timestamp,
  updated_at: timestamp,
  deleted_at: z.null(),
});

/** The counts of a batch simulation. */
const simulatedCounts = {
  total: z.number().int(),
  sent: z.number().int(),
  invalid: z.number().int(),
  duplicated: z.number().int(),
  blacklisted: z.number().int(),
  npai: z.number().int(),
  flooded: z.number().int(),
  not_allowed: z.number().int(),
  country_limit: z.number().int(),
};

/** `POST /v1/send`'s counts: `total`, and the parts that add up to it but `pending`. */
const sendCounts = Object.fromEntries(
  ["total", ...BATCH_TOTAL_PARTS.filter((part) => part !== "pending")].map((name) => [
    name,
    z.number().int(),
  ]),
) as Record<"total" | Exclude<(typeof BATCH_TOTAL_PARTS)[number], "pending">, z.ZodNumber>;

export const sendResult = z.object({
  status: z.union([z.literal(1), z.literal(-8)]),
  message: z.string(),
  ticket: z.string(),
  cost: z.number(),
  credits: z.number(),
  pending: z.number().int().optional(),
  ...sendCounts,
});

export const sendSimulation = z.object({
  status: z.union([z.literal(1), z.literal(-8)]),
  message: z.string(),
  cost: z.number(),
  credits: z.number(),
  segments: z.number().int(),
  enough_credits: z.boolean(),
  moderation_reasons: z.array(moderationReason),
  ...sendCounts,
});

export const batchSimulation = z.object({
  type: z.literal("batch_simulations"),
  attributes: z.object({
    ...simulatedCounts,
    segments: z.number().int(),
    cost: z.number(),
    reserved: z.number(),
    credits: z.number(),
    credits_after: z.number(),
    enough_credits: z.boolean(),
    moderation_reasons: z.array(moderationReason),
  }),
});

export const senderData = z.object({
  id: z.string(),
  type: z.literal("senders"),
  attributes: z.object({
    sender: z.string(),
    state: z.enum(SENDER_STATES),
    reason: z.string().nullable(),
    created_at: timestamp,
    decided_at: nullableTimestamp,
  }),
});

export const webhookData = z.object({
  id: z.string(),
  type: z.literal("webhooks"),
  attributes: z.object({
    url: z.string(),
    events: z.array(z.enum(WEBHOOK_EVENT_TYPES)),
    format: z.enum(WEBHOOK_FORMATS),
    status: z.enum(["enabled", "disabled"]),
    disabled_reason: z.string().nullable(),
    disabled_at: nullableTimestamp,
    failing_since: nullableTimestamp,
    created_at: timestamp,
  }),
  links: selfLink,
});

export const createdWebhookData = webhookData.extend({
  attributes: webhookData.shape.attributes.extend({ secret: z.string() }),
});

const replyAttributes = z.object({
  from: z.string(),
  to: z.string(),
  body: z.string(),
  stop: z.boolean(),
  message_id: z.string().nullable(),
  batch_id: z.string().nullable(),
  received_at: timestamp,
});

export const replyData = z.object({
  id: z.string(),
  type: z.literal("replies"),
  attributes: replyAttributes,
});

export const inboundReplyData = replyData.extend({
  attributes: replyAttributes.extend({ account_matched: z.boolean() }),
});

export const listedNumber = z.object({ number: z.string(), created_at: timestamp });

const numbersAdded = (type: "blacklist" | "npai") =>
  z.object({
    data: z.object({ type: z.literal(type), added: z.number().int(), numbers: z.array(z.string()) }),
  });

export const contactListData = z.object({
  id: z.string(),
  type: z.literal("contact_lists"),
  attributes: z.object({
    name: z.string(),
    country: z.string(),
    contact_count: z.number().int(),
    created_at: timestamp,
    updated_at: timestamp,
  }),
  links: selfLink,
});

export const numberLookup = z.object({
  input: z.string(),
  number: z.string().nullable(),
  valid: z.boolean(),
  country: z.string().nullable(),
  country_name: z.string().nullable(),
  country_prefix: z.string().nullable(),
  line_type: z.string().nullable(),
  network: z.string().nullable(),
  network_prefix: z.string().nullable(),
  mcc_mnc: z.string().nullable(),
  status: z.enum(["invalid", "npai", "blacklisted", "delivered", "undelivered", "pending", "unknown"]),
  reason: z.string().nullable(),
  last_sent_at: nullableTimestamp,
  last_report_at: nullableTimestamp,
});

const usageByCountry = z.record(z.string(), z.number());

export const countriesResource = z.object({
  data: z.object({
    type: z.literal("countries"),
    attributes: z.object({
      allowed_countries: z.array(z.string()),
      allowed_countries_from: settingSource,
      monthly_limits: usageByCountry,
      monthly_limits_from: settingSource,
      usage: z.object({
        time_zone: z.literal("UTC"),
        month: z.string(),
        sent: usageByCountry,
        remaining: usageByCountry,
      }),
    }),
  }),
  links: selfLink,
});

export const sendingHoursResource = z.object({
  data: z.object({
    type: z.literal("sending_hours"),
    attributes: z.object({
      time_zone: z.string(),
      windows: z.array(z.object({ days: z.array(z.number().int()), from: z.string(), to: z.string() })),
      holidays: z.enum(["FR", "none"]),
      open_now: z.boolean(),
      next_opening: z.string(),
      closes_at: z.string(),
      sources: z.object({ time_zone: settingSource, windows: settingSource }),
    }),
  }),
  links: selfLink,
});

export const subAccountData = z.object({
  id: z.string(),
  type: z.literal("subaccounts"),
  attributes: accountAttributes.extend({
    usage: z.object({ time_zone: z.literal("UTC"), this_month: z.number(), previous_month: z.number() }),
  }),
  links: z.object({ self: z.string(), tokens: z.string(), countries: z.string() }),
});

export const adminAccountData = z.object({
  id: z.string(),
  type: z.literal("accounts"),
  attributes: accountAttributes,
  links: selfLink,
});

/** One account as operators see it (`/v1/admin/accounts/:id`): with the countries and monthly limits in effect. */
export const adminAccountDetail = adminAccountData.extend({
  attributes: accountAttributes.extend({
    countries: z.object({
      allowed_countries: z.array(z.string()),
      monthly_limits: z.record(z.string(), z.number()),
    }),
  }),
});

/** `GET /v1/account/usage`: messages handed off and delivered, by UTC hour or day. */
export const usageResource = z.object({
  data: z.object({
    type: z.literal("usage"),
    attributes: z.object({
      period: z.enum(["24h", "30d", "month"]),
      time_zone: z.literal("UTC"),
      bucket: z.enum(["hour", "day"]),
      sent: z.number(),
      delivered: z.number(),
      buckets: z.array(z.object({ start: timestamp, sent: z.number(), delivered: z.number() })),
    }),
  }),
  links: selfLink,
});

export const statement = z.object({
  id: z.string(),
  type: z.literal("statements"),
  attributes: z.object({
    period_start: z.string(),
    period_end: z.string(),
    opening_balance: z.number().nullable(),
    credits_added: z.number(),
    credits_removed: z.number(),
    credits_spent: z.number(),
    closing_balance: z.number().nullable(),
    campaigns: z.number().int(),
    messages_sent: z.number().int(),
    messages_delivered: z.number().int(),
    messages_undelivered: z.number().int(),
  }),
  links: z.object({ self: z.string(), csv: z.string() }),
});

export const webhookAttemptData = z.object({
  id: z.string(),
  type: z.literal("webhook_attempts"),
  attributes: z.object({
    event_id: z.string(),
    event: z.enum(WEBHOOK_EVENT_TYPES),
    event_state: z.enum(["pending", "delivered", "failed"]),
    status_code: z.number().int().nullable(),
    duration_ms: z.number(),
    error: z.string().nullable(),
    response_body: z.string().nullable(),
    response_truncated: z.boolean(),
    response_content_type: z.string().nullable(),
    attempted_at: timestamp,
  }),
});

export const moderatedBatchData = z.object({
  id: z.string(),
  type: z.literal("batches"),
  attributes: counters.extend({
    status: z.enum(BATCH_STATUSES),
    account_id: z.string(),
    account_name: z.string().nullable(),
    from: z.string(),
    body: z.string(),
    type: z.enum(["transactional", "marketing"]),
    segments: z.number().int(),
    reserved: z.number(),
    reasons: z.array(moderationReason),
    rejection_reason: z.string().nullable(),
    cost: z.number(),
    send_at: nullableTimestamp,
    created_at: timestamp,
    moderated_at: nullableTimestamp,
  }),
});

export const adminSenderData = senderData.extend({
  attributes: senderData.shape.attributes.extend({ account_id: z.string() }),
});

export const contactData = z.object({
  number: z.string(),
  fields: z.record(z.string(), z.string()),
  created_at: timestamp,
  updated_at: timestamp,
});

export const contactsAdded = z.object({
  data: z.object({
    type: z.literal("contacts"),
    added: z.number().int(),
    updated: z.number().int(),
    invalid: z.array(
      z.object({ index: z.number().int(), number: z.string(), reason: z.string(), message: z.string() }),
    ),
  }),
});

export const contactListCleaned = z.object({
  data: z.object({
    type: z.literal("contact_list_clean"),
    removed: z.object({ invalid: z.number().int(), blacklisted: z.number().int(), npai: z.number().int() }),
    contact_count: z.number().int(),
  }),
});

export const contactImportData = z.object({
  id: z.string(),
  type: z.literal("contact_imports"),
  attributes: z.object({
    list_id: z.string(),
    status: z.enum(["receiving", "queued", "running", "completed", "failed"]),
    size_bytes: z.number().int(),
    rows: z.number().int(),
    added: z.number().int(),
    updated: z.number().int(),
    invalid: z.number().int(),
    invalid_rows: z
      .array(z.object({ row: z.number().int(), number: z.string(), reason: z.string(), message: z.string() }))
      .optional(),
    duplicates: z.number().int(),
    failure_reason: z.string().nullable(),
    created_at: timestamp,
    started_at: nullableTimestamp,
    finished_at: nullableTimestamp,
  }),
  links: z.object({ self: z.string(), list: z.string() }),
});

export const batchNpaiNumber = listedNumber.extend({ message_id: z.string() });

export const batchLinks = z.object({
  data: z.array(
    z.object({
      index: z.number().int(),
      url: z.string(),
      clicks: z.number().int(),
      unique_clicks: z.number().int(),
      bot_clicks: z.number().int(),
    }),
  ),
  meta: z.object({ expires_at: nullableTimestamp }),
  links: selfLink,
});

const readiness = z.object({
  status: z.enum(["ready", "not_ready"]),
  checks: z.object({ postgres: z.string(), redis: z.string() }),
  workers: z.unknown(),
  connectors: z.unknown(),
  error: z.object({ code: z.literal("NOT_READY"), description: z.string() }).optional(),
});

const ok = (description: string, schema?: z.ZodType) => ({ description, schema });
/** An answer that is not JSON: its media type, its body a string. */
const text = (description: string, mediaType: string) => ({ description, schema: z.string(), mediaType });
const NO_CONTENT = { "204": ok("Done: no body.") };
const withData = <T extends z.ZodType>(data: T) => z.object({ data });
/** `{data, links}`: the resource, and its links again beside it. */
const withLinks = <T extends z.ZodObject<{ links: z.ZodType }>>(data: T) =>
  z.object({ data, links: data.shape.links });

const inboundStored = ok(
  "The reply as stored, and whether it matched an account.",
  withData(inboundReplyData),
);
const reportsQueued = ok(
  "The delivery reports, queued for the workers.",
  z.object({ data: z.object({ type: z.literal("delivery_reports"), reports: z.number().int() }) }),
);

/** Each route's success answers, by `METHOD /path` (Express's path), by status. Errors are the shared envelope. */
export const RESPONSES: Record<
  string,
  Record<string, { description: string; schema?: z.ZodType; mediaType?: string }>
> = {
  "GET /l/:code": {
    "302": ok("To the link's URL (`Location`)."),
    "404": text("An unknown or malformed code.", "text/plain"),
    "410": text("The link has expired.", "text/plain"),
  },
  "GET /metrics": {
    "200": text("Prometheus metrics, in its text format.", "text/plain"),
    "401": text("METRICS_TOKEN is set and the request does not present it.", "text/plain"),
  },
  "GET /v1/account/statements/:month.csv": { "200": text("A month's statement, as CSV.", "text/csv") },
  "GET /v1/batches/:id/events": {
    "200": text(
      "Server-Sent Events: the batch's counts whenever they change, then `completed` (docs/api.md).",
      "text/event-stream",
    ),
  },
  "GET /v1/batches/:id/messages.csv": { "200": text("Its messages, as CSV.", "text/csv") },
  "GET /v1/contact-lists/:id/export": { "200": text("Its contacts, as CSV.", "text/csv") },
  "GET /openapi.json": { "200": ok("This document.", z.looseObject({ openapi: z.literal("3.1.0") })) },
  "GET /healthz": { "200": ok("The process answers.", z.object({ status: z.literal("ok") })) },
  "GET /readyz": {
    "200": ok("PostgreSQL and Redis answer; the workers and connectors as Redis knows them.", readiness),
    "503": ok("A dependency does not answer: `checks` says which.", readiness),
  },
  "GET /v1/account": { "200": ok("The account.", accountResource) },
  "GET /v1/account/usage": {
    "200": ok("The account's messages sent and delivered over the period.", usageResource),
  },
  "GET /v1/account/balance-alerts": { "200": ok("Its balance alerts.", balanceAlertsResource) },
  "PUT /v1/account/balance-alerts": { "200": ok("Its balance alerts, changed.", balanceAlertsResource) },
  "GET /v1/account/retention": { "200": ok("How long its data is kept.", retentionResource) },
  "PUT /v1/account/retention": { "200": ok("How long its data is kept, changed.", retentionResource) },
  "GET /v1/account/opt-out-mention": { "200": ok("Its opt-out mention.", optOutMentionResource) },
  "PUT /v1/account/opt-out-mention": { "200": ok("Its opt-out mention, changed.", optOutMentionResource) },
  "GET /v1/tokens": { "200": ok("A page of its tokens.", page(tokenData)) },
  "POST /v1/tokens": { "201": ok("The token, its secret shown this once.", withData(createdTokenData)) },
  "DELETE /v1/tokens/:id": { "200": ok("The token, revoked.", withData(tokenData)) },
  "POST /v1/batches": { "202": ok("Accepted: the batch is sent by the workers.", batchAccepted) },
  "POST /v1/batches/simulate": { "200": ok("What sending it now would give.", withData(batchSimulation)) },
  "GET /v1/batches": { "200": ok("A page of its batches, newest first.", page(batchData)) },
  "GET /v1/batches/:id": { "200": ok("The batch and its counts.", withLinks(batchData)) },
  "POST /v1/batches/:id/cancel": { "200": ok("The batch, canceled.", withLinks(batchData)) },
  "GET /v1/batches/:id/messages": { "200": ok("A page of its messages.", page(messageData)) },
  "GET /v1/batches/:id/replies": { "200": ok("A page of the replies to it.", page(replyData)) },
  "POST /v1/sms": { "202": ok("Accepted, pending.", sms) },
  "GET /v1/sms/:id": { "200": ok("The message and its status.", sms) },
  "GET /v1/groups": { "200": ok("Its groups (contact lists), newest first.", z.array(sofyGroup)) },
  "POST /v1/groups/:groupId/contacts": {
    "201": ok("The contact, new to the group.", sofyGroupContact),
    "200": ok("The contact, already in the group: its fields replaced.", sofyGroupContact),
  },
  "GET /v1/customColumns": { "200": ok("Its custom columns.", z.array(sofyCustomColumn)) },
  "POST /v1/send": {
    "200": ok("Every message judged and handed off.", sendResult),
    "202": ok("The wait timed out: `pending` messages are still being judged.", sendResult),
  },
  "POST /v1/send/simulate": { "200": ok("What sending it now would give.", sendSimulation) },
  "POST /v1/blacklist": { "201": ok("The numbers added.", numbersAdded("blacklist")) },
  "GET /v1/blacklist": { "200": ok("A page of the blacklist.", page(listedNumber)) },
  "DELETE /v1/blacklist/:number": NO_CONTENT,
  "POST /v1/npai": { "201": ok("The numbers added.", numbersAdded("npai")) },
  "GET /v1/npai": { "200": ok("A page of the NPAI list.", page(listedNumber)) },
  "DELETE /v1/npai/:number": NO_CONTENT,
  "POST /v1/senders": {
    "201": ok("The sender asked for.", withData(senderData)),
    "200": ok("The sender already asked for.", withData(senderData)),
  },
  "GET /v1/senders": { "200": ok("A page of its senders.", page(senderData)) },
  "DELETE /v1/senders/:id": NO_CONTENT,
  "POST /v1/webhooks": {
    "201": ok("The webhook, its secret shown this once.", withLinks(createdWebhookData)),
  },
  "GET /v1/webhooks": { "200": ok("A page of its webhooks.", page(webhookData)) },
  "GET /v1/webhooks/:id": { "200": ok("The webhook.", withLinks(webhookData)) },
  "DELETE /v1/webhooks/:id": NO_CONTENT,
  "POST /v1/webhooks/:id/enable": { "200": ok("The webhook, enabled.", withLinks(webhookData)) },
  "POST /v1/webhooks/:id/disable": { "200": ok("The webhook, disabled.", withLinks(webhookData)) },
  "GET /v1/replies": { "200": ok("A page of the replies received.", page(replyData)) },
  "POST /v1/contact-lists": { "201": ok("The list.", withLinks(contactListData)) },
  "GET /v1/contact-lists/:id": { "200": ok("The list.", withLinks(contactListData)) },
  "PATCH /v1/contact-lists/:id": { "200": ok("The list, changed.", withLinks(contactListData)) },
  "GET /v1/contact-lists": { "200": ok("A page of its contact lists.", page(contactListData)) },
  "DELETE /v1/contact-lists/:id": NO_CONTENT,
  "DELETE /v1/contact-lists/:id/contacts/:number": NO_CONTENT,
  "GET /v1/account/countries": {
    "200": ok("The countries it may send to, and their usage.", countriesResource),
  },
  "GET /v1/account/sending-hours": { "200": ok("Its sending hours.", sendingHoursResource) },
  "PUT /v1/account/sending-hours": { "200": ok("Its sending hours, changed.", sendingHoursResource) },
  "GET /v1/account/statements": {
    "200": ok("Its monthly statements.", z.object({ data: z.array(statement) })),
  },
  "GET /v1/account/statements/:month": { "200": ok("A month's statement.", withData(statement)) },
  "POST /v1/subaccounts": { "201": ok("The sub-account.", withData(subAccountData)) },
  "GET /v1/subaccounts": { "200": ok("A page of its sub-accounts.", page(subAccountData)) },
  "GET /v1/subaccounts/:id": { "200": ok("The sub-account.", withData(subAccountData)) },
  "POST /v1/subaccounts/:id/credits": {
    "200": ok(
      "The sub-account, and the parent's balance after.",
      z.object({ data: subAccountData, meta: z.object({ parent_credits: z.number() }) }),
    ),
  },
  "GET /v1/subaccounts/:id/countries": { "200": ok("Its countries.", countriesResource) },
  "PUT /v1/subaccounts/:id/countries": { "200": ok("Its countries, changed.", countriesResource) },
  "GET /v1/subaccounts/:id/tokens": { "200": ok("A page of its tokens.", page(tokenData)) },
  "POST /v1/subaccounts/:id/tokens": {
    "201": ok("The token, its secret shown this once.", withData(createdTokenData)),
  },
  "DELETE /v1/subaccounts/:id/tokens/:tokenId": { "200": ok("The token, revoked.", withData(tokenData)) },
  "GET /v1/admin/accounts": { "200": ok("A page of the accounts.", page(adminAccountData)) },
  "POST /v1/admin/accounts": {
    "201": ok(
      "The account, and its first API token (shown once: only its hash is kept).",
      z.object({ data: adminAccountDetail, meta: z.object({ token: z.string() }) }),
    ),
  },
  "GET /v1/admin/accounts/:id": { "200": ok("The account.", withData(adminAccountDetail)) },
  "PATCH /v1/admin/accounts/:id": {
    "200": ok("The account, with its new settings.", withData(adminAccountDetail)),
  },
  "POST /v1/admin/accounts/:id/credits": {
    "200": ok("The account, with its new balance.", withData(adminAccountDetail)),
  },
  "GET /v1/admin/moderation": { "200": ok("A page of the batches held.", page(moderatedBatchData)) },
  "POST /v1/admin/batches/:id/approve": { "200": ok("The batch, approved.", withData(moderatedBatchData)) },
  "POST /v1/admin/batches/:id/reject": { "200": ok("The batch, rejected.", withData(moderatedBatchData)) },
  "GET /v1/admin/senders": {
    "200": ok("The senders asked for.", z.object({ data: z.array(adminSenderData) })),
  },
  "POST /v1/admin/senders/:id/approve": { "200": ok("The sender, approved.", withData(adminSenderData)) },
  "POST /v1/admin/senders/:id/refuse": { "200": ok("The sender, refused.", withData(adminSenderData)) },
  "GET /v1/webhooks/:id/deliveries": {
    "200": ok("A page of its delivery attempts.", page(webhookAttemptData)),
  },
  "GET /v1/batches/:id/stops": { "200": ok("A page of the STOPs among its replies.", page(replyData)) },
  "GET /v1/batches/:id/npai": {
    "200": ok("A page of its numbers found not to exist.", page(batchNpaiNumber)),
  },
  "GET /v1/batches/:id/links": { "200": ok("Its tracked links and their clicks.", batchLinks) },
  "GET /v1/contact-lists/:id/contacts": { "200": ok("A page of its contacts.", page(contactData)) },
  "POST /v1/contact-lists/:id/contacts": { "200": ok("The contacts added and updated.", contactsAdded) },
  "POST /v1/contact-lists/:id/clean": { "200": ok("What was removed.", contactListCleaned) },
  "POST /v1/contact-lists/:id/imports": { "202": ok("The import, queued.", withLinks(contactImportData)) },
  "GET /v1/contact-lists/:id/imports": { "200": ok("A page of its imports.", page(contactImportData)) },
  "GET /v1/contact-lists/:id/imports/:import_id": { "200": ok("The import.", withLinks(contactImportData)) },
  // A connector's callbacks, whatever its name (see declaredResponses).
  "POST /v1/providers/:connector/inbound": { "202": inboundStored },
  "GET /v1/providers/:connector/inbound": { "202": inboundStored },
  "POST /v1/providers/:connector/dlr": { "202": reportsQueued },
  "GET /v1/providers/:connector/dlr": { "202": reportsQueued },
  // SMSFactor's routes declare their answers beside them (`sfRoute`'s `answer`) but these,
  // and the document adds SMSFactor's error answer to each (see withSmsFactorErrors).
  "POST /smsfactor/batches": {
    "202": ok("Accepted, as `POST /v1/batches` answers (JSON unless XML is asked for).", batchAccepted),
  },
  "GET /smsfactor/batches/:id": {
    "200": ok("The batch and its counts, as `GET /v1/batches/:id` answers them.", withLinks(batchData)),
  },
  "GET /smsfactor/account/invoice/:id/download": { "200": text("A month's statement, as CSV.", "text/csv") },
  "POST /v1/lookup": {
    "200": ok(
      "What is known of each number.",
      z.object({ data: z.array(numberLookup), meta: z.object({ cost: z.number() }) }),
    ),
  },
};
