import { NUL, sender } from "@salvo/core";
import { z } from "zod";

/**
 * The body of the simulator's inbound callback (`POST /v1/providers/<connector>/inbound`),
 * as a real provider's MO callback would be: one received message.
 */
export const simulatorInboundSchema = z.strictObject({
  from: z.string().min(1).max(64),
  // The sender id or number replied to: what a batch's `from` may be.
  to: sender,
  body: z
    .string()
    .max(1_600)
    .refine((body) => !body.includes(NUL), "the message body contains a NUL character"),
});
