import { UnauthorizedError } from "@salvo/core";
import { type ConnectorConfig, findProvider } from "@salvo/providers";
import { enqueueDeliveryReports, type OpenQueue } from "@salvo/queue";
import { type RequestHandler, Router } from "express";
import { route } from "../http/route";
import { type InboundDeps, receiveInbound } from "../services/inbound";
import { replyResource } from "./replies";

interface CallbackDeps extends InboundDeps {
  deliveries: OpenQueue<"deliveries">;
}

/** The 202 an inbound callback answers: the message as stored, and whether it matched an account. */
function receivedReply(message: Awaited<ReturnType<typeof receiveInbound>>) {
  const resource = replyResource(message);
  return {
    status: 202,
    body: {
      data: {
        ...resource,
        attributes: { ...resource.attributes, account_matched: message.accountId !== null },
      },
    },
  };
}

/**
 * The connectors' callbacks, called by their providers, not by an account, one set
 * per connector whose provider takes them over HTTP:
 * - `POST /v1/providers/<connector>/inbound`, a received message (MO) as a JSON body
 *   its provider's inboundSchema parses;
 * - with a provider's `callbacks` (query-string calls, as Kannel makes), `GET`/`POST
 *   …/dlr` (delivery reports, only enqueued for the workers: applying them is
 *   idempotent) and `…/inbound`, each authenticated by the provider first.
 * A received message is stored (and a STOP applied) before the answer.
 */
export function providerCallbackRoutes(connectors: ConnectorConfig[], deps: CallbackDeps): Router {
  const router = Router();
  for (const connector of connectors) {
    const { inboundSchema, callbacks } = findProvider(connector.provider);
    if (inboundSchema) {
      router.post(
        `/${connector.name}/inbound`,
        route({
          body: inboundSchema,
          handler: async ({ body }) => receivedReply(await receiveInbound(deps, body)),
        }),
      );
    }
    if (!callbacks) continue;
    const authenticated =
      (path: "dlr" | "inbound"): RequestHandler =>
      (req, _res, next) => {
        if (!callbacks.authenticate(connector.settings, { path, query: req.query })) {
          throw new UnauthorizedError(
            `Missing or wrong credentials for connector ${connector.name}'s callback.`,
          );
        }
        next();
      };
    const { deliveryReports, inbound } = callbacks;
    if (deliveryReports) {
      const handlers = [
        authenticated("dlr"),
        ...route({
          query: deliveryReports,
          handler: async ({ query: reports }) => {
            await enqueueDeliveryReports(deps.deliveries, reports, {
              reportedBy: connector.name,
              onForeign: (messageId) =>
                deps.logger.warn(
                  { connector: connector.name, messageId },
                  "delivery report for an id that is not Salvo's; ignored",
                ),
            });
            return { status: 202, body: { data: { type: "delivery_reports", reports: reports.length } } };
          },
        }),
      ];
      router.route(`/${connector.name}/dlr`).get(handlers).post(handlers);
    }
    if (inbound) {
      const handlers = [
        authenticated("inbound"),
        ...route({
          query: inbound,
          handler: async ({ query }) => receivedReply(await receiveInbound(deps, query)),
        }),
      ];
      router.route(`/${connector.name}/inbound`).get(handlers).post(handlers);
    }
  }
  return router;
}
