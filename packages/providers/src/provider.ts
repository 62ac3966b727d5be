import type { z } from "zod";

/** One SMS to hand to a provider. `id` is Salvo's message id, unique and stable across retries. */
export interface OutboundMessage {
  id: string;
  /** E.164, e.g. `+33612345678`. */
  to: string;
  /** Sender id: 1-11 alphanumeric characters or up to 15 digits. */
  from: string;
  body: string;
}

/** What the provider said at hand-off, for one message. */
export interface HandoffResult {
  id: string;
  /**
   * true: handed off (the message is `sent`). false: not handed off; with
   * `temporary`, the provider did not take it (throttled, queue full, no live
   * link) and it may be offered again, here later or to the next connector of
   * its route; without, it was refused for good (`failed`, credits refunded).
   */
  accepted: boolean;
  /** With `accepted: false`: nothing was handed off and the message may be offered again. */
  temporary?: boolean;
  /** The provider's own id for the message, when it has one. */
  providerMessageId?: string;
  /** Why it was refused, e.g. `rejected_by_provider`. */
  reason?: string;
  /** The provider's raw error code for a refusal (e.g. an SMPP `command_status`), kept for support. */
  providerCode?: string;
}

/** A connector's live state, for routing (a connector that is not `up` is skipped) and for operators. */
export interface ProviderState {
  /** It can take messages now (e.g. at least one SMPP bind is up). */
  up: boolean;
  /** Provider-specific figures: binds up, window in use, errors in the last minute… */
  detail?: Record<string, string | number | boolean | null>;
}

/**
 * Which message a report is about: Salvo's id, or, for providers whose reports name
 * only their own id (SMPP receipts), the provider's id recorded at hand-off.
 */
type ReportedMessage =
  | { /** Salvo's message id. */ messageId: string; providerMessageId?: undefined }
  | {
      messageId?: undefined;
      /** The provider's id as its report writes it (the connector reporting it scopes it). */
      providerMessageId: string;
      /** Other spellings of the same id the provider may have used at hand-off (hex ↔ decimal). */
      equivalentIds?: string[];
    };

/** A delivery report (DLR), in Salvo's terms whatever the provider's protocol. */
export type DeliveryReport = ReportedMessage & {
  status: "delivered" | "undelivered";
  /** For `undelivered`: `unknown_subscriber`, `rejected`, `expired`, `network_error`, … */
  reason?: string;
  /** The provider's raw status or error code, kept for support. */
  providerCode?: string;
  at: Date;
};

/** An SMS received by the provider (MO): a reply, or a STOP. */
export interface InboundMessage {
  /** The sender's number, international, with or without its `+` (as providers write it). */
  from: string;
  /** The sender id or number it was sent to. */
  to: string;
  body: string;
  /**
   * For one part of a long message (concatenated SMS) that the provider does not
   * join itself: Salvo holds it until every part is in, then records the message
   * once, with the parts' texts joined in order.
   */
  part?: { reference: number; total: number; number: number };
  /**
   * For a one-part message of a protocol that gives it no id (SMPP): the same text
   * from the same sender to the same recipient, recorded through the same connector
   * within this many milliseconds, is the upstream's resend and changes nothing.
   * Absent: every message is recorded.
   */
  resendWindowMs?: number;
}

/** What a provider needs from Salvo: ways to hand delivery reports and received messages back. */
export interface ProviderContext {
  /**
   * The connector's name, which names its callback paths in the API
   * (`/v1/providers/<connector>/…`); absent outside a connector.
   */
  readonly connector?: string;
  /**
   * Delivers reports to Salvo's DLR path, after `delayMs` (durably: the reports
   * survive a crash of the process that scheduled them).
   */
  reportDeliveries(reports: DeliveryReport[], delayMs: number): Promise<void>;
  /**
   * Records received messages (MO) as the API's callbacks do: each is stored, a STOP
   * blacklists its sender, and webhook events are written. Resolves once they are
   * stored (a part, once held), so a provider acknowledges them to its upstream only then.
   */
  reportInbound(messages: InboundMessage[]): Promise<void>;
  /**
   * Tells operators of a problem the provider cannot report through a send (a
   * connection that fails its TLS handshake, a bind refused): the worker logs it.
   */
  problem?(description: string): void;
}

