// One HTTP attempt to deliver a webhook event, judged as the attempt log shows it.
import { Agent, request } from "undici";
import { checkAddressLiteral, DestinationRefusedError, publicOnlyLookup } from "./destination";
import { formatHeaders } from "./signature";

const USER_AGENT = "Salvo-Webhooks/1";

/** How one attempt went: any 2xx is a delivery; anything else (3xx included) a failure. */
export interface AttemptOutcome {
  delivered: boolean;
  /** The status answered; null when there was no answer. */
  statusCode: number | null;
  durationMs: number;
  /** Why it failed ("HTTP 500", "timeout after 10000 ms", "connection refused", …), null when delivered. */
  error: string | null;
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
  /** The most bytes of an answer read before the connection is dropped. */
  maxAnswerBytes?: number;
}

/**
 * Posts signed webhook events over a shared connection pool. Redirects are not
 * followed (a 3xx is a failure: the destination must be the URL registered), at
 * most a few KB of an answer are read, and unless private networks are allowed
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
      await readSome(answer.body, maxAnswerBytes);
      const { statusCode } = answer;
      const delivered = statusCode >= 200 && statusCode < 300;
      const error = delivered
        ? null
        : statusCode >= 300 && statusCode < 400
          ? `HTTP ${statusCode} (redirects are not followed)`
          : `HTTP ${statusCode}`;
      return { delivered, statusCode, durationMs: elapsed(), error };
    } catch (error) {
      const reason = abort.signal.aborted ? `timeout after ${options.timeoutMs} ms` : describeError(error);
      return { delivered: false, statusCode: null, durationMs: elapsed(), error: reason };
    } finally {
      clearTimeout(timer);
    }
  }

  return { send, close: () => agent.close() };
}

/** Reads at most `limit` bytes of an answer, then lets the connection go. */
async function readSome(body: AsyncIterable<Buffer> & { destroy(): unknown }, limit: number): Promise<void> {
  let read = 0;
  for await (const chunk of body) {
    read += chunk.length;
    if (read > limit) {
      body.destroy();
      return;
    }
  }
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
