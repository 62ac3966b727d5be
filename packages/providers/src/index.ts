export type {
  DeliveryReport,
  HandoffResult,
  OutboundMessage,
  ProviderContext,
  SmsProvider,
} from "./provider";
