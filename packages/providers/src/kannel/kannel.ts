import { messageEncoding } from "@salvo/core";
import { z } from "zod";
import {
  HandoffExpiredError,
  type HandoffResult,
  type OutboundMessage,
  type ProviderContext,
  type ProviderState,
  type SendOptions,
  type SmsProvider,
} from "../provider";
import { dlrSignature } from "./callbacks";

/** A kannel connector's `settings`. */
export const kannelSettingsSchema = z.strictObject({
  /** smsbox's sendsms interface, e.g. `http://kannel:13013/cgi-bin/sendsms`. */
  sendsmsUrl: z.url({ protocol: /^https?$/ }),
  /** A `sendsms-user` of smsbox's configuration. */
  username: z.string().min(1),
  password: z.string().min(1),
  /**
   * Which DLRs Kannel calls back with (bits: 1 delivered, 2 undelivered, 4 buffered,
   * 8 SMSC accepted, 16 SMSC rejected). 19 = the final outcomes and the SMSC's refusal;
   * 4 and 8 change nothing in Salvo (the message is `sent` already).
   */
  dlrMask: z.number().int().min(0).max(31).default(19),
  /** The Salvo API's public base URL, as Kannel reaches it: dlr-urls point at `<it>/v1/providers/<connector>/dlr`. */
  callbackBaseUrl: z.url({ protocol: /^https?$/ }).transform((url) => url.replace(/\/+$/, "")),
  /**
   * Authenticates Kannel's calls: dlr-urls carry an HMAC of the message id under it,
   * the sms-service get-url carries it as `token`. Letters, digits, `-` and `_` only:
   * Kannel reads `%` in a URL as one of its escapes.
   */
  callbackSecret: z.string().regex(/^[\w-]{16,256}$/, "16 to 256 letters, digits, - or _"),
  /** Kannel's `smsc-id` to send through (`smsc=`); none: bearerbox routes. */
  smsc: z.string().min(1).optional(),
  /** The charset of `text` as sent to smsbox. */
  charset: z.enum(["UTF-8"]).default("UTF-8"),
  /** How long one sendsms call may take; past it the message is in doubt (counted `sent`). */
  timeoutMs: z.number().int().min(100).max(120_000).default(10_000),
  /** sendsms calls in flight at once, per worker process. */
  concurrency: z.number().int().min(1).max(256).default(8),
  /**
   * sendsms `validity`: how many minutes the SMSC keeps trying; none: the SMSC's
   * default. With both final DLRs asked for (`dlrMask` bits 1 and 2), a message
   * still without one this long after its hand-off (and EXPIRY_GRACE_MS) is
   * settled `undelivered`, reason `expired`.
   */
  validityMinutes: z.number().int().min(1).max(10_080, "at most 7 days").optional(),
});

type KannelSettings = z.output<typeof kannelSettingsSchema>;

/** Failures counted by `state()` over this window. */
const ERROR_WINDOW_MS = 60_000;

/** Network errors that say the request never reached smsbox: the message may be offered again. */
const NOT_CONNECTED = new Set(["ECONNREFUSED", "ENOTFOUND", "EHOSTUNREACH", "ENETUNREACH", "EAI_AGAIN"]);

/**
 * Sends through Kannel's smsbox `sendsms` interface, one GET per message: each
 * message has its own dlr-url (its id and signature), which sendsms cannot vary
 * between the recipients of one call. Long messages are left to Kannel, which
 * splits them into concatenated parts (the sendsms-user's `concatenation` and
 * `max-messages`, see docs/providers.md).
 */
