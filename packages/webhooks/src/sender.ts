// One HTTP attempt to deliver a webhook event, judged as the attempt log shows it.
import { StringDecoder } from "node:string_decoder";
import { Agent, request } from "undici";
import { checkAddressLiteral, DestinationRefusedError, publicOnlyLookup } from "./destination";
import { formatHeaders } from "./signature";

const USER_AGENT = "Salvo-Webhooks/1";

/** The most bytes of an answer's body kept (and shown in the deliveries log). */
const KEPT_ANSWER_BYTES = 1_024;
/** The most characters of an answer's Content-Type kept. */
const KEPT_CONTENT_TYPE_CHARS = 200;

/** How one attempt went: any 2xx is a delivery; anything else (3xx included) a failure. */
export interface AttemptOutcome {
  delivered: boolean;
  /** The status answered; null when there was no answer. */
  statusCode: number | null;
  durationMs: number;
  /** Why it failed ("HTTP 500", "timeout after 10000 ms", "connection refused", …), null when delivered. */
  error: string | null;
  /** The start of what the receiver answered; null when there was no (whole) answer. */
  response: AnswerStart | null;
}

/** The start of an answer, as the deliveries log keeps it. */
interface AnswerStart {
  /** The body's first KEPT_ANSWER_BYTES bytes as UTF-8 text (a character cut at the end dropped). */
  body: string;
  /** Whether the body was longer than what is kept. */
  truncated: boolean;
  contentType: string | null;
}

export interface WebhookDelivery {
  url: string;
  /** The event's id: the `webhook-id`, the same on every attempt. */
  id: string;
  /** The exact JSON body. */
  payload: string;
  secret: string;
  /** The webhook's format (WEBHOOK_FORMATS), which says how requests are signed; Salvo's when absent. */
  format?: string;
}

export interface WebhookSender {
  send(delivery: WebhookDelivery): Promise<AttemptOutcome>;
  close(): Promise<void>;
}

interface SenderOptions {
  /** The whole attempt, from connecting to the last byte of the answer read. */
  timeoutMs: number;
  /** Reach loopback and private addresses too (tests, or a trusted private network). */
  allowPrivateNetworks: boolean;
  /**
   * The most bytes of an answer read before the connection is dropped (a short
   * answer read to its end lets the connection be reused); only the first
   * KEPT_ANSWER_BYTES are kept.
   */
  maxAnswerBytes?: number;
}

/**
 * Posts signed webhook events over a shared connection pool. Redirects are not
 * followed (a 3xx is a failure: the destination must be the URL registered), at
 * most a few KB of an answer are read (its first KB kept), and unless private networks are allowed
 * every connection goes to a public address only.
 */
export function createWebhookSender(options: SenderOptions): WebhookSender {
  const maxAnswerBytes = options.maxAnswerBytes ?? 4_096;
  const agent = new Agent({
    connect: {
      timeout: options.timeoutMs,
      ...(options.allowPrivateNetworks ? {} : { lookup: publicOnlyLookup }),
    },
    headersTimeout: options.timeoutMs,
    bodyTimeout: options.timeoutMs,
    keepAliveTimeout: 4_000,
    // No cap per origin: a request queued behind others would spend its time
    // budget waiting. The worker's concurrency bounds the connections instead.
    connections: null,
  });

  async function send(delivery: WebhookDelivery): Promise<AttemptOutcome> {
    const started = performance.now();
    const elapsed = () => Math.round(performance.now() - started);
    const abort = new AbortController();
    const timer = setTimeout(() => abort.abort(), options.timeoutMs);
    try {
      const url = new URL(delivery.url);
      if (!options.allowPrivateNetworks) checkAddressLiteral(url);
      const timestamp = Math.floor(Date.now() / 1000);
      const answer = await request(url, {
        method: "POST",
        dispatcher: agent,
        signal: abort.signal,
        headers: {
          "content-type": "application/json",
          "user-agent": USER_AGENT,
          ...formatHeaders(
            delivery.format ?? "salvo",
            delivery.secret,
            delivery.id,
            timestamp,
            delivery.payload,
          ),
        },
        body: delivery.payload,
      });
      const { statusCode } = answer;
      const contentType = headerText(answer.headers["content-type"]);
      const response = { ...(await readStart(answer.body, maxAnswerBytes)), contentType };
      const delivered = statusCode >= 200 && statusCode < 300;
      const error = delivered
        ? null
        : statusCode >= 300 && statusCode < 400
          ? `HTTP ${statusCode} (redirects are not followed)`
          : `HTTP ${statusCode}`;
      return { delivered, statusCode, durationMs: elapsed(), error, response };
    } catch (error) {
      const reason = abort.signal.aborted ? `timeout after ${options.timeoutMs} ms` : describeError(error);
      return { delivered: false, statusCode: null, durationMs: elapsed(), error: reason, response: null };
    } finally {
      clearTimeout(timer);
    }
  }

  return { send, close: () => agent.close() };
}

