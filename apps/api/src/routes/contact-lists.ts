import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import {
  contactListChanges,
  InvalidParameterError,
  isStorableText,
  newContactList,
  newContacts,
} from "@salvo/core";
import type { Contact, ContactList, Store } from "@salvo/db";
import { stringify } from "csv-stringify";
import { Router } from "express";
import { z } from "zod";
import { CSV_EXPORT } from "../http/csv";
import { paged, pageQuery } from "../http/pagination";
import type { Reply } from "../http/reply";
import { accountOf, route } from "../http/route";
import {
  type AddedContacts,
  addContacts,
  cleanContactList,
  contactRows,
  createContactList,
  removeContact,
} from "../services/contact-lists";

function listResource(list: ContactList) {
  return {
    id: list.id,
    type: "contact_lists",
    attributes: {
      name: list.name,
      country: list.country,
      contact_count: list.contactCount,
      created_at: list.createdAt.toISOString(),
      updated_at: list.updatedAt.toISOString(),
    },
    links: { self: `/v1/contact-lists/${list.id}` },
  };
}

function contactResource(contact: Contact) {
  return {
    number: contact.number,
    fields: contact.fields,
    created_at: contact.createdAt.toISOString(),
    updated_at: contact.updatedAt.toISOString(),
  };
}

const listId = z.string().min(1).max(64).refine(isStorableText, "not a contact list id");
const listParams = z.object({ id: listId });

const contactsQuery = pageQuery.extend({
  q: z.string().trim().max(255).refine(isStorableText, "text without NUL characters").optional(),
});

const contactsAdded = (added: AddedContacts): Reply => ({
  status: 200,
  body: { data: { type: "contacts", ...added } },
});

// 10,000 contacts with ten fields of 255 characters each fit (about 3 kB a contact).
const MAX_CONTACTS_BODY_BYTES = 32 * 1024 * 1024;

/**
 * `/v1/contact-lists`: an account's lists of contacts (a number and named
 * fields), kept for sends. Another account's list is 404 on every route.
 */
export function contactListRoutes(store: Store): Router {
  const router = Router();
  const listAnswer = (list: ContactList, status = 200): Reply => {
    const resource = listResource(list);
    return { status, body: { data: resource, links: resource.links } };
  };

  router.post(
    "/contact-lists",
    route({
      body: newContactList,
      idempotent: true,
      handler: async ({ body, res, idempotency }) => {
        const list = await createContactList(store, accountOf(res), body, idempotency);
        return { ...listAnswer(list, 201), headers: { Location: `/v1/contact-lists/${list.id}` } };
      },
    }),
  );

  router.get(
    "/contact-lists",
    route({
      query: pageQuery,
      handler: async ({ query, res }) => {
        const { lists, pages } = await store.contactLists.list(accountOf(res).id, query.page);
        return { status: 200, body: paged(lists.map(listResource), pages, query.page) };
      },
    }),
  );

  router.get(
    "/contact-lists/:id",
    route({
      params: listParams,
      handler: async ({ params, res }) =>
        listAnswer(await store.contactLists.find(accountOf(res).id, params.id)),
    }),
  );

  router.patch(
    "/contact-lists/:id",
    route({
      params: listParams,
      body: contactListChanges,
      handler: async ({ params, body, res }) =>
        listAnswer(await store.contactLists.update(accountOf(res).id, params.id, body)),
    }),
  );

  router.delete(
    "/contact-lists/:id",
    route({
      params: listParams,
      handler: async ({ params, res }) => {
        await store.contactLists.delete(accountOf(res).id, params.id);
        return { status: 204 };
      },
    }),
  );

  router.post(
    "/contact-lists/:id/contacts",
    route({
      params: listParams,
      body: newContacts,
      maxBodyBytes: MAX_CONTACTS_BODY_BYTES,
      idempotent: true,
      handler: async ({ params, body, res, idempotency }) =>
        contactsAdded(
          await addContacts(
            store,
            accountOf(res),
            params.id,
            body.contacts,
            idempotency.answering(contactsAdded),
          ),
        ),
    }),
  );

  router.get(
    "/contact-lists/:id/contacts",
    route({
      params: listParams,
      query: contactsQuery,
      handler: async ({ params, query, res }) => {
        const { contacts, pages } = await store.contactLists.listContacts(
          accountOf(res).id,
          params.id,
          query,
        );
        return { status: 200, body: paged(contacts.map(contactResource), pages, query.page) };
      },
    }),
  );

  router.delete(
    "/contact-lists/:id/contacts/:number",
    route({
      params: z.object({ id: listId, number: z.string().min(1).max(64) }),
      handler: async ({ params, res }) => {
        await removeContact(store, accountOf(res), params.id, params.number);
        return { status: 204 };
      },
    }),
  );

  router.post(
    "/contact-lists/:id/clean",
    route({
      params: listParams,
      idempotent: true,
      handler: async ({ params, res }) => {
        const { removed, list } = await cleanContactList(store, accountOf(res), params.id);
        return {
          status: 200,
          body: { data: { type: "contact_list_clean", removed, contact_count: list.contactCount } },
        };
      },
    }),
  );

  // CSV, not JSON: written as it is read, a page of contacts at a time; the
  // pipeline waits while the client reads slower than the database answers.
  router.get("/contact-lists/:id/export", async (req, res) => {
    const id = listId.safeParse(req.params.id);
    if (!id.success) throw new InvalidParameterError("id: not a contact list id", "id");
    const { list, rows } = await contactRows(store, accountOf(res), id.data);
    res.status(200).set({
      "Content-Type": "text/csv; charset=utf-8",
      "Content-Disposition": `attachment; filename="${list.id}.csv"`,
    });
    await pipeline(Readable.from(rows), stringify(CSV_EXPORT), res);
  });

  return router;
}
