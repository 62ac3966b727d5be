import { newListedNumbers } from "@salvo/core";
import type { NumberList, Store } from "@salvo/db";
import { Router } from "express";
import { z } from "zod";
import { paged, pageQuery } from "../http/pagination";
import type { Reply } from "../http/reply";
import { accountOf, route } from "../http/route";
import { type AddedNumbers, addNumbers, removeNumber } from "../services/number-lists";

/**
 * `/v1/blacklist` and `/v1/npai`: add numbers (normalised to E.164 with the
 * account's default country), list them, remove one.
 */
export function numberListRoutes(store: Store, list: NumberList): Router {
  const router = Router();
  const numbersAdded = ({ added, numbers }: AddedNumbers): Reply => ({
    status: 201,
    body: { data: { type: list, added, numbers } },
  });

  router.post(
    `/${list}`,
    route({
      body: newListedNumbers,
      maxBodyBytes: 8 * 1024 * 1024,
      idempotent: true,
      handler: async ({ body, res, idempotency }) =>
        numbersAdded(
          await addNumbers(list, accountOf(res), body.numbers, idempotency.answering(numbersAdded)),
        ),
    }),
  );

  router.get(
    `/${list}`,
    route({
      query: pageQuery.extend({
        // A search: the numbers holding these digits (`+` and spaces are ignored).
        q: z
          .string()
          .max(32)
          .transform((q) => q.replace(/[\s+]/g, ""))
          .pipe(z.string().regex(/^\d*$/, "digits of a number"))
          .optional(),
      }),
      handler: async ({ query, res }) => {
        const { entries, pages } = await store.numberLists.list(
          list,
          accountOf(res).id,
          query.page,
          undefined,
          query.q || undefined,
        );
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
        await removeNumber(store, list, accountOf(res), params.number);
        return { status: 204 };
      },
    }),
  );

  return router;
}
