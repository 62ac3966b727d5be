import { newBatch, SalvoError, withOptOutMention } from "@salvo/core";
import type { Account, Batch } from "@salvo/db";
import { Router } from "express";
import { z } from "zod";
import { type BatchRequest, cancelBatch, createBatch, recipientCount } from "../services/batches";
import type { Idempotency } from "../services/idempotency";
import { MAX_SEND_RECIPIENTS, sendAndWait } from "../services/send";
import { marketingRules } from "../services/sending-hours";
import { simulateBatch } from "../services/simulate";
import {
  fromParisDateTime,
  oneOrMany,
  SF_MESSAGES,
  SF_STATUS,
  type SfAnswer,
  SmsFactorError,
  sfFlag,
  sfId,
  sfOk,
  sfRoute,
  zodDetails,
} from "./conventions";
import type { SmsFactorDeps } from "./router";

// ---------------------------------------------------------------------------
// Requests

/** A text field as SMSFactor's clients send it: a string, or a number (XML and forms give text anyway). */
const text = z.union([z.string(), z.number().transform(String)]);

/** `sms.message` of POST /send and /send/lists (reference §2.2, §2.3, §2.6). */
const message = z.object({
  text: text,
  pushtype: z.enum(["alert", "marketing"]).optional(),
  sender: text.optional(),
  delay: text.optional(),
  // Salvo picks the encoding from the text itself (GSM 03.38 when it fits, else UCS-2): read and ignored.
  unicode: sfFlag.optional(),
  links: oneOrMany(z.string()).optional(),
  // Third-party clients' flag (undocumented): shorten the text's URLs.
  shortlink: sfFlag.optional(),
});
type Message = z.output<typeof message>;

/** A recipient of POST /send: `{"value": "336…", "gsmsmsid": "100"}`, XML `<gsm gsmsmsid="100">336…</gsm>`, or a bare number. */
const gsm = z.union([
  text.transform((value) => ({ value, gsmsmsid: undefined })),
  z.object({ value: text, gsmsmsid: text.optional() }),
]);

const sendBody = z.object({
  sms: z.object({
    message,
    recipients: z.object({ gsm: oneOrMany(gsm).pipe(z.array(z.any()).min(1, "at least one recipient")) }),
  }),
});

const listsBody = z.object({
  sms: z.object({
    message,
    // `[{"value": "5a03…"}]`, `[{"value": 45190}]`, or bare ids.
    lists: oneOrMany(z.union([sfId, z.object({ value: sfId }).transform((list) => list.value)])).pipe(
      z.array(z.string()).min(1, "at least one list"),
    ),
  }),
});

/** The query of GET /send and GET /send/simulate (reference §2.1). */
const sendQuery = z.object({
  text: z.string(),
  to: z.union([z.string(), z.array(z.string())]),
  pushtype: z.enum(["alert", "marketing"]).optional(),
  delay: z.string().optional(),
  sender: z.string().optional(),
  gsmsmsid: z.string().optional(),
  unicode: sfFlag.optional(),
});

const ticketParams = z.object({ ticket: z.string().min(1).max(64) });

/** Salvo's names of a batch request's fields, as SMSFactor's requests name them (for -7 details). */
const SMSFACTOR_FIELDS: Record<string, string> = {
  from: "sms.message.sender",
  body: "sms.message.text",
  recipients: "sms.recipients.gsm",
  contact_lists: "sms.lists",
  send_at: "sms.message.delay",
  type: "sms.message.pushtype",
  links: "sms.message.links",
  shorten_urls: "sms.message.shortlink",
};

/** A -7's details in SMSFactor's names (`sms.recipients.gsm.0.gsmsmsid: …` for Salvo's `recipients.0.ref: …`). */
function inSmsFactorNames(details: string): string {
  const [path = "", ...rest] = details.split(": ");
  if (rest.length === 0) return details;
  const [field = "", ...inner] = path.split(".");
  const renamed = [
    SMSFACTOR_FIELDS[field] ?? field,
    ...inner.map((k) => ({ to: "value", ref: "gsmsmsid" })[k] ?? k),
  ];
  return [renamed.join("."), ...rest].join(": ");
}