/**
 * Reads at most `limit` bytes of an answer, keeping only its first
 * KEPT_ANSWER_BYTES (so a hostile receiver cannot make us hold more), then lets
 * the connection go: destroyed as soon as the answer is longer than `limit`.
 */
async function readStart(
  body: AsyncIterable<Buffer> & { destroy(): unknown },
  limit: number,
): Promise<{ body: string; truncated: boolean }> {
  const decoder = new StringDecoder("utf8");
  let text = "";
  let kept = 0;
  let read = 0;
  for await (const chunk of body) {
    read += chunk.length;
    if (kept < KEPT_ANSWER_BYTES) {
      const part = chunk.subarray(0, KEPT_ANSWER_BYTES - kept);
      kept += part.length;
      // write() holds back a character cut at the end of a chunk; one cut at the
      // limit is dropped (end() is never called).
      text += decoder.write(part);
    }
    if (read > limit) {
      body.destroy();
      break;
    }
  }
  // PostgreSQL's text cannot hold NUL.
  return { body: text.replaceAll("\u0000", "\uFFFD"), truncated: read > kept };
}

/** A header's value as text that PostgreSQL stores, at most KEPT_CONTENT_TYPE_CHARS; null when absent. */
function headerText(value: string | string[] | undefined): string | null {
  const text = Array.isArray(value) ? value.join(", ") : value;
  return text ? text.replaceAll("\u0000", "").slice(0, KEPT_CONTENT_TYPE_CHARS) : null;
}

const SYSTEM_ERRORS: Record<string, string> = {
  ECONNREFUSED: "connection refused",
  ECONNRESET: "connection reset",
  EHOSTUNREACH: "host unreachable",
  ENETUNREACH: "network unreachable",
  ENOTFOUND: "host not found",
  EAI_AGAIN: "DNS lookup failed",
  EPIPE: "connection closed while sending",
  UND_ERR_CONNECT_TIMEOUT: "connection timeout",
  UND_ERR_HEADERS_TIMEOUT: "timeout waiting for the answer's headers",
  UND_ERR_BODY_TIMEOUT: "timeout reading the answer",
  UND_ERR_SOCKET: "connection closed by the other side",
};

/** A short, secret-free text for a failed attempt, as users read it in the deliveries log. */
function describeError(error: unknown): string {
  if (error instanceof DestinationRefusedError) return error.message;
  // Connecting to several addresses fails with one error per address.
  const cause = error instanceof AggregateError && error.errors[0] ? error.errors[0] : error;
  const inner = (cause as { cause?: unknown })?.cause;
  if (inner instanceof DestinationRefusedError) return inner.message;
  for (const candidate of [cause, inner]) {
    const code = (candidate as { code?: unknown } | undefined)?.code;
    if (typeof code === "string") {
      if (SYSTEM_ERRORS[code]) return SYSTEM_ERRORS[code];
      if (code.startsWith("ERR_TLS") || code.includes("CERT") || code.startsWith("ERR_SSL"))
        return `TLS error: ${(candidate as Error).message}`;
    }
  }
  return cause instanceof Error ? cause.message.slice(0, 200) : "request failed";
}
