// The bodies of the API's requests, as zod schemas: the API parses with them, the
// SDK derives its request types from them (`z.input`), so the two cannot drift.
import { z } from "zod";
import { CONTACT_FIELD_NAME, MAX_CONTACT_FIELD_LENGTH, MAX_CONTACT_FIELDS } from "./contact-fields";
import { allowedCountries, countryLimits } from "./countries";
import { allowedIps } from "./ip-allow-list";
import { isCountryCode } from "./phone";
import { senderProblem } from "./senders";
import type { RecipientFields } from "./templates";
import { WEBHOOK_EVENT_TYPES, WEBHOOK_FORMATS } from "./webhook-events";

/**
 * PostgreSQL text cannot hold U+0000 (no SMS carries it either): a text stored
 * verbatim is refused with it, rather than failing a query with a 500.
 */
export const NUL = "\u0000";

/**
 * Whether PostgreSQL can store a text as it is: no NUL and no unpaired UTF-16
 * surrogate (JSON can carry one, UTF-8 cannot; node-postgres would silently turn
 * it into U+FFFD). Values stored or looked up verbatim are checked with it.
 */
export function isStorableText(text: string): boolean {
  return !text.includes(NUL) && !/\p{Surrogate}/u.test(text);
}

/** The most recipients one batch may have, its contact lists' contacts included. */
export const MAX_RECIPIENTS = 1_000_000;
const MAX_REF_LENGTH = 255;
const MAX_LISTED_NUMBERS = 100_000;

/** A recipient as a client writes it: a number, or a number with the client's own reference and its fields for the body's placeholders. */
export type Recipient = string | { to: string; ref?: string; fields?: Record<string, string> };
/** A recipient as parsed: the number, or the number, its reference and its fields (see RawRecipient in @salvo/db). */
type ParsedRecipient =
  | string
  | [to: string, ref: string]
  | [to: string, ref: string | null, fields: RecipientFields];

/** Why a recipient's `fields` cannot be taken, and where (the path under the recipient), or null: the contacts' rules. */
function fieldsProblem(fields: unknown): { path: (string | number)[]; message: string } | null {
  if (!fields || typeof fields !== "object" || Array.isArray(fields))
    return { path: ["fields"], message: 'expected an object of text values, e.g. {"first_name": "Ana"}' };
  const entries = Object.entries(fields);
  if (entries.length > MAX_CONTACT_FIELDS)
    return { path: ["fields"], message: `at most ${MAX_CONTACT_FIELDS} fields` };
  for (const [name, value] of entries) {
    if (!CONTACT_FIELD_NAME.test(name))
      return {
        path: ["fields", name],
        message: "not a field name: a letter, then letters, digits or _ (at most 32 characters)",
      };
    if (typeof value !== "string" || value.length > MAX_CONTACT_FIELD_LENGTH || !isStorableText(value))
      return {
        path: ["fields", name],
        message: `expected a text of at most ${MAX_CONTACT_FIELD_LENGTH} characters, without NUL characters or unpaired surrogates`,
      };
  }
  return null;
}

/**
 * Recipients are checked for shape only (a string, or `{to, ref?, fields?}`): whether a
 * number is valid is for the workers to judge and count, never a reason to refuse
 * the batch. A plain loop rather than a zod union: it runs up to a million times
 * while the client waits.
 */