/**
 * What an SMSFactor send asks for, as a Salvo batch request (POST /v1/batches'
 * body): `sender` → `from` (default: the account's newest approved sender),
 * `text` → `body`, `pushtype` → `type`, `delay` (Europe/Paris) → `send_at`,
 * each `gsmsmsid` → its message's `ref`, lists → `contact_lists`, `links` as they are.
 * `<-stop->` in an alert's text becomes the account's opt-out mention, as in a
 * marketing one (see marketingBody); without a mention it is removed.
 */
async function batchRequest(
  deps: SmsFactorDeps,
  account: Account,
  fields: Message,
  to: { recipients?: { value: string; gsmsmsid?: string }[]; lists?: string[] },
): Promise<BatchRequest> {
  const type = fields.pushtype === "marketing" ? "marketing" : "transactional";
  let body = fields.text;
  if (/<-stop->/i.test(body)) {
    const mention = (await marketingRules(deps, account.id)).optOutMention;
    // No mention set: the marker goes, rather than be sent as it is.
    if (mention === "") body = body.replace(/\s*<-stop->/gi, "");
    else if (type === "transactional") body = withOptOutMention(body, mention);
  }
  const request = {
    from: fields.sender || (await defaultSender(deps, account)),
    body,
    type,
    recipients: (to.recipients ?? []).map((r) => (r.gsmsmsid ? { to: r.value, ref: r.gsmsmsid } : r.value)),
    ...(to.lists ? { contact_lists: to.lists } : {}),
    ...(fields.delay ? { send_at: sendAtOf(fields.delay) } : {}),
    ...linksFor(body, fields.links),
    ...(fields.shortlink ? { shorten_urls: true } : {}),
  };
  const parsed = newBatch.safeParse(request);
  if (parsed.success) return parsed.data;
  const details = zodDetails(parsed.error);
  const code = details.startsWith("send_at") ? SF_STATUS.delay : SF_STATUS.data;
  throw new SmsFactorError(code, inSmsFactorNames(details));
}

/**
 * `links` for the text's `<-short->` markers, in order. Links beyond the markers
 * are left out, as SMSFactor's own example sends a link with a text that has no
 * marker; fewer links than markers is refused by Salvo's own rule (-7).
 */
function linksFor(text: string, links: string[] | undefined): { links?: string[] } {
  if (!links) return {};
  const markers = text.match(/<-short->/gi)?.length ?? 0;
  return markers === 0 ? {} : { links: links.length > markers ? links.slice(0, markers) : links };
}

/**
 * Runs a send (or its simulation), with a list that is not the account's, or
 * lists without contacts, answered -5 (SMSFactor's "contact list error").
 */
async function withListErrors<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    if (error instanceof SalvoError && error.field?.startsWith("contact_lists")) {
      throw new SmsFactorError(SF_STATUS.notFound, inSmsFactorNames(error.message));
    }
    throw error;
  }
}

/**
 * `delay` (`Y-m-d H:i:s` in Europe/Paris) as `send_at` (RFC 3339): not such a
 * date, or one that is not in the future, is -4 (newBatch checks the 90 days ahead).
 */
function sendAtOf(delay: string): string {
  const at = fromParisDateTime(delay);
  if (!at) {
    throw new SmsFactorError(
      SF_STATUS.delay,
      `delay: expected "Y-m-d H:i:s" in Europe/Paris time, e.g. "2026-12-24 09:00:00", got ${JSON.stringify(delay)}.`,
    );
  }
  if (at.getTime() <= Date.now()) throw new SmsFactorError(SF_STATUS.delay, `delay: ${delay} is past.`);
  return at.toISOString();
}

/** Without `sender`: the account's newest approved sender; none is -7 (Salvo has no shared sender). */
async function defaultSender(deps: SmsFactorDeps, account: Account): Promise<string> {
  const { senders } = await deps.store.senders.list(account.id, 1);
  const approved = senders.find((s) => s.state === "approved");
  if (!approved) {
    throw new SmsFactorError(
      SF_STATUS.data,
      "sender: required (this account has no approved sender to send from by default).",
    );
  }
  return approved.sender;
}

// ---------------------------------------------------------------------------
// Answers

