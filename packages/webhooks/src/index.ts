export {
  addressRange,
  checkDestination,
  DestinationRefusedError,
  isPublicAddress,
  MAX_WEBHOOK_URL_LENGTH,
  webhookUrlProblem,
} from "./destination";
export {
  type EventFacts,
  factsNeeded,
  renderEvent,
  smsfactorDlrStatus,
} from "./formats";
export { createSecretBox, type SecretBox } from "./secret-box";
export { type AttemptOutcome, createWebhookSender, type WebhookSender } from "./sender";
export { generateWebhookSecret, isWebhookSecret, signWebhook, smsfactorSignature } from "./signature";
