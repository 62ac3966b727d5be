import { z } from "zod";
import type { ProviderContext, SmsProvider } from "./provider";
import { createSimulator, simulatorSettingsSchema } from "./simulator";

export {
  type DeliveryReport,
  HandoffExpiredError,
  type HandoffResult,
  type OutboundMessage,
  type ProviderContext,
  type SendOptions,
  type SmsProvider,
} from "./provider";
export type { SimulatorSettings } from "./simulator";

/** Settings of every provider, told apart by `name`; `http` and `smpp` join this union. */
export const providerSettingsSchema = z.discriminatedUnion("name", [simulatorSettingsSchema]);

export type ProviderSettings = z.input<typeof providerSettingsSchema>;

const providerNames = providerSettingsSchema.options.map((option) => option.shape.name.value);

/**
 * The provider named by `settings.name`. Async so that providers holding a connection
 * (SMPP bind) can fail at startup rather than at the first send.
 */
export async function createProvider(
  settings: ProviderSettings,
  context: ProviderContext,
): Promise<SmsProvider> {
  switch (settings.name) {
    case "simulator":
      return createSimulator(settings, context);
    default: {
      // Reachable from untyped input (an env var), which the type above cannot rule out.
      const name: unknown = (settings as { name: unknown }).name;
      throw new Error(
        `Unknown SMS provider ${JSON.stringify(name)}: expected one of ${providerNames.join(", ")}.`,
      );
    }
  }
}
