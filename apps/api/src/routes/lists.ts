import { InvalidParameterError, normalizePhoneNumber } from "@salvo/core";
import { addToList, listNumbers, type NumberList, removeFromList, type Sql } from "@salvo/db";
import { Router } from "express";
import { z } from "zod";
import { idempotentWrite } from "../http/idempotency";
import { paged, pageQuery } from "../http/pagination";
import { accountOf, route } from "../http/route";

const MAX_NUMBERS = 100_000;

/**
 * `/v1/blacklist` and `/v1/npai`: add numbers (normalised to E.164 with the
 * account's default country), list them, remove one. A number that cannot be
 * read refuses the whole request, naming it: nothing is added.
 */
export function numberListRoutes(sql: Sql, list: NumberList): Router {
  const router = Router();

  router.post(
    `/${list}`,
    route({
      body: z.strictObject({ numbers: z.array(z.string()).min(1).max(MAX_NUMBERS) }),
      maxBodyBytes: 8 * 1024 * 1024,
      idempotent: true,
      handler: async ({ body, res }) => {
        const account = accountOf(res);
        const numbers = body.numbers.map((raw, i) => {
          const number = normalizePhoneNumber(raw, account.defaultCountry);
          if (!number)
            throw new InvalidParameterError(`numbers.${i}: not a valid phone number`, `numbers.${i}`);
          return number;
        });
        const unique = [...new Set(numbers)];
        // Under an Idempotency-Key, the numbers and the answer (with `added`) are
        // stored together: a retry replays that answer, never a second count.
        return idempotentWrite(res, sql, async (tx) => {
          const added = await addToList(tx, list, account.id, unique);
          return { status: 201, body: { data: { type: list, added, numbers: unique } } };
        });
      },
    }),
  );

  router.get(
    `/${list}`,
    route({
      query: pageQuery,
      handler: async ({ query, res }) => {
        const { entries, pages } = await listNumbers(sql, list, accountOf(res).id, query.page);
        const data = entries.map((e) => ({ number: e.number, created_at: e.createdAt.toISOString() }));
        return { status: 200, body: paged(data, pages, query.page) };
      },
    }),
  );

  router.delete(
    `/${list}/:number`,
    route({
      params: z.object({ number: z.string().min(1).max(64) }),
      handler: async ({ params, res }) => {
        const account = accountOf(res);
        const number = normalizePhoneNumber(params.number, account.defaultCountry);
        if (!number) throw new InvalidParameterError("number: not a valid phone number", "number");
        await removeFromList(sql, list, account.id, number);
        return { status: 204 };
      },
    }),
  );

  return router;
}
