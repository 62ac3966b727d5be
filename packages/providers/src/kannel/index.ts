import { defineProvider } from "../provider";
import { authenticateCallback, kannelDlrSchema, kannelInboundSchema } from "./callbacks";
import { createKannel, kannelSettingsSchema } from "./kannel";

/** Kannel's smsbox: sendsms out, DLRs through a dlr-url and MOs through an sms-service's get-url in. */
export const kannel = defineProvider({
  name: "kannel",
  settingsSchema: kannelSettingsSchema,
  create: createKannel,
  callbacks: {
    authenticate: (settings, call) => authenticateCallback(settings.callbackSecret, call),
    deliveryReports: kannelDlrSchema,
    inbound: kannelInboundSchema,
  },
});
