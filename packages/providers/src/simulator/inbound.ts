import { z } from "zod";

const NUL = "\u0000";

/**
 * The body of the simulator's inbound callback (`POST /v1/providers/<connector>/inbound`),
 * as a real provider's MO callback would be: one received message.
 */
export const simulatorInboundSchema = z.strictObject({
  from: z.string().min(1).max(64),
  to: z
    .string()
    .regex(/^(?:[A-Za-z0-9]{1,11}|\+?[0-9]{1,15})$/, "1 to 11 letters and digits, or up to 15 digits"),
  body: z
    .string()
    .max(1_600)
    .refine((body) => !body.includes(NUL), "the message body contains a NUL character"),
});
