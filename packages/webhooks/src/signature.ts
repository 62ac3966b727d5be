// Standard Webhooks signatures (https://www.standardwebhooks.com): a consumer can
// verify ours with any of its libraries, given the secret shown when the webhook
// was created.
import { createHmac, randomBytes } from "node:crypto";

const SECRET_PREFIX = "whsec_";
const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;
/** The spec's bounds on the secret's key, in bytes. */
const MIN_KEY_BYTES = 24;
const MAX_KEY_BYTES = 64;

/** A new signing secret: `whsec_` and the base64 of 32 random bytes. */
export function generateWebhookSecret(): string {
  return SECRET_PREFIX + randomBytes(32).toString("base64");
}

/** Whether `value` is a Standard Webhooks secret: `whsec_` and the base64 of 24 to 64 bytes. */
export function isWebhookSecret(value: string): boolean {
  if (!value.startsWith(SECRET_PREFIX)) return false;
  const encoded = value.slice(SECRET_PREFIX.length);
  if (!BASE64.test(encoded) || encoded.length % 4 !== 0) return false;
  const key = Buffer.from(encoded, "base64");
  // Re-encoding catches what Buffer would silently drop (stray bits in the padding).
  return key.length >= MIN_KEY_BYTES && key.length <= MAX_KEY_BYTES && key.toString("base64") === encoded;
}

/**
 * The `webhook-signature` value: `v1,` and the base64 HMAC-SHA256 of
 * `${id}.${timestamp}.${payload}`, keyed with the secret's decoded bytes.
 */
export function signWebhook(secret: string, id: string, timestamp: number, payload: string): string {
  const key = Buffer.from(
    secret.startsWith(SECRET_PREFIX) ? secret.slice(SECRET_PREFIX.length) : secret,
    "base64",
  );
  const digest = createHmac("sha256", key).update(`${id}.${timestamp}.${payload}`).digest("base64");
  return `v1,${digest}`;
}

/** The Standard Webhooks headers of one attempt: the same id on every retry, this attempt's time. */
function webhookHeaders(
  secret: string,
  id: string,
  timestamp: number,
  payload: string,
): Record<"webhook-id" | "webhook-timestamp" | "webhook-signature", string> {
  return {
    "webhook-id": id,
    "webhook-timestamp": String(timestamp),
    "webhook-signature": signWebhook(secret, id, timestamp, payload),
  };
}

/**
 * SMSFactor's `X-SMSFactor-Signature` value: the hex HMAC-SHA256 of the raw body,
 * keyed with the signature text the webhook was given (its UTF-8 bytes).
 * SMSFactor does not document its algorithm; this is Salvo's choice, documented
 * in docs/webhooks.md.
 */
export function smsfactorSignature(signature: string, payload: string): string {
  return createHmac("sha256", Buffer.from(signature, "utf8")).update(payload).digest("hex");
}

/**
 * The headers of one attempt in a webhook's format. Salvo's and Sofy's: Standard
 * Webhooks'. SMSFactor's: the event's id and this attempt's time (unsigned, for
 * deduplication) and, when the webhook has a signature, `X-SMSFactor-Signature`.
 */
export function formatHeaders(
  format: string,
  secret: string,
  id: string,
  timestamp: number,
  payload: string,
): Record<string, string> {
  if (format !== "smsfactor") return webhookHeaders(secret, id, timestamp, payload);
  return {
    "webhook-id": id,
    "webhook-timestamp": String(timestamp),
    ...(secret === "" ? {} : { "x-smsfactor-signature": smsfactorSignature(secret, payload) }),
  };
}
