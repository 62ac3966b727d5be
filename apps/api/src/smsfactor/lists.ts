import { parisDateTime } from "@salvo/core";
// SMSFactor's contact list routes (reference §4.1–4.8) on Salvo's contact lists.
// A Salvo list holds a number once (its fields are those last written), so a
// number sent again is counted in `duplicates`, not stored twice. A contact's
// id is `<list id>:<number without +>`: stable, and enough to find it.
import type { Contact, ContactList, Store } from "@salvo/db";
import { Router } from "express";
import { z } from "zod";
import {
  addContacts,
  createContactList,
  removeContact,
  removeNpaiContacts,
  updateContactFields,
} from "../services/contact-lists";
import { SF_STATUS, SmsFactorError, sfId, sfOk, sfRoute } from "./conventions";
import { allPages, withoutKey } from "./service-calls";
import {
  bodyUnder,
  destination,
  type GsmContact,
  gsmContacts,
  INFO_FIELDS,
  infoFields,
  numberOfId,
  storableText,
  toWindow,
  windowQuery,
} from "./values";

/**
 * `POST /list`'s `list`: a new list (`name`, default its creation time) or,
 * with `listId` (also `list_id`, `list`: the SDKs' spellings), contacts added
 * to an existing one.
 */
const listWrite = z.object({
  name: storableText(100).min(1).optional(),
  listId: sfId.optional(),
  list_id: sfId.optional(),
  list: sfId.optional(),
  contacts: gsmContacts.optional(),
});

/** `PUT /list/contact/:id`'s `contact`: the fields to change, and `value` its number. */
const contactChanges = z.object({
  value: z.union([z.string(), z.number()]).transform(String).optional(),
  info1: storableText(255).nullable().optional(),
  info2: storableText(255).nullable().optional(),
  info3: storableText(255).nullable().optional(),
  info4: storableText(255).nullable().optional(),
});

const contactsQuery = windowQuery.extend({ search: storableText(255).optional() });

const idParams = z.object({ id: z.string().trim().min(1).max(200) });

/** A contact id, `<list id>:<number>`, as the list and the number it names. */
function contactOfId(id: string): { listId: string; number: string } {
  const colon = id.lastIndexOf(":");
  if (colon <= 0 || colon === id.length - 1)
    throw new SmsFactorError(SF_STATUS.notFound, `No contact ${id}.`);
  return { listId: id.slice(0, colon), number: numberOfId(id.slice(colon + 1)) };
}

/** A contact as `GET /list/:id` shows it: its id, number and info1..info4 (absent ones left out). */
function contactObject(contact: Contact) {
  const info: Record<string, string> = {};
  for (const name of INFO_FIELDS) {
    const value = contact.fields[name];
    if (value !== undefined) info[name] = value;
  }
  const number = destination(contact.number);
  return { id: `${contact.listId}:${number}`, destination: number, ...info };
}

/** `contactObject` as the OpenAPI document describes it. */
const contactAnswer = z.object({
  id: z.string(),
  destination: z.string(),
  info1: z.string().optional(),
  info2: z.string().optional(),
  info3: z.string().optional(),
  info4: z.string().optional(),
});

const removedAnswer = sfOk({ removed: z.number().int() });

/** `POST /list`'s counts: numbers new to the list, unreadable ones, and those sent again or already on it. */
function contactCounts(list: ContactList, sent: GsmContact[], added: { added: number; invalid: unknown[] }) {
  return {
    contacts: added.added,
    invalid: added.invalid.length,
    duplicates: sent.length - added.invalid.length - added.added,
    id: list.id,
  };
}