export function createKannel(settings: KannelSettings, context: ProviderContext): SmsProvider {
  const { connector } = context;
  if (connector === undefined)
    throw new Error("the kannel provider runs as a connector (its dlr-url names it)");
  const dlrBase = `${settings.callbackBaseUrl}/v1/providers/${encodeURIComponent(connector)}/dlr`;
  const failures: number[] = [];
  let lastAnswerAt: number | undefined;
  let reachable = true;
  let closed = false;
  // sendsms calls in flight, across every send() of this connector in this process.
  let inFlight = 0;
  const waiting: (() => void)[] = [];
  const slot = async (): Promise<void> => {
    if (inFlight < settings.concurrency) inFlight++;
    // Handed over by `release` without leaving the count, so no newcomer slips in between.
    else await new Promise<void>((resolve) => waiting.push(resolve));
  };
  const release = (): void => {
    const next = waiting.shift();
    if (next) next();
    else inFlight--;
  };
  const sending = new Set<Promise<unknown>>();

  function sendsmsUrl(message: OutboundMessage): string {
    const url = new URL(settings.sendsmsUrl);
    const query = url.searchParams;
    query.set("username", settings.username);
    query.set("password", settings.password);
    query.set("from", message.from);
    query.set("to", message.to);
    query.set("text", message.body);
    query.set("charset", settings.charset);
    // As Salvo counts parts: GSM 03.38 (7-bit) or UCS-2; Kannel converts from `charset`.
    query.set("coding", messageEncoding(message.body) === "gsm7" ? "0" : "2");
    if (settings.smsc !== undefined) query.set("smsc", settings.smsc);
    if (settings.validityMinutes !== undefined) query.set("validity", String(settings.validityMinutes));
    if (settings.dlrMask > 0) {
      query.set("dlr-mask", String(settings.dlrMask));
      // Kannel fills in %d (the DLR type) and %A (the SMSC's reply) when it calls back.
      const sig = dlrSignature(settings.callbackSecret, message.id);
      query.set("dlr-url", `${dlrBase}?id=${message.id}&sig=${sig}&type=%d&reply=%A`);
    }
    return url.toString();
  }

  function failed(): void {
    const now = Date.now();
    failures.push(now);
    while (failures.length > 0 && failures[0]! < now - ERROR_WINDOW_MS) failures.shift();
  }

  async function sendOne(message: OutboundMessage): Promise<HandoffResult> {
    let response: Response;
    try {
      response = await fetch(sendsmsUrl(message), { signal: AbortSignal.timeout(settings.timeoutMs) });
    } catch (error) {
      failed();
      const code = (error as { cause?: { code?: string } }).cause?.code;
      if (code !== undefined && NOT_CONNECTED.has(code)) {
        reachable = false;
        return {
          id: message.id,
          accepted: false,
          temporary: true,
          reason: "provider_unreachable",
          providerCode: code,
        };
      }
      // Sent, maybe taken: in doubt, counted handed off so it is never sent twice.
      return { id: message.id, accepted: true };
    }
    reachable = true;
    lastAnswerAt = Date.now();
    const answer = (await response.text().catch(() => "")).trim().slice(0, 200);
    const status = response.status;
    // `0: Accepted for delivery`, `3: Queued for later delivery` (bearerbox down, stored by smsbox).
    if (status === 202 || (status === 200 && /^[03]:/.test(answer)))
      return { id: message.id, accepted: true };
    failed();
    const providerCode = `${status} ${answer}`.trim();
    if (status >= 500 || status === 429) {
      return { id: message.id, accepted: false, temporary: true, reason: "provider_busy", providerCode };
    }
    return { id: message.id, accepted: false, reason: "rejected_by_provider", providerCode };
  }

  return {
    name: "kannel",
    validityMs:
      settings.validityMinutes !== undefined && (settings.dlrMask & 0x03) === 0x03
        ? settings.validityMinutes * 60_000
        : undefined,
    async send(messages: OutboundMessage[], options: SendOptions = {}): Promise<HandoffResult[]> {
      if (closed) throw new Error("the kannel connector is closed");
      // Every message waits for a slot, then checks notAfter: the wait may be long
      // when other chunks are sending through this connector too.
      let started = 0;
      const all = Promise.all(
        messages.map(async (message): Promise<HandoffResult> => {
          await slot();
          try {
            if (options.notAfter !== undefined && Date.now() > options.notAfter) {
              // The claim on these messages may have passed on: hand nothing more off.
              return { id: message.id, accepted: false, temporary: true, reason: "handoff_expired" };
            }
            started++;
            return await sendOne(message);
          } finally {
            release();
          }
        }),
      );
      sending.add(all);
      const results = await all.finally(() => sending.delete(all));
      if (started === 0 && messages.length > 0) {
        throw new HandoffExpiredError("notAfter passed before the first sendsms call");
      }
      return results;
    },
    state(): ProviderState {
      const now = Date.now();
      return {
        up: reachable && !closed,
        detail: {
          lastAnswerAt: lastAnswerAt === undefined ? null : new Date(lastAnswerAt).toISOString(),
          errorsLastMinute: failures.filter((at) => at >= now - ERROR_WINDOW_MS).length,
          inFlight,
        },
      };
    },
    async close() {
      closed = true;
      await Promise.allSettled(sending);
    },
  };
}