const recipients = z
  .array(z.unknown())
  .max(MAX_RECIPIENTS, `at most ${MAX_RECIPIENTS} recipients per batch`)
  .transform((list, ctx) => {
    const out: ParsedRecipient[] = new Array(list.length);
    for (let i = 0; i < list.length; i++) {
      const item = list[i];
      if (typeof item === "string") {
        out[i] = item;
        continue;
      }
      if (item && typeof item === "object" && !Array.isArray(item)) {
        const { to, ref, fields, ...rest } = item as Record<string, unknown>;
        const extra = Object.keys(rest)[0];
        const fieldsIssue = fields === undefined ? null : fieldsProblem(fields);
        const problem =
          typeof to !== "string"
            ? { path: [i, "to"], message: "expected a phone number string" }
            : ref !== undefined &&
                (typeof ref !== "string" || ref.length > MAX_REF_LENGTH || ref.includes(NUL))
              ? {
                  path: [i, "ref"],
                  message: `expected a string of at most ${MAX_REF_LENGTH} characters, without NUL`,
                }
              : fieldsIssue
                ? { path: [i, ...fieldsIssue.path], message: fieldsIssue.message }
                : extra !== undefined
                  ? { path: [i, extra], message: "unknown field" }
                  : null;
        if (!problem) {
          out[i] =
            fields !== undefined
              ? [to as string, (ref as string | undefined) ?? null, fields as RecipientFields]
              : ref === undefined
                ? (to as string)
                : [to as string, ref as string];
          continue;
        }
        ctx.addIssue({ code: "custom", ...problem });
        return z.NEVER;
      }
      ctx.addIssue({
        code: "custom",
        path: [i],
        message: 'expected "number" or {"to": "number", "ref": "…", "fields": {…}}',
      });
      return z.NEVER;
    }
    return out;
  }) as unknown as z.ZodType<ParsedRecipient[], Recipient[]>; // what the loop accepts, for clients' types

/** The most contact lists one batch may be sent to. */
const MAX_BATCH_CONTACT_LISTS = 10;

/** `contact_lists` of a batch: ids of the account's lists (checked when the batch is accepted), each once. */
const contactLists = z
  .array(z.string().min(1).max(64).refine(isStorableText, "not a contact list id"))
  .min(1, "at least one contact list id (or leave contact_lists out)")
  .max(MAX_BATCH_CONTACT_LISTS, `at most ${MAX_BATCH_CONTACT_LISTS} contact lists per batch`)
  .refine((ids) => new Set(ids).size === ids.length, "each contact list at most once");

/** A sender id: 1 to 11 letters and digits, or a number of up to 15 digits. */
export const sender = z
  .string()
  .regex(/^(?:[A-Za-z0-9]{1,11}|\+?[0-9]{1,15})$/, "1 to 11 letters and digits, or up to 15 digits");

/** The body of `POST /v1/senders`: a sender id to register (see `senderProblem`). */
export const newSender = z.strictObject({
  sender: z.string().superRefine((text, ctx) => {
    const problem = senderProblem(text);
    if (problem) ctx.addIssue({ code: "custom", message: problem });
  }),
});

/** A message text as sent: 1 to 1,600 characters, no NUL. */
const messageBody = z
  .string()
  .min(1, "the message body is empty")
  .refine((body) => !body.includes(NUL), "the message body contains a NUL character")
  .refine((body) => [...body].length <= 1_600, "at most 1,600 characters");

/** How far ahead a batch or message may be scheduled. */
const MAX_SCHEDULE_DAYS = 90;

/**
 * `send_at`: when to start sending, an RFC 3339 date-time with its offset (`Z` or
 * `+02:00`), later than now and at most MAX_SCHEDULE_DAYS ahead. Parsed to a Date.
 * "Now" is the API's clock when the request is parsed.
 */
const sendAt = z
  .string()
  .pipe(
    z.iso.datetime({
      offset: true,
      message: "expected an RFC 3339 date-time with its offset, e.g. 2026-12-24T09:00:00+01:00",
    }),
  )
  .transform((text) => new Date(text))
  .superRefine((date, ctx) => {
    const now = Date.now();
    if (date.getTime() <= now) ctx.addIssue({ code: "custom", message: "must be in the future" });
    else if (date.getTime() > now + MAX_SCHEDULE_DAYS * 86_400_000)
      ctx.addIssue({ code: "custom", message: `at most ${MAX_SCHEDULE_DAYS} days ahead` });
  });

/** How long a batch's `name` may be, in characters. */
const MAX_BATCH_NAME = 100;

/** A batch's `name`: trimmed, at most MAX_BATCH_NAME characters; empty once trimmed means none. */
const batchName = z
  .string()
  .trim()
  .refine((name) => [...name].length <= MAX_BATCH_NAME, `at most ${MAX_BATCH_NAME} characters`)
  .refine(isStorableText, "text without NUL characters or unpaired surrogates")
  .transform((name) => name || undefined);

/** An RFC 3339 date-time with its offset, parsed to a Date. */
const dateTime = z
  .string()
  .pipe(
    z.iso.datetime({
      offset: true,
      message: "expected an RFC 3339 date-time with its offset, e.g. 2026-12-24T09:00:00+01:00",
    }),
  )
  .transform((text) => new Date(text));