/** `/list…` and `/lists`: an account's contact lists; another account's list is not found (-5). */
export function smsFactorListRoutes(store: Store): Router {
  const router = Router();

  router.post(
    "/list",
    sfRoute({
      body: bodyUnder("list", listWrite),
      answer: sfOk({
        contacts: z.number().int(),
        invalid: z.number().int(),
        duplicates: z.number().int(),
        id: z.string(),
      }),
      // A retry with the same Idempotency-Key gets the first answer (and the same list).
      idempotent: {},
      handler: async ({ body, account, idempotency }) => {
        const existing = body.listId ?? body.list_id ?? body.list;
        const sent = body.contacts?.gsm ?? [];
        const list =
          existing === undefined
            ? await createContactList(
                store,
                account,
                { name: body.name ?? parisDateTime(new Date()) },
                idempotency,
              )
            : await store.contactLists.find(account.id, existing);
        if (sent.length === 0) {
          if (existing !== undefined) {
            throw new SmsFactorError(SF_STATUS.data, "list.contacts.gsm: at least one contact");
          }
          return contactCounts(list, sent, { added: 0, invalid: [] });
        }
        const contacts = sent.map((contact) => ({ number: contact.value, fields: infoFields(contact) }));
        const added = await addContacts(store, account, list.id, contacts, withoutKey(store));
        return contactCounts(list, sent, added);
      },
    }),
  );

  router.get(
    "/lists",
    sfRoute({
      answer: sfOk({
        lists: z.array(z.object({ id: z.string(), name: z.string(), date: z.string(), count: z.string() })),
      }),
      handler: async ({ account }) => {
        const lists = await allPages(async (page) => {
          const { lists, pages } = await store.contactLists.list(account.id, page);
          return { items: lists, pages };
        });
        return {
          lists: lists.map((list) => ({
            id: list.id,
            name: list.name,
            date: parisDateTime(list.createdAt),
            count: String(list.contactCount),
          })),
        };
      },
    }),
  );

  router.get(
    "/list/:id",
    sfRoute({
      params: idParams,
      query: contactsQuery,
      answer: sfOk({
        list: z.array(contactAnswer),
        name: z.string(),
        contacts: z.string(),
        totalRecords: z.number().int(),
        totalDisplayRecords: z.number().int(),
      }),
      handler: async ({ params, query, account }) => {
        const list = await store.contactLists.find(account.id, params.id);
        const { contacts, total } = await store.contactLists.listContacts(account.id, list.id, {
          page: 1,
          q: query.search,
          window: toWindow(query),
        });
        return {
          list: contacts.map(contactObject),
          name: list.name,
          contacts: String(list.contactCount),
          totalRecords: list.contactCount,
          totalDisplayRecords: total,
        };
      },
    }),
  );

  router.delete(
    "/list/:id",
    sfRoute({
      params: idParams,
      answer: sfOk({}),
      handler: async ({ params, account }) => {
        await store.contactLists.delete(account.id, params.id);
        return {};
      },
    }),
  );

  router.delete(
    "/list/contact/:id",
    sfRoute({
      params: idParams,
      answer: sfOk({}),
      handler: async ({ params, account }) => {
        const { listId, number } = contactOfId(params.id);
        await removeContact(store, account, listId, number);
        return {};
      },
    }),
  );

  router.put(
    "/list/contact/:id",
    sfRoute({
      params: idParams,
      body: bodyUnder("contact", contactChanges),
      answer: sfOk({ contact: contactAnswer }),
      handler: async ({ params, body, account }) => {
        const { listId, number } = contactOfId(params.id);
        const list = await store.contactLists.find(account.id, listId);
        const { value, ...info } = body;
        const changes: Record<string, string> = {};
        for (const name of INFO_FIELDS) {
          const given = info[name];
          // null empties a field.
          if (given !== undefined) changes[name] = given ?? "";
        }
        // `value`: the contact's new number (read with the list's country), when it changes.
        const contact = await updateContactFields(store, account, list.id, number, changes, value);
        return { contact: contactObject(contact) };
      },
    }),
  );

  // Salvo's lists hold each number once: there is never a duplicate to remove.
  const deduplicate = sfRoute({
    params: idParams,
    answer: removedAnswer,
    handler: async ({ params, account }) => {
      await store.contactLists.find(account.id, params.id);
      return { removed: 0 };
    },
  });
  router.put("/list/deduplicate/:id", deduplicate);
  router.put("/list/:id/deduplicate", deduplicate);

  router.put(
    "/list/:id/npai/clear",
    sfRoute({
      params: idParams,
      answer: removedAnswer,
      handler: async ({ params, account }) => ({
        removed: await removeNpaiContacts(store, account, params.id),
      }),
    }),
  );

  return router;
}
