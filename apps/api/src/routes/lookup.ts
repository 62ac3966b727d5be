import type { Store } from "@salvo/db";
import { Router } from "express";
import { z } from "zod";
import { accountOf, route } from "../http/route";
import { lookupNumbers, MAX_LOOKUP_NUMBERS, type NumberLookup } from "../services/lookup";

/** One number as `POST /v1/lookup` shows it (docs/api.md "Number lookup"). */
function lookupResource(lookup: NumberLookup) {
  return {
    input: lookup.input,
    number: lookup.number,
    valid: lookup.number !== null,
    country: lookup.country,
    country_name: lookup.countryName || null,
    country_prefix: lookup.countryPrefix || null,
    line_type: lookup.lineType,
    network: lookup.network,
    network_prefix: lookup.networkPrefix,
    mcc_mnc: lookup.mccMnc,
    status: lookup.status,
    reason: lookup.reason,
    last_sent_at: lookup.lastSentAt?.toISOString() ?? null,
    last_report_at: lookup.lastReportAt?.toISOString() ?? null,
  };
}

const lookupBody = z.strictObject({
  // More than the cap is the service's 413, not a 400: the request is well formed, only too big.
  numbers: z.array(z.string().max(64)).min(1, "at least one number"),
});

/** `POST /v1/lookup`: what Salvo knows of numbers (no HLR query; free). */
export function lookupRoutes(store: Store): Router {
  const router = Router();
  router.post(
    "/lookup",
    route({
      body: lookupBody,
      // 1,000 numbers of 64 characters, quoted and separated, fit in 128 KiB.
      maxBodyBytes: MAX_LOOKUP_NUMBERS * 128,
      handler: async ({ body, res }) => {
        const lookups = await lookupNumbers(store, accountOf(res), body.numbers);
        return { status: 200, body: { data: lookups.map(lookupResource), meta: { cost: 0 } } };
      },
    }),
  );
  return router;
}