/** The counters of a send's answer, as SMSFactor names them (Salvo's `flooded` is its `flood`). */
function counts(c: {
  total: number;
  sent: number;
  blacklisted: number;
  duplicated: number;
  npai: number;
  invalid: number;
  not_allowed: number;
  flooded: number;
  country_limit: number;
}) {
  return {
    total: c.total,
    sent: c.sent,
    blacklisted: c.blacklisted,
    duplicated: c.duplicated,
    npai: c.npai,
    invalid: c.invalid,
    not_allowed: c.not_allowed,
    flood: c.flooded,
    country_limit: c.country_limit,
  };
}

/**
 * A send's answer (reference §2.1): `ticket` (the batch id, a string), `cost`
 * (credits taken: spent, plus those still reserved for pending messages),
 * `credits` (the balance after), the counts. A batch not done yet (scheduled,
 * larger than a synchronous send, or past SEND_TIMEOUT_MS) also says `pending`
 * and where to poll (`links.self`, this API's GET /batches/:id).
 */
function sendAnswer(batch: Batch, credits: number): SfAnswer {
  const answer: SfAnswer = {
    ticket: batch.id,
    cost: batch.cost + batch.pending * batch.segments,
    credits,
    ...counts(batch),
  };
  if (batch.pending > 0) {
    answer.pending = batch.pending;
    answer.links = { self: `/smsfactor/batches/${batch.id}` };
  }
  if (batch.status === "moderation") {
    return {
      status: SF_STATUS.moderation,
      message: SF_MESSAGES[SF_STATUS.moderation],
      details: "Nothing is sent until an operator approves it (its credits stay reserved); do not retry.",
      ...answer,
    };
  }
  return answer;
}

/**
 * Sends as SMSFactor's synchronous API does: up to MAX_SEND_RECIPIENTS
 * recipients (those of the lists included), answered once every message is
 * judged and handed off (POST /v1/send's sendAndWait); more, answered as soon as
 * the batch is accepted, with `pending` and `links.self` to poll. Either way a
 * marketing send outside the sending hours is refused (-4), as /v1/send refuses it.
 */
async function send(
  deps: SmsFactorDeps,
  account: Account,
  request: BatchRequest,
  idempotency: Idempotency,
): Promise<SfAnswer> {
  const recipients = await recipientCount(deps.store, account.id, request);
  if (recipients <= MAX_SEND_RECIPIENTS) {
    const { batch, credits } = await sendAndWait(
      deps,
      account,
      request,
      idempotency,
      new AbortController().signal,
    );
    return sendAnswer(batch, credits);
  }
  const id = await createBatch(deps, account, request, idempotency, true, recipients);
  const batch = await deps.store.batches.find(account.id, id);
  const credits = (await deps.store.accounts.find(account.id))?.credits ?? 0;
  return sendAnswer(batch, credits);
}

/**
 * What the send would do (reference §2.4), no `ticket`: nothing stored, taken or
 * sent. `credits` is the balance it would leave. Refused as the send would be:
 * -3 without the credits it would reserve, -8 when it would be held for moderation.
 */
async function simulate(deps: SmsFactorDeps, account: Account, request: BatchRequest): Promise<SfAnswer> {
  const s = await simulateBatch(deps, account, request, true);
  if (!s.enoughCredits) {
    throw new SmsFactorError(
      SF_STATUS.credits,
      `This send needs ${s.reserved} credits up front and the account has ${s.credits}.`,
    );
  }
  const answer = { cost: s.cost, credits: s.creditsAfter, ...counts(s) };
  if (s.moderationReasons.length > 0) {
    return {
      status: SF_STATUS.moderation,
      message: SF_MESSAGES[SF_STATUS.moderation],
      details: "It would be held for moderation: nothing would be sent until an operator approves it.",
      ...answer,
    };
  }
  return answer;
}

/** The counts of a send's answer (see `counts`). */
const count = z.number().int();
const countFields = {
  total: count,
  sent: count,
  blacklisted: count,
  duplicated: count,
  npai: count,
  invalid: count,
  not_allowed: count,
  flood: count,
  country_limit: count,
};

/** A simulation's answer (`simulate`): no `ticket`. */
const simulatedFields = { cost: z.number(), credits: z.number(), ...countFields };

/** A send's answer (`sendAnswer`); `pending` and `links.self` while it is not done. */
const sentFields = {
  ticket: z.string(),
  ...simulatedFields,
  pending: z.number().int().optional(),
  links: z.object({ self: z.string() }).optional(),
};

