// Limits shared by every process through Redis: anti-flood (per recipient and
// hour) and the send rates (provider-wide and per account).
export {
  type AntiFloodInput,
  applyAntiFlood,
  type FloodRecipient,
  type FloodRule,
  floodBodyHash,
  peekAntiFlood,
} from "./anti-flood";
export { type SendLimit, waitForSendSlots } from "./send-limiter";
