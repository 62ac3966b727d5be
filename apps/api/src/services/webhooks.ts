import { InvalidParameterError, newId, type WebhookFormat } from "@salvo/core";
import type { Account, Store, Webhook } from "@salvo/db";
import {
  checkDestination,
  DestinationRefusedError,
  generateWebhookSecret,
  type SecretBox,
} from "@salvo/webhooks";
import type { Idempotency } from "./idempotency";

export interface WebhookDeps {
  store: Store;
  allowPrivateNetworks: boolean;
  /** Seals secrets as stored (WEBHOOK_SECRET_KEYS). */
  secrets: SecretBox;
}

/**
 * The format of a webhook created without one: Sofy's for Sofy's own request
 * (`"events": ["sms.status"]`), so a Sofy client gets the requests it parses.
 */
function defaultFormat(events: string[]): WebhookFormat {
  return events.length === 1 && events[0] === "sms.status" ? "sofy" : "salvo";
}

/**
 * Creates a webhook for the account, posting to `url` (which must resolve to a
 * public address unless private networks are allowed). Returns it with its
 * signing secret, the one given or a new one; a retry of a request that stored
 * it already gets the webhook and secret its first attempt made.
 */
export async function createWebhook(
  { store, allowPrivateNetworks, secrets }: WebhookDeps,
  account: Account,
  request: { url: string; events: string[]; secret?: string | undefined; format?: WebhookFormat | undefined },
  idempotency: Idempotency,
): Promise<{ webhook: Webhook; secret: string }> {
  try {
    await checkDestination(request.url, { allowPrivateNetworks });
  } catch (error) {
    if (error instanceof DestinationRefusedError) {
      throw new InvalidParameterError(`url: ${error.message}`, "url");
    }
    throw error;
  }
  const id = await idempotency.id(() => newId("whk"));
  const { webhook, secret } = await store.webhooks.create({
    id,
    accountId: account.id,
    url: request.url,
    events: request.events,
    secret: secrets.seal(request.secret ?? generateWebhookSecret(), id),
    format: request.format ?? defaultFormat(request.events),
  });
  return { webhook, secret: secrets.open(secret, id) };
}
