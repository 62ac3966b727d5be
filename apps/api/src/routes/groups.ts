// Sofy's groups and custom columns (reference §10.4) on Salvo's contact lists:
// a group is a contact list, a custom column one of the field names its
// contacts use. Answers in Sofy's shapes (docs/compat.md says where they differ).
import { isStorableText, newGroupContact, SOFY_CONTACT_FIELDS, withoutPlus } from "@salvo/core";
import type { ContactList, Store } from "@salvo/db";
import { Router } from "express";
import { z } from "zod";
import type { Reply } from "../http/reply";
import { accountOf, route } from "../http/route";
import { type AddedGroupContact, addGroupContact, customColumns } from "../services/contact-lists";
import { allPages } from "../smsfactor/service-calls";

/** A list as Sofy's `GET /v1/groups` shows a group. */
function groupObject(list: ContactList) {
  return {
    id: list.id,
    name: list.name,
    createdAt: list.createdAt.toISOString(),
    updatedAt: list.updatedAt.toISOString(),
    // Sofy's groups made in its interface are "user" ones; a Salvo list is made by its account.
    source: "user",
  };
}

/** The list field of each Sofy contact field, read back: field name → Sofy's key. */
const SOFY_KEY_OF_FIELD = new Map<string, string>(
  Object.entries(SOFY_CONTACT_FIELDS).map(([key, field]) => [field, key]),
);

/**
 * The contact as stored, with Sofy's keys: its number as Sofy writes numbers
 * (E.164 without `+`), `contactSubscribed` a boolean, custom columns as their text.
 */
function groupContactAnswer(groupId: string) {
  return ({ number, fields, added }: AddedGroupContact): Reply => {
    const contact: Record<string, string | boolean> = {
      groupId,
      contactPhoneNumber: withoutPlus(number),
    };
    for (const [field, value] of Object.entries(fields)) {
      const key = SOFY_KEY_OF_FIELD.get(field) ?? field;
      contact[key] = key === "contactSubscribed" ? value === "true" : value;
    }
    return { status: added ? 201 : 200, body: contact };
  };
}

const groupParams = z.object({
  groupId: z.string().min(1).max(64).refine(isStorableText, "not a group id"),
});

/**
 * Sofy's `GET /v1/groups`, `POST /v1/groups/:groupId/contacts` and
 * `GET /v1/customColumns`: another account's group is 404, as its list is.
 */
export function groupRoutes(store: Store): Router {
  const router = Router();

  router.get(
    "/groups",
    route({
      handler: async ({ res }) => {
        const accountId = accountOf(res).id;
        const lists = await allPages(async (page) => {
          const { lists: items, pages } = await store.contactLists.list(accountId, page);
          return { items, pages };
        });
        return { status: 200, body: lists.map(groupObject) };
      },
    }),
  );

  router.post(
    "/groups/:groupId/contacts",
    route({
      params: groupParams,
      body: newGroupContact,
      idempotent: true,
      handler: async ({ params, body, res, idempotency }) =>
        groupContactAnswer(params.groupId)(
          await addGroupContact(
            store,
            accountOf(res),
            params.groupId,
            body,
            idempotency.answering(groupContactAnswer(params.groupId)),
          ),
        ),
    }),
  );

  router.get(
    "/customColumns",
    route({
      handler: async ({ res }) => {
        const columns = await customColumns(store, accountOf(res));
        return {
          status: 200,
          body: columns.map((column) => ({
            id: column.name,
            // Salvo has no venues (Sofy's locations): one account, venue 0.
            venueId: 0,
            userLabel: column.name,
            type: "TEXT",
            created_at: column.createdAt.toISOString(),
            updated_at: column.updatedAt.toISOString(),
            deleted_at: null,
          })),
        };
      },
    }),
  );

  return router;
}
