// SMSFactor's `POST /lookup` (reference §3.5) on Salvo's lookup service. SMSFactor
// queries the network's HLR; Salvo cannot, and answers in the same shape what
// it knows (services/lookup.ts; docs/compat.md): what it cannot know is an
// empty string or false, never made up.
import { withoutPlus } from "@salvo/core";
import type { Store } from "@salvo/db";
import { Router } from "express";
import { z } from "zod";
import { currentAccount } from "../services/account";
import { lookupNumbers, type NumberLookup } from "../services/lookup";
import { oneOrMany, sfOk, sfRoute } from "./conventions";
import { bodyUnder } from "./values";

/**
 * The `status` and `error` objects of each of Salvo's statuses, in the
 * vocabulary of HLR answers (the reference's `DELIVERED` / `DELIVERED_TO_HANDSET`
 * / error 0 "No Error"); the other names and the error ids are Salvo's [INFER],
 * listed in docs/compat.md.
 */
function verdict(lookup: NumberLookup) {
  const noError = { id: 0, description: "No Error", permanent: false };
  switch (lookup.status) {
    case "delivered":
      return {
        status: {
          name: "DELIVERED",
          description: "Message delivered to handset",
          detailed: "DELIVERED_TO_HANDSET",
        },
        error: noError,
      };
    case "pending":
      return {
        status: {
          name: "PENDING",
          description: "Last message sent, no delivery report yet",
          detailed: "PENDING_ENROUTE",
        },
        error: noError,
      };
    case "undelivered": {
      const unknownSubscriber = lookup.reason === "unknown_subscriber";
      return {
        status: {
          name: "UNDELIVERABLE",
          description: "Last message not delivered",
          detailed: "UNDELIVERABLE_NOT_DELIVERED",
        },
        error: unknownSubscriber
          ? { id: 1, description: "Unknown subscriber", permanent: true }
          : { id: 2, description: `Not delivered: ${lookup.reason ?? "no reason given"}`, permanent: false },
      };
    }
    case "npai":
      return {
        status: { name: "UNDELIVERABLE", description: "Number on the NPAI list", detailed: "NPAI" },
        error: { id: 1, description: "Unknown subscriber", permanent: true },
      };
    case "blacklisted":
      return {
        status: { name: "REJECTED", description: "Number on the blacklist", detailed: "BLACKLISTED" },
        error: { id: 3, description: "Blacklisted (STOP)", permanent: false },
      };
    case "invalid":
      return {
        status: {
          name: "REJECTED",
          description: "Not a valid phone number",
          detailed: "INVALID_DESTINATION",
        },
        error: { id: 4, description: "Invalid number", permanent: true },
      };
    default:
      return {
        status: {
          name: "UNKNOWN",
          description: "No message sent to this number yet (Salvo queries no HLR)",
          detailed: "NO_DATA",
        },
        error: noError,
      };
  }
}

/** One number of `response.lookup`, every key of the reference present with its type. */
function lookupObject(lookup: NumberLookup) {
  return {
    to: lookup.number ? withoutPlus(lookup.number) : lookup.input,
    mccMnc: lookup.mccMnc ?? "",
    // Only the network knows the SIM's IMSI.
    imsi: "",
    originalNetwork: {
      networkName: lookup.network ?? "",
      // The national prefix of the range Google's carrier data maps to that network.
      networkPrefix: lookup.networkPrefix ?? "",
      countryName: lookup.countryName,
      countryPrefix: lookup.countryPrefix,
    },
    // Unknown without an HLR: SMSFactor's "not ported", "not roaming".
    ported: false,
    roaming: false,
    ...verdict(lookup),
  };
}

/** `lookupObject` as the OpenAPI document describes it. */
const lookupAnswer = z.object({
  to: z.string(),
  mccMnc: z.string(),
  imsi: z.string(),
  originalNetwork: z.object({
    networkName: z.string(),
    networkPrefix: z.string(),
    countryName: z.string().nullable(),
    countryPrefix: z.string().nullable(),
  }),
  ported: z.boolean(),
  roaming: z.boolean(),
  status: z.object({ name: z.string(), description: z.string(), detailed: z.string() }),
  error: z.object({ id: z.number().int(), description: z.string(), permanent: z.boolean() }),
});

const lookupRequest = z.object({
  // JSON numbers are read as text; the count is capped by the service (-7 past it).
  to: oneOrMany(z.union([z.string().max(64), z.number().transform(String)])).pipe(
    z.array(z.string()).min(1, "at least one number"),
  ),
});

/** `POST /lookup`: free (no HLR is queried), so `cost` is 0 and `credits` the balance as it is. */
export function smsFactorLookupRoutes(store: Store): Router {
  const router = Router();
  router.post(
    "/lookup",
    sfRoute({
      body: bodyUnder("lookup", lookupRequest),
      answer: sfOk({
        cost: z.number(),
        credits: z.number(),
        response: z.object({ lookup: z.array(lookupAnswer) }),
      }),
      handler: async ({ body, account }) => {
        const lookups = await lookupNumbers(store, account, body.to);
        const { credits } = await currentAccount(store, account.id);
        return { cost: 0, credits, response: { lookup: lookups.map(lookupObject) } };
      },
    }),
  );
  return router;
}