/**
 * The filters of `GET /v1/batches` (beside `status` and `page`); every one given
 * must match. `q`: a piece of the batch's `name`, case-insensitive.
 */
export const batchFilters = z.object({
  created_after: dateTime.optional(),
  created_before: dateTime.optional(),
  type: z.enum(["transactional", "marketing"]).optional(),
  from: sender.optional(),
  q: z
    .string()
    .trim()
    .min(1, "empty")
    .refine((q) => [...q].length <= MAX_BATCH_NAME, `at most ${MAX_BATCH_NAME} characters`)
    .refine(isStorableText, "text without NUL characters or unpaired surrogates")
    .optional(),
});

/** The body of `POST /v1/batches` (and of `POST /v1/send`). */
export const newBatch = z
  .strictObject({
    /** A name or label to find it again by (`q` of GET /v1/batches); shown as `name`. */
    name: batchName.optional(),
    from: sender,
    body: messageBody,
    /** Numbers, or objects with `fields` for the body's placeholders; JSON recipients come before the lists' contacts. */
    recipients: recipients.default([]),
    /** The account's contact lists whose contacts (number and fields) are sent to, as they are at acceptance. */
    contact_lists: contactLists.optional(),
    /** ISO 3166 alpha-2, for national-format numbers; default: the account's. */
    country: z
      .string()
      .transform((code) => code.toUpperCase())
      .refine(isCountryCode, "expected an ISO 3166 alpha-2 country code, e.g. FR")
      .optional(),
    type: z.enum(["transactional", "marketing"]).default("transactional"),
    /** When to start sending (see `sendAt`); absent: at once. */
    send_at: sendAt.optional(),
    /** Every http(s) URL of the body becomes a tracked short link, one per recipient (see links.ts). */
    shorten_urls: z.boolean().default(false),
    /** SMSFactor's short links: the i-th `<-short->` of the body becomes a tracked short link to links[i]. */
    links: z.array(z.string()).max(100).optional(),
  })
  .superRefine((batch, ctx) => {
    if (batch.recipients.length === 0 && !batch.contact_lists)
      ctx.addIssue({
        code: "custom",
        path: ["recipients"],
        message: "at least one recipient is required (or contact_lists)",
      });
  });

/** The body of `POST /v1/sms`: one message. */
export const newSms = z.strictObject({
  from: sender,
  /** Any national (read with the account's default country) or international format. */
  to: z.string(),
  body: messageBody,
  shortenUrls: z.boolean().default(false),
  // As a batch's `type`: transactional unless said otherwise.
  isTransactional: z.boolean().default(true),
  /** When to send it, as a batch's `send_at` (Sofy's contract names no such field). */
  send_at: sendAt.optional(),
});

/** The body of `POST /v1/blacklist` and `POST /v1/npai`. */
export const newListedNumbers = z.strictObject({
  numbers: z.array(z.string()).min(1).max(MAX_LISTED_NUMBERS),
});

/** The body of `POST /v1/tokens`. */
export const newToken = z.strictObject({
  label: z
    .string()
    .trim()
    .max(100)
    .refine(isStorableText, "text without NUL characters or unpaired surrogates")
    .default(""),
  /** The addresses or CIDR ranges it may be used from; none (null, empty): any. */
  allowed_ips: allowedIps.default(null),
});

/** The most balance alerts an account may set. */
const MAX_BALANCE_ALERTS = 10;

/**
 * The body of `PUT /v1/account/balance-alerts`: thresholds in credits (an empty
 * list: no alerts), and where alerts go besides webhooks: by e-mail to `email`,
 * by SMS to `phone`. Each field absent is kept as it is; null or "" clears an
 * address or number.
 */
export const balanceAlerts = z.strictObject({
  thresholds: z
    .array(z.number().int("expected a whole number of credits").min(0).max(2_147_483_647))
    .max(MAX_BALANCE_ALERTS, `at most ${MAX_BALANCE_ALERTS} thresholds`)
    .refine((thresholds) => new Set(thresholds).size === thresholds.length, "each threshold at most once")
    .optional(),
  email_enabled: z.boolean().optional(),
  email: z.string().max(254).nullable().optional(),
  sms_enabled: z.boolean().optional(),
  phone: z.string().max(64).nullable().optional(),
});