/** How one `send` call may be made. */
export interface SendOptions {
  /**
   * Epoch milliseconds after which the call must hand nothing off: by then the
   * caller's claim on these messages (its job lock) may have passed to another
   * worker, which may be sending them itself. A provider checks it as late as it
   * can, just before the messages leave (after any wait for a connection, a
   * window slot or its own latency), and throws HandoffExpiredError instead.
   */
  notAfter?: number;
}

/** Thrown by `send` when `notAfter` had passed before anything was handed off. */
export class HandoffExpiredError extends Error {
  override name = "HandoffExpiredError";
}

/**
 * An SMS provider adapter. Workers call `send` with groups of messages and never
 * hand the same message id to `send` twice unless `received` (when the provider
 * supports it) says the provider never got it.
 */
export interface SmsProvider {
  readonly name: string;
  send(messages: OutboundMessage[], options?: SendOptions): Promise<HandoffResult[]>;
  /**
   * What the provider answered for those of these message ids it has already
   * received, so that after a crash between hand-off and bookkeeping a message is
   * neither lost nor sent twice. Providers that cannot tell leave it undefined.
   */
  received?(ids: string[]): Promise<Map<string, HandoffResult>>;
  /** Its live state; a provider without one is always up. */
  state?(): ProviderState;
  /**
   * Set by a provider that asks its upstream for a final report of every message
   * and tells it how long to keep trying (SMPP's validity_period): past this long
   * after its hand-off (and the worker's EXPIRY_GRACE_MS), a message still `sent`
   * will never hear more and is settled `undelivered`, reason `expired`.
   */
  readonly validityMs?: number;
  /** Stops taking messages, lets those in flight finish (an SMPP window drains), then disconnects. */
  close(): Promise<void>;
}

/**
 * A provider as Salvo knows it: its name, the zod schema of a connector's `settings`
 * (checked at boot, before `create`), and, when the provider calls Salvo back over
 * HTTP with received messages, the schema of that callback's body, which turns it
 * into an InboundMessage (the API answers 400 naming the field it refuses).
 */
export interface ProviderDefinition<Settings = unknown> {
  readonly name: string;
  readonly settingsSchema: z.ZodType<Settings>;
  /** Async so that providers holding a connection (an SMPP bind) fail at boot, not at the first send. */
  create(settings: Settings, context: ProviderContext): SmsProvider | Promise<SmsProvider>;
  readonly inboundSchema?: z.ZodType<InboundMessage>;
  /** When its upstream calls Salvo with GET (or POST) and query-string parameters, as Kannel does. */
  readonly callbacks?: ProviderCallbacks<Settings>;
  /**
   * Its delivery reports name the provider's message id, not Salvo's: workers then
   * record each accepted message's `providerMessageId` so reports can be matched.
   */
  readonly reportsByProviderId?: boolean;
}

/** A callback's query-string parameters, as Express parses them. */
export type CallbackQuery = Record<string, unknown>;

/**
 * Callbacks an upstream makes with query-string parameters: the API mounts
 * `GET` and `POST /v1/providers/<connector>/dlr` (with `deliveryReports`) and
 * `…/inbound` (with `inbound`; a provider has this or `inboundSchema`, not both),
 * checks `authenticate` first (401 otherwise), then parses the query (400 naming
 * the field it refuses).
 */
export interface ProviderCallbacks<Settings> {
  /** Whether the call comes from this connector's upstream (a secret it carries, compared in constant time). */
  authenticate(settings: Settings, call: { path: "dlr" | "inbound"; query: CallbackQuery }): boolean;
  /** A DLR callback's query → the reports it carries; none: acknowledged, nothing to apply (an interim notice). */
  readonly deliveryReports?: z.ZodType<DeliveryReport[]>;
  /** An MO callback's query → the message received. */
  readonly inbound?: z.ZodType<InboundMessage>;
}

/** Types a provider's definition (its `create` gets its own settings' type). */
export function defineProvider<Settings>(
  definition: ProviderDefinition<Settings>,
): ProviderDefinition<Settings> {
  return definition;
}
