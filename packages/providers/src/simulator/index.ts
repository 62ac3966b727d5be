import { defineProvider } from "../provider";
import { simulatorInboundSchema } from "./inbound";
import { createSimulator, simulatorSettingsSchema } from "./simulator";

/** Sends nothing: outcomes by number, delivery reports after a delay, an optional ledger. */
export const simulator = defineProvider({
  name: "simulator",
  settingsSchema: simulatorSettingsSchema,
  create: createSimulator,
  inboundSchema: simulatorInboundSchema,
});
