import { randomUUID } from "node:crypto";
import { InvalidParameterError } from "@salvo/core";
import type { Store } from "@salvo/db";
import { type Connector, openConnectors, type ProviderContext } from "@salvo/providers";
import type { OpenQueue } from "@salvo/queue";
import type { Logger } from "@salvo/runtime";
import { dispatchEvents } from "./dispatch-events";
import type { WorkerEnv } from "./env";
import { groupReports } from "./processors/deliveries";

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

/**
 * The connector every batch is sent through, for now the first configured. Routing
 * between connectors (by account, sender or destination) replaces this choice.
 */
export function defaultConnector(connectors: Connector[]): Connector {
  const first = connectors[0];
  if (!first) throw new Error("no connector is configured");
  return first;
}

function connectorContext(
  connector: string,
  { store, deliveries, webhooks, logger }: ConnectorDeps,
): ProviderContext {
  return {
    async reportDeliveries(reports, delayMs) {
      const { groups, byProviderId } = groupReports(reports, connector, (messageId) =>
        logger.warn({ connector, messageId }, "delivery report for an id that is not Salvo's; ignored"),
      );
      if (groups.length > 0 || byProviderId.length > 0) {
        await deliveries.add(
          { groups, byProviderId, attempt: 0 },
          { jobId: `dlr-${randomUUID()}`, delay: delayMs },
        );
      }
    },
    // What the API's inbound callbacks do, from a connection this worker holds.
    async reportInbound(messages) {
      for (const message of messages) {
        try {
          const { events } = await store.inbound.receive(message);
          await dispatchEvents({ webhooks, logger }, events);
        } catch (error) {
          // Nothing to retry: the provider handed in a number no one can answer.
          if (!(error instanceof InvalidParameterError)) throw error;
          logger.warn({ connector, err: error.message }, "received message refused");
        }
      }
    },
  };
}
