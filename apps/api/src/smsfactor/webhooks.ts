// SMSFactor's webhook management (reference §6): each SMSFactor webhook is a
// Salvo webhook of format `smsfactor` subscribed to the Salvo event of its type,
// so it is listed by /v1/webhooks too and its events come from the same outbox.
// Its `signature` is stored as Salvo stores webhook secrets (sealed with
// WEBHOOK_SECRET_KEYS), and signs its requests (X-SMSFactor-Signature).
// A webhook's id here is its number (SMSFactor's clients read `webhook_id` as
// an integer); its `whk_…` id is accepted in paths too.
import { InvalidParameterError, NotFoundError } from "@salvo/core";
import type { Account, Webhook } from "@salvo/db";
import {
  checkDestination,
  createSecretBox,
  DestinationRefusedError,
  webhookUrlProblem,
} from "@salvo/webhooks";
import { Router } from "express";
import { z } from "zod";
import type { Idempotency } from "../services/idempotency";
import { createWebhook, type WebhookDeps } from "../services/webhooks";
import { sfOk, sfRoute } from "./conventions";
import type { SmsFactorDeps } from "./router";

/** SMSFactor's webhook types and the Salvo event each one receives. */
const SF_WEBHOOK_EVENTS = {
  MO: "mo",
  DLR: "dlr",
  STOP: "stop",
  CLICKER: "message.clicked",
  BALANCE_ALERT: "balance.low",
} as const;

type SfWebhookType = keyof typeof SF_WEBHOOK_EVENTS;

const SF_TYPES = Object.keys(SF_WEBHOOK_EVENTS) as SfWebhookType[];

/** The SMSFactor type of a webhook from its Salvo events (one of them, as this file creates them). */
function typeOf(webhook: Webhook): SfWebhookType | null {
  const event = webhook.events[0];
  return SF_TYPES.find((type) => SF_WEBHOOK_EVENTS[type] === event) ?? null;
}

const webhookType = z
  .string()
  .trim()
  .transform((type) => type.toUpperCase())
  .pipe(
    z.enum(SF_TYPES as [SfWebhookType, ...SfWebhookType[]], { message: `one of ${SF_TYPES.join(", ")}` }),
  );

/** A URL as Salvo's webhooks take it (https or http, no credentials…), stored as parsed. */
const webhookUrl = z
  .string()
  .trim()
  .transform((url, ctx) => {
    const problem = webhookUrlProblem(url);
    if (!problem) return new URL(url).href;
    ctx.addIssue({ code: "custom", message: problem });
    return z.NEVER;
  });

/** The signing secret: any text up to 255 characters; empty or null is none. */
const signature = z
  .union([z.string().max(255), z.number().transform(String), z.null()])
  .transform((value) => value ?? "");

const createBody = z.object({
  webhook: z.object({ type: webhookType, url: webhookUrl, signature: signature.optional() }),
});

const updateBody = z.object({
  webhook: z.object({
    type: webhookType.optional(),
    url: webhookUrl.optional(),
    signature: signature.optional(),
  }),
});

const statusBody = z.object({
  webhook: z.object({ status: z.enum(["live", "paused"], { message: "live or paused" }) }),
});

const idParams = z.object({ id: z.string().trim().min(1).max(64) });

/** `sfWebhook` as the OpenAPI document describes it. */
const webhookAnswer = z.object({
  webhook_id: z.string(),
  type: z.enum(SF_TYPES as [SfWebhookType, ...SfWebhookType[]]).nullable(),
  url: z.string(),
  signature: z.string().nullable(),
  status: z.enum(["live", "paused"]),
  last_http_code: z.number().int().nullable(),
});
const oneWebhook = sfOk({ webhook: webhookAnswer });

/** No Idempotency-Key on SMSFactor's routes: each request makes a new webhook. */
const NEW_WEBHOOK: Idempotency = { id: async (make) => make() };

/** The reason a webhook paused by its owner shows in /v1/webhooks. */
const PAUSED_REASON = "paused by its owner (SMSFactor's PUT /webhook/:id/status)";