/** Done (`status` 1), or held for moderation (-8, `details` saying so) with the same fields. */
const sendOrModeration = <T extends z.ZodRawShape>(fields: T) =>
  z.union([
    sfOk(fields),
    z.object({
      status: z.literal(SF_STATUS.moderation),
      message: z.string(),
      details: z.string(),
      ...fields,
    }),
  ]);

const sendAnswerSchema = sendOrModeration(sentFields);
const simulateAnswerSchema = sendOrModeration(simulatedFields);

// ---------------------------------------------------------------------------
// Routes

export function smsFactorSendRoutes(deps: SmsFactorDeps): Router {
  const router = Router();
  // POST sends honour Idempotency-Key as POST /v1/send does: they wait for the batch up to SEND_TIMEOUT_MS.
  const SEND_IDEMPOTENCY = { lockMs: deps.timeoutMs + 60_000 };

  // GET /send and GET /send/simulate: one message, in the query string.
  const fromQuery = (account: Account, query: z.output<typeof sendQuery>) => {
    const numbers = Array.isArray(query.to) ? query.to : [query.to];
    return batchRequest(deps, account, query, {
      recipients: numbers.map((value) => ({ value, gsmsmsid: query.gsmsmsid })),
    });
  };
  router.get(
    "/send",
    sfRoute({
      query: sendQuery,
      answer: sendAnswerSchema,
      handler: async ({ query, account, idempotency }) =>
        send(deps, account, await fromQuery(account, query), idempotency),
    }),
  );
  router.get(
    "/send/simulate",
    sfRoute({
      query: sendQuery,
      answer: simulateAnswerSchema,
      handler: async ({ query, account }) => simulate(deps, account, await fromQuery(account, query)),
    }),
  );

  // POST /send and /send/simulate: sms.message + sms.recipients.gsm[].
  const fromRecipients = (account: Account, body: z.output<typeof sendBody>) =>
    batchRequest(deps, account, body.sms.message, { recipients: body.sms.recipients.gsm });
  router.post(
    "/send",
    sfRoute({
      body: sendBody,
      answer: sendAnswerSchema,
      idempotent: SEND_IDEMPOTENCY,
      handler: async ({ body, account, idempotency }) =>
        send(deps, account, await fromRecipients(account, body), idempotency),
    }),
  );
  router.post(
    "/send/simulate",
    sfRoute({
      body: sendBody,
      answer: simulateAnswerSchema,
      handler: async ({ body, account }) => simulate(deps, account, await fromRecipients(account, body)),
    }),
  );

  // POST /send/lists and /send/lists/simulate: sms.message + sms.lists[] (Salvo contact list ids).
  const fromLists = (account: Account, body: z.output<typeof listsBody>) =>
    batchRequest(deps, account, body.sms.message, { lists: body.sms.lists });
  router.post(
    "/send/lists",
    sfRoute({
      body: listsBody,
      answer: sendAnswerSchema,
      idempotent: SEND_IDEMPOTENCY,
      handler: async ({ body, account, idempotency }) =>
        withListErrors(async () => send(deps, account, await fromLists(account, body), idempotency)),
    }),
  );
  router.post(
    "/send/lists/simulate",
    sfRoute({
      body: listsBody,
      answer: simulateAnswerSchema,
      handler: async ({ body, account }) =>
        withListErrors(async () => simulate(deps, account, await fromLists(account, body))),
    }),
  );

  // DELETE /send/:ticket: cancels a delayed send that has not started (reference §2.5).
  router.delete(
    "/send/:ticket",
    sfRoute({
      params: ticketParams,
      answer: sfOk({ credits: z.number() }),
      handler: async ({ params, account }) => {
        const before = await deps.store.batches.find(account.id, params.ticket);
        if (before.status !== "scheduled") {
          throw new SmsFactorError(
            SF_STATUS.data,
            `Campaign ${before.id} is ${before.status}: only a delayed campaign that has not started can be cancelled.`,
          );
        }
        const balance = async () => (await deps.store.accounts.find(account.id))?.credits ?? 0;
        await cancelBatch(deps, account.id, before.id);
        // `credits`: the balance after the refund, as the SDKs read it.
        return { credits: await balance() };
      },
    }),
  );

  return router;
}