/**
 * The body of `POST /v1/webhooks`, as far as it can be checked without the
 * network or secrets: the API extends `url` and `secret` with @salvo/webhooks'
 * rules (a URL it may post to, a Standard Webhooks secret).
 */
export const newWebhook = z.strictObject({
  /** `https://` (or `http://`), at most 2,048 characters, on a public address. */
  url: z.string(),
  events: z
    .array(z.enum(WEBHOOK_EVENT_TYPES))
    .min(1, `at least one of ${WEBHOOK_EVENT_TYPES.join(", ")}`)
    .refine((events) => new Set(events).size === events.length, "each event type at most once"),
  /** A Standard Webhooks secret (`whsec_…`); one is generated when omitted. */
  secret: z.string().optional(),
  /**
   * How its requests are written (see WEBHOOK_FORMATS). When omitted: Sofy's for a
   * webhook of Sofy's one event (`{"url", "events": ["sms.status"]}`, Sofy's own
   * request), else Salvo's.
   */
  format: z.enum(WEBHOOK_FORMATS).optional(),
});

/** The most credits a balance may hold (PostgreSQL's integer). */
const MAX_CREDITS = 2_147_483_647;

/** The body of `POST /v1/subaccounts`: `credits` are moved from the parent. */
export const newSubAccount = z.strictObject({
  name: z
    .string()
    .trim()
    .min(1)
    .max(100)
    .refine(isStorableText, "text without NUL characters or unpaired surrogates"),
  credits: z.number().int().min(0).max(MAX_CREDITS).default(0),
});

/** The body of `POST /v1/subaccounts/:id/credits`: positive moves credits in, negative back to the parent. */
export const creditTransfer = z.strictObject({
  amount: z
    .number()
    .int()
    .min(-MAX_CREDITS)
    .max(MAX_CREDITS)
    .refine((amount) => amount !== 0, "a non-zero whole number of credits"),
});

const accountName = z
  .string()
  .trim()
  .min(1)
  .max(100)
  .refine(isStorableText, "text without NUL characters or unpaired surrogates");

const countryCodeField = z
  .string()
  .transform((code) => code.trim().toUpperCase())
  .refine(isCountryCode, "expected an ISO 3166 alpha-2 country code, e.g. FR");

/**
 * The body of `POST /v1/admin/accounts` (an operator's, as `salvo accounts
 * create`): the account's name, its first credits, its API rate limit and
 * default country (unset: 15 a second, FR).
 */
export const newAccount = z.strictObject({
  name: accountName,
  credits: z.number().int().min(0).max(MAX_CREDITS).default(0),
  api_requests_per_second: z.number().int().min(1).max(100_000).optional(),
  default_country: countryCodeField.optional(),
});

/**
 * The body of `PATCH /v1/admin/accounts/:id` (as `salvo accounts update`): each
 * field given is set, the others stay. Null: unlimited (`messages_per_second`),
 * or the parent's, then the default (`allowed_countries`, `monthly_limits`,
 * `require_registered_sender`). `monthly_limits` replaces every limit (`{}`:
 * none, whatever the parent's).
 */
export const accountChanges = z.strictObject({
  name: accountName.optional(),
  api_requests_per_second: z.number().int().min(1).max(100_000).optional(),
  messages_per_second: z.number().int().min(1).max(1_000_000).nullable().optional(),
  default_country: countryCodeField.optional(),
  max_per_recipient_per_hour: z.number().int().min(1).max(100_000).optional(),
  max_same_body_per_recipient_per_hour: z.number().int().min(1).max(100_000).optional(),
  require_registered_sender: z.boolean().nullable().optional(),
  allowed_countries: allowedCountries.nullable().optional(),
  monthly_limits: countryLimits.nullable().optional(),
});

const operatorReason = z
  .string()
  .trim()
  .min(1)
  .max(500)
  .refine(isStorableText, "text without NUL characters or unpaired surrogates");

/** The body of `POST /v1/admin/batches/:id/reject`: the reason the account reads (optional). */
export const batchRejection = z.strictObject({ reason: operatorReason.optional() });

/** The body of `POST /v1/admin/senders/:id/refuse`: the reason the account reads. */
export const senderRefusal = z.strictObject({ reason: operatorReason });
