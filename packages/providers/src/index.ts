import { z } from "zod";
import type { ProviderContext, SmsProvider } from "./provider";
import { findProvider } from "./registry";

export {
  type Connector,
  type ConnectorConfig,
  connectorEnv,
  connectorsOf,
  openConnectors,
  type Routing,
  routingOf,
} from "./connectors";
export {
  type DeliveryReport,
  defineProvider,
  HandoffExpiredError,
  type HandoffResult,
  type InboundMessage,
  type OutboundMessage,
  type ProviderContext,
  type ProviderDefinition,
  type ProviderState,
  type SendOptions,
  type SmsProvider,
} from "./provider";
export { findProvider, registerProvider } from "./registry";
export { connectorOrder, type Route, routeFor } from "./routes";

/**
 * One provider, outside any connector: `name` picks it, the other fields are its
 * settings, checked against its settingsSchema.
 */
export async function createProvider(
  { name, ...settings }: { name: string } & Record<string, unknown>,
  context: ProviderContext,
): Promise<SmsProvider> {
  const definition = findProvider(name);
  const parsed = definition.settingsSchema.safeParse(settings);
  if (!parsed.success) {
    throw new Error(`Invalid ${definition.name} settings:\n${z.prettifyError(parsed.error)}`);
  }
  return definition.create(parsed.data, context);
}