/** `/webhook` routes of SMSFactor's API, on /v1's webhooks. */
export function smsFactorWebhookRoutes(deps: SmsFactorDeps): Router {
  const { store } = deps;
  const secrets = createSecretBox(deps.env.WEBHOOK_SECRET_KEYS);
  const webhookDeps: WebhookDeps = {
    store,
    allowPrivateNetworks: deps.env.WEBHOOK_ALLOW_PRIVATE_NETWORKS,
    secrets,
  };
  const router = Router();

  /** A webhook as SMSFactor answers it; its signature opened from its stored form, null when none. */
  function sfWebhook(webhook: Webhook, storedSecret: string, lastHttpCode: number | null) {
    const secret = secrets.open(storedSecret, webhook.id);
    return {
      webhook_id: webhook.numericId,
      type: typeOf(webhook),
      url: webhook.url,
      signature: secret === "" ? null : secret,
      status: webhook.enabled ? "live" : "paused",
      last_http_code: lastHttpCode,
    };
  }

  /** The account's SMSFactor webhook with this number (or `whk_…` id), with its stored secret; -5 for any other. */
  async function findSfWebhook(account: Account, id: string) {
    const webhook = (await store.webhooks.listOfFormat(account.id, "smsfactor")).find(
      (w) => w.numericId === id || w.id === id,
    );
    if (!webhook) throw new NotFoundError(`No webhook ${id}.`);
    return webhook;
  }

  async function answer(webhook: Webhook & { secret: string }) {
    const codes = await store.webhooks.lastStatusCodes([webhook.id]);
    return { webhook: sfWebhook(webhook, webhook.secret, codes.get(webhook.id) ?? null) };
  }

  /**
   * Checks where a changed URL points, as createWebhook does for a new one (a
   * public address unless the operator allows private ones).
   */
  async function checkUrl(url: string) {
    try {
      await checkDestination(url, { allowPrivateNetworks: webhookDeps.allowPrivateNetworks });
    } catch (error) {
      if (error instanceof DestinationRefusedError) {
        throw new InvalidParameterError(`webhook.url: ${error.message}`, "url");
      }
      throw error;
    }
  }

  router.post(
    "/webhook",
    sfRoute({
      body: createBody,
      answer: oneWebhook,
      handler: async ({ body, account }) => {
        const { webhook } = await createWebhook(
          webhookDeps,
          account,
          {
            url: body.webhook.url,
            events: [SF_WEBHOOK_EVENTS[body.webhook.type]],
            secret: body.webhook.signature ?? "",
            format: "smsfactor",
          },
          NEW_WEBHOOK,
        );
        return answer(await findSfWebhook(account, webhook.id));
      },
    }),
  );

  router.get(
    "/webhook",
    sfRoute({
      answer: sfOk({ webhooks: z.array(webhookAnswer) }),
      handler: async ({ account }) => {
        const webhooks = await store.webhooks.listOfFormat(account.id, "smsfactor");
        const codes = await store.webhooks.lastStatusCodes(webhooks.map((w) => w.id));
        return { webhooks: webhooks.map((w) => sfWebhook(w, w.secret, codes.get(w.id) ?? null)) };
      },
    }),
  );

  router.put(
    "/webhook/:id/status",
    sfRoute({
      params: idParams,
      body: statusBody,
      answer: oneWebhook,
      handler: async ({ params, body, account }) => {
        const { id } = await findSfWebhook(account, params.id);
        if (body.webhook.status === "live") await store.webhooks.enable(account.id, id);
        else await store.webhooks.disable(account.id, id, PAUSED_REASON);
        return answer(await findSfWebhook(account, id));
      },
    }),
  );

  router.put(
    "/webhook/:id",
    sfRoute({
      params: idParams,
      body: updateBody,
      answer: oneWebhook,
      handler: async ({ params, body, account }) => {
        const { id } = await findSfWebhook(account, params.id);
        const { type, url, signature: secret } = body.webhook;
        if (url !== undefined) await checkUrl(url);
        const updated = await store.webhooks.update(account.id, id, "smsfactor", {
          ...(url !== undefined ? { url } : {}),
          ...(type !== undefined ? { events: [SF_WEBHOOK_EVENTS[type]] } : {}),
          ...(secret !== undefined ? { secret: secrets.seal(secret, id) } : {}),
        });
        return answer(updated);
      },
    }),
  );

  router.delete(
    "/webhook/:id",
    sfRoute({
      params: idParams,
      answer: sfOk({ deleted_id: z.number().int() }),
      handler: async ({ params, account }) => {
        const webhook = await findSfWebhook(account, params.id);
        await store.webhooks.delete(account.id, webhook.id);
        return { deleted_id: Number(webhook.numericId) };
      },
    }),
  );

  return router;
}
