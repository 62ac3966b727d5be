import { InvalidParameterError } from "@salvo/core";
import type { Store } from "@salvo/db";
import { type Connector, openConnectors, type ProviderContext } from "@salvo/providers";
import { enqueueDeliveryReports, type OpenQueue } from "@salvo/queue";
import type { Logger } from "@salvo/runtime";
import { dispatchEvents } from "./dispatch-events";
import type { WorkerEnv } from "./env";

interface ConnectorDeps {
  store: Pick<Store, "inbound">;
  deliveries: OpenQueue<"deliveries">;
  webhooks: OpenQueue<"webhooks">;
  logger: Logger;
}

/** Opens the env's connectors, each handing its reports and received messages to Salvo's paths. */
export function startConnectors(env: WorkerEnv, deps: ConnectorDeps): Promise<Connector[]> {
  return openConnectors(env.connectors, (connector) => connectorContext(connector, deps));
}

function connectorContext(
  connector: string,
  { store, deliveries, webhooks, logger }: ConnectorDeps,
): ProviderContext {
  /** A one-part message, recorded once per resend window when it has one (a resend is null). */
  const receiveWhole = (message: { from: string; to: string; body: string }, windowMs = 0) =>
    windowMs > 0
      ? store.inbound.receiveOnce({ connector, ...message, windowMs })
      : store.inbound.receive(message);
  return {
    connector,
    reportDeliveries(reports, delayMs) {
      return enqueueDeliveryReports(deliveries, reports, {
        delayMs,
        connector,
        onForeign: (messageId) =>
          logger.warn({ connector, messageId }, "delivery report for an id that is not Salvo's; ignored"),
      });
    },
    problem(description) {
      logger.warn({ connector, err: description }, "connector problem");
    },
    // What the API's inbound callbacks do, from a connection this worker holds.
    async reportInbound(messages) {
      for (const { part, resendWindowMs, ...message } of messages) {
        try {
          const received = part
            ? await store.inbound.receivePart({ connector, ...message, part })
            : await receiveWhole(message, resendWindowMs);
          // A part while others are missing, or a resend: nothing to tell.
          if (received) await dispatchEvents({ webhooks, logger }, received.events);
        } catch (error) {
          // Nothing to retry: the provider handed in a number no one can answer.
          if (!(error instanceof InvalidParameterError)) throw error;
          logger.warn({ connector, err: error.message }, "received message refused");
        }
      }
    },
  };
}
