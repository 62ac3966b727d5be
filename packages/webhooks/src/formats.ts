// A webhook's format says how its events are written at delivery time. The
// outbox stores every event as Salvo writes it (`{"type", "timestamp", "data"}`);
// a webhook created for an SMSFactor or Sofy client gets the same event rendered
// as that platform posts it, so code written against it parses it unchanged.
// Rendering is a pure function of the stored event and facts that never change
// once the event is written (a message's ref and batch, a recipient's fields),
// so every retry posts the same bytes.
import { parisDateTime, parisIsoTime, withoutPlus } from "@salvo/core";

/** The event as the outbox stores it. */
interface StoredEvent {
  type: string;
  timestamp: string;
  data: Record<string, unknown>;
}

/** What the stored event does not say and a format needs, read at delivery (see loadEventFacts). */
export interface EventFacts {
  /** The account the event belongs to (SMSFactor's `account_id`). */
  accountId: string;
  /** The message the event is about (a reply's: the message it answers), when there is one. */
  message: {
    batchId: string;
    /** The client's own id for it (SMSFactor's `gsmsmsid`), null when none was given. */
    ref: string | null;
    /** The recipient's named fields (`info1`…), when asked for and it has some. */
    fields: Record<string, unknown> | null;
  } | null;
}

/**
 * SMSFactor's DLR status code for a Salvo message outcome (docs/webhooks.md,
 * "SMSFactor format"): `delivered` is 3; `undelivered` by its reason; `failed`
 * (refused by the provider at hand-off) by its reason.
 */
export function smsfactorDlrStatus(status: string, reason: string | null): number {
  if (status === "delivered") return 3;
  if (status === "undelivered") {
    switch (reason) {
      case "expired":
        return 12;
      case "unknown_subscriber":
        return 5;
      case "rejected":
        return 9;
      case "network_error":
        return 11;
      default:
        return 2;
    }
  }
  if (status === "failed") {
    switch (reason) {
      case "invalid_destination":
        return 5;
      case "invalid_sender":
        return 6;
      // No connector could take it (no live bind, throttled until it was too late).
      case "no_bind":
      case "throttled":
      case "handoff_expired":
        return 7;
      default:
        return 9;
    }
  }
  return 0;
}

/** `2018-01-16T11:55:12+01:00`, Paris time: how SMSFactor dates its DLR, MO and STOP requests. */
function smsfactorIsoTime(iso: string): string {
  return parisIsoTime(new Date(iso));
}

/** `2024-07-27 08:45:21`, Paris time: how SMSFactor dates a CLICKER request. */
function smsfactorLocalTime(iso: string): string {
  return parisDateTime(new Date(iso));
}

/** A number as SMSFactor and Sofy write it: E.164 without its `+`. */
/** A number of the event as SMSFactor writes them: without `+`; "" when there is none. */
function sfNumber(number: unknown): string {
  return typeof number === "string" ? withoutPlus(number) : "";
}

function text(value: unknown): string {
  return value === null || value === undefined ? "" : String(value);
}

/** A recipient's `infoN` field as SMSFactor's CLICKER writes it: "" when it has none. */
function info(facts: EventFacts, n: number): string {
  return text(facts.message?.fields?.[`info${n}`]);
}

/** A country code from an E.164 number, as the DLR's `country_code`: read by `countryOf`. */
type CountryOf = (e164: string) => string | undefined;

/**
 * The SMSFactor body of an event, or null when SMSFactor has no such request
 * (the event is then posted in Salvo's format). See docs/webhooks.md.
 */
function smsfactorBody(event: StoredEvent, facts: EventFacts, countryOf: CountryOf): object | null {
  const { data } = event;
  const ref = facts.message?.ref ?? null;
  switch (event.type) {
    case "dlr":
      return {
        date: smsfactorIsoTime(text(data.at) || event.timestamp),
        status: smsfactorDlrStatus(text(data.status), (data.reason as string | null) ?? null),
        destination: sfNumber(data.to),
        message_id: ref,
        campaign_id: facts.message?.batchId ?? null,
        country_code: countryOf(text(data.to)) ?? null,
      };
    case "mo":
      return {
        date: smsfactorIsoTime(text(data.received_at) || event.timestamp),
        message: text(data.body),
        from: sfNumber(data.from),
        account_id: facts.accountId,
        last_message_id: ref,
      };
    case "stop":
      return {
        date: smsfactorIsoTime(text(data.at) || event.timestamp),
        message: text(data.body) || "STOP",
        from: sfNumber(data.number),
        account_id: facts.accountId,
        last_message_id: ref,
      };
    case "message.clicked":
      return {
        campaign_id: facts.message?.batchId ?? null,
        gsmsid: ref,
        date: smsfactorLocalTime(text(data.at) || event.timestamp),
        long_url: text(data.url),
        short_url: text(data.short_url),
        brand: text(data.brand),
        model: text(data.model),
        os: text(data.os),
        info1: info(facts, 1),
        info2: info(facts, 2),
        info3: info(facts, 3),
        info4: info(facts, 4),
        clicks_on_link: text(data.clicks ?? 1),
      };
    case "balance.low":
      return {
        date: smsfactorIsoTime(text(data.at) || event.timestamp),
        account_id: facts.accountId,
        credits: text(data.balance),
        threshold: text(data.threshold),
      };
    default:
      return null;
  }
}

/** The Sofy body of an `sms.status` event: the message as `POST /v1/sms` answers it, now. */
function sofyBody(event: StoredEvent): object | null {
  if (event.type !== "sms.status") return null;
  const { data } = event;
  return {
    id: data.id,
    from: data.from,
    to: sfNumber(data.to),
    shortenUrls: data.shortenUrls,
    isTransactional: data.isTransactional,
    status: data.status,
    statusReason: data.statusReason,
    event: "sms.status",
    updatedAt: data.at,
  };
}

/**
 * The body to post for a stored event (its exact text) in a webhook's format:
 * Salvo's as stored; SMSFactor's or Sofy's where that platform has such a
 * request, else Salvo's.
 */
export function renderEvent(
  format: string,
  payload: string,
  facts: EventFacts,
  countryOf: CountryOf,
): string {
  if (format === "salvo") return payload;
  const event = JSON.parse(payload) as StoredEvent;
  const body = format === "smsfactor" ? smsfactorBody(event, facts, countryOf) : sofyBody(event);
  return body === null ? payload : JSON.stringify(body);
}

/**
 * Whether rendering an event in this format needs facts read from the database,
 * and which: the message (its ref and batch), and the recipient's fields too.
 */
export function factsNeeded(format: string, type: string): { message: boolean; fields: boolean } {
  if (format !== "smsfactor") return { message: false, fields: false };
  return {
    message: type === "dlr" || type === "mo" || type === "stop" || type === "message.clicked",
    fields: type === "message.clicked",
  };
}
