import { isStorableText, newWebhook } from "@salvo/core";
import type { Webhook, WebhookAttempt } from "@salvo/db";
import { isWebhookSecret, webhookUrlProblem } from "@salvo/webhooks";
import { Router } from "express";
import { z } from "zod";
import { paged, pageQuery } from "../http/pagination";
import { accountOf, route } from "../http/route";
import { createWebhook, type WebhookDeps } from "../services/webhooks";

/** `newWebhook` with @salvo/webhooks' rules for its URL and secret. */
const webhookRequest = newWebhook.extend({
  // Stored as parsed (percent-encoded, lower-case host): what is posted to, and shown.
  url: z.string().transform((url, ctx) => {
    const problem = webhookUrlProblem(url);
    if (!problem) return new URL(url).href;
    ctx.addIssue({ code: "custom", message: problem });
    return z.NEVER;
  }),
  secret: z
    .string()
    .refine(isWebhookSecret, "expected a Standard Webhooks secret: whsec_ and the base64 of 24 to 64 bytes")
    .optional(),
});

function webhookResource(webhook: Webhook) {
  return {
    id: webhook.id,
    type: "webhooks",
    attributes: {
      url: webhook.url,
      events: webhook.events,
      format: webhook.format,
      status: webhook.enabled ? "enabled" : "disabled",
      disabled_reason: webhook.disabledReason,
      disabled_at: webhook.disabledAt?.toISOString() ?? null,
      failing_since: webhook.failingSince?.toISOString() ?? null,
      created_at: webhook.createdAt.toISOString(),
    },
    links: { self: `/v1/webhooks/${webhook.id}` },
  };
}

function attemptResource(attempt: WebhookAttempt) {
  return {
    id: attempt.id,
    type: "webhook_attempts",
    attributes: {
      event_id: attempt.eventId,
      event: attempt.eventType,
      event_state: attempt.eventState,
      status_code: attempt.statusCode,
      duration_ms: attempt.durationMs,
      error: attempt.error,
      response_body: attempt.responseBody,
      response_truncated: attempt.responseTruncated,
      response_content_type: attempt.responseContentType,
      attempted_at: attempt.attemptedAt.toISOString(),
    },
  };
}

const webhookParams = z.object({ id: z.string().min(1).max(64).refine(isStorableText, "not a webhook id") });

type CreatedWebhook = { data: { id: string; attributes: { secret: string } } };

/** The answer that created a webhook, with its secret changed by `change`. */
function withSecret(body: unknown, change: (secret: string, webhookId: string) => string): unknown {
  // Spread first: the keys keep their order, so a replay is the same text.
  const { data } = body as CreatedWebhook;
  const secret = change(data.attributes.secret, data.id);
  return { ...(body as CreatedWebhook), data: { ...data, attributes: { ...data.attributes, secret } } };
}

/**
 * `/v1/webhooks`: where the account's events are posted. The signing secret is
 * shown once, in the answer that creates the webhook. A URL must point at a
 * public address unless the operator allows private networks.
 */
/** The `disabled_reason` of a webhook its account disabled (`POST /v1/webhooks/:id/disable`). */
const DISABLED_BY_ACCOUNT = "disabled by its account";

export function webhookRoutes(deps: WebhookDeps): Router {
  const { store, secrets } = deps;
  const router = Router();

  router.post(
    "/webhooks",
    route({
      body: webhookRequest,
      // Kept for replays with the secret sealed, as the webhook's own row keeps it.
      idempotent: {
        storedBody: (body) => withSecret(body, (secret, id) => secrets.seal(secret, id)),
        replayedBody: (body) => withSecret(body, (secret, id) => secrets.open(secret, id)),
      },
      handler: async ({ body, res, idempotency }) => {
        const { webhook, secret } = await createWebhook(deps, accountOf(res), body, idempotency);
        const resource = webhookResource(webhook);
        return {
          status: 201,
          body: {
            data: { ...resource, attributes: { ...resource.attributes, secret } },
            links: resource.links,
          },
          headers: { Location: resource.links.self },
        };
      },
    }),
  );

  router.get(
    "/webhooks",
    route({
      query: pageQuery,
      handler: async ({ query, res }) => {
        const { webhooks, pages } = await store.webhooks.list(accountOf(res).id, query.page);
        return { status: 200, body: paged(webhooks.map(webhookResource), pages, query.page) };
      },
    }),
  );

  router.get(
    "/webhooks/:id",
    route({
      params: webhookParams,
      handler: async ({ params, res }) => {
        const resource = webhookResource(await store.webhooks.find(accountOf(res).id, params.id));
        return { status: 200, body: { data: resource, links: resource.links } };
      },
    }),
  );

  router.delete(
    "/webhooks/:id",
    route({
      params: webhookParams,
      handler: async ({ params, res }) => {
        await store.webhooks.delete(accountOf(res).id, params.id);
        return { status: 204 };
      },
    }),
  );

  router.post(
    "/webhooks/:id/enable",
    route({
      params: webhookParams,
      idempotent: true,
      handler: async ({ params, res }) => {
        const resource = webhookResource(await store.webhooks.enable(accountOf(res).id, params.id));
        return { status: 200, body: { data: resource, links: resource.links } };
      },
    }),
  );

  // Paused by its account: no event is written for it until it is enabled again.
  router.post(
    "/webhooks/:id/disable",
    route({
      params: webhookParams,
      idempotent: true,
      handler: async ({ params, res }) => {
        const disabled = await store.webhooks.disable(accountOf(res).id, params.id, DISABLED_BY_ACCOUNT);
        const resource = webhookResource(disabled);
        return { status: 200, body: { data: resource, links: resource.links } };
      },
    }),
  );

  router.get(
    "/webhooks/:id/deliveries",
    route({
      params: webhookParams,
      query: pageQuery,
      handler: async ({ params, query, res }) => {
        const { attempts, pages } = await store.webhooks.listAttempts(
          accountOf(res).id,
          params.id,
          query.page,
        );
        return { status: 200, body: paged(attempts.map(attemptResource), pages, query.page) };
      },
    }),
  );

  return router;
}
