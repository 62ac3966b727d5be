import { defineProvider } from "../provider";
import { createSmpp, smppSettingsSchema } from "./smpp";

/** SMPP 3.4 to an SMSC: binds kept up, a window per bind, receipts matched by the SMSC's id. */
export const smpp = defineProvider({
  name: "smpp",
  settingsSchema: smppSettingsSchema,
  create: createSmpp,
  reportsByProviderId: true,
});
