// SMSFactor's blacklist and NPAI routes (reference §4.9, §4.10) on Salvo's number
// lists. Salvo keeps a number and when it was added, not SMSFactor's info1..info4:
// they are accepted and not kept. An entry's id is its number without `+`.
import { InvalidParameterError, parisDateTime } from "@salvo/core";
import type { NumberList, Store } from "@salvo/db";
import { Router } from "express";
import { z } from "zod";
import { addNumbers, removeNumber } from "../services/number-lists";
import { SF_STATUS, SmsFactorError, sfOk, sfRoute } from "./conventions";
import { withoutKey } from "./service-calls";
import { bodyUnder, destination, gsmContacts, numberOfId, toWindow, windowQuery } from "./values";

/** An entry as `GET /blacklist` and `GET /npai` show it. */
function entryObject(entry: { number: string; createdAt: Date }) {
  const number = destination(entry.number);
  return {
    id: number,
    destination: number,
    date: parisDateTime(entry.createdAt),
    info1: "",
    info2: "",
    info3: "",
    info4: "",
    user_information: [],
    campaign_id: null,
    batch_id: null,
  };
}

/** `entryObject` as the OpenAPI document describes it: info1..info4 empty, not kept. */
const entryAnswer = z.object({
  id: z.string(),
  destination: z.string(),
  date: z.string(),
  info1: z.string(),
  info2: z.string(),
  info3: z.string(),
  info4: z.string(),
  user_information: z.array(z.unknown()).max(0),
  campaign_id: z.null(),
  batch_id: z.null(),
});

const addition = z.object({ contacts: gsmContacts });
const idParams = z.object({ id: z.string().trim().min(1).max(64) });

/**
 * `/blacklist` or `/npai` (`list`): a number that cannot be read refuses the
 * whole request (-7, naming it), as `POST /v1/blacklist` does.
 */
export function smsFactorNumberRoutes(store: Store, list: NumberList): Router {
  const router = Router();

  router.get(
    `/${list}`,
    sfRoute({
      query: windowQuery,
      answer: sfOk({
        list: z.array(entryAnswer),
        totalRecords: z.number().int(),
        totalDisplayRecords: z.number().int(),
      }),
      handler: async ({ query, account }) => {
        const { entries, total } = await store.numberLists.list(list, account.id, 1, toWindow(query));
        return { list: entries.map(entryObject), totalRecords: total, totalDisplayRecords: total };
      },
    }),
  );

  router.post(
    `/${list}`,
    sfRoute({
      // The reference's XML writes the root <list>.
      body: bodyUnder(list, addition, ["list"]),
      answer: sfOk({ added_contacts: z.number().int() }),
      // A retry with the same Idempotency-Key gets the first answer (its count, not 0).
      idempotent: {},
      handler: async ({ body, account }) => {
        const numbers = body.contacts.gsm.map((contact) => contact.value);
        try {
          const { added } = await addNumbers(list, account, numbers, withoutKey(store));
          return { added_contacts: added };
        } catch (error) {
          // The service names the number by its place in /v1's `numbers`: named here as sent.
          if (!(error instanceof InvalidParameterError)) throw error;
          const details = error.message.replace(/^numbers\.(\d+)/, `${list}.contacts.gsm.$1.value`);
          throw new SmsFactorError(SF_STATUS.data, details);
        }
      },
    }),
  );

  router.delete(
    `/${list}/contact/:id`,
    sfRoute({
      params: idParams,
      answer: sfOk({}),
      handler: async ({ params, account }) => {
        await removeNumber(store, list, account, numberOfId(params.id));
        return {};
      },
    }),
  );

  return router;
}
