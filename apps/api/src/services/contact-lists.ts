import {
  CONTACT_FIELD_NAME,
  INVALID_NUMBER_REASONS,
  type InvalidNumberReason,
  InvalidParameterError,
  invalidNumberReason,
  MAX_CONTACT_FIELDS,
  NotFoundError,
  newId,
  normalizePhoneNumber,
  SOFY_CONTACT_FIELDS,
} from "@salvo/core";
import type { Account, Contact, ContactList, Store } from "@salvo/db";
import type { Idempotency, IdempotentWrites } from "./idempotency";

/** Contacts read a page at a time when a whole list is read (export, clean). */
const READ_PAGE = 1_000;

/** Creates a list; its country is the account's default country unless given. */
export async function createContactList(
  store: Store,
  account: Account,
  request: { name: string; country?: string | undefined },
  idempotency: Idempotency,
): Promise<ContactList> {
  const id = await idempotency.id(() => newId("cl"));
  return store.contactLists.create({
    id,
    accountId: account.id,
    name: request.name,
    country: request.country ?? account.defaultCountry,
  });
}

/** A contact the request could not store: its position, its number as sent, and why. */
export interface InvalidContact {
  index: number;
  number: string;
  reason: InvalidNumberReason;
  message: string;
}

/** What adding contacts did: numbers new to the list, numbers already on it (fields replaced), and refusals. */
export interface AddedContacts {
  added: number;
  updated: number;
  invalid: InvalidContact[];
}

/**
 * Adds contacts to a list, their numbers read with the list's country. A number
 * that cannot be read is reported with its position and reason and the others
 * are stored. A number already on the list gets the fields sent now in place of
 * its old ones; a number sent twice in one request keeps its last fields. Under
 * an idempotency key the answer is stored with the write: a retry replays it.
 */
export async function addContacts(
  store: Store,
  account: Account,
  listId: string,
  contacts: { number: string; fields: Record<string, string> }[],
  idempotency: IdempotentWrites<AddedContacts>,
): Promise<AddedContacts> {
  const list = await store.contactLists.find(account.id, listId);
  const invalid: InvalidContact[] = [];
  const valid = new Map<string, Record<string, string>>();
  contacts.forEach(({ number: raw, fields }, index) => {
    const number = normalizePhoneNumber(raw, list.country);
    if (number) {
      valid.delete(number); // the last occurrence's fields, in its position
      valid.set(number, fields);
      return;
    }
    const reason = invalidNumberReason(raw, list.country);
    invalid.push({ index, number: raw, reason, message: INVALID_NUMBER_REASONS[reason] });
  });
  const rows = [...valid].map(([number, fields]) => ({ number, fields }));
  return idempotency.write(async (tx) => ({
    ...(await tx.contactLists.upsertContacts(account.id, listId, rows)),
    invalid,
  }));
}

/** Takes a number, as the list's country reads it, off a list. */
export async function removeContact(store: Store, account: Account, listId: string, raw: string) {
  const list = await store.contactLists.find(account.id, listId);
  const number = normalizePhoneNumber(raw, list.country);
  if (!number) throw new InvalidParameterError("number: not a valid phone number", "number");
  await store.contactLists.removeContact(account.id, listId, number);
}

/** Every contact of a list in number order, read a page at a time. */
async function* allContacts(store: Store, account: Account, listId: string): AsyncGenerator<Contact> {
  let after = "";
  for (;;) {
    const page = await store.contactLists.contactsAfter(account.id, listId, after, READ_PAGE);
    yield* page;
    const last = page.at(-1);
    if (!last || page.length < READ_PAGE) return;
    after = last.number;
  }
}

/**
 * Removes from a list its numbers that are no longer valid (numbering plans
 * change), then those on the account's blacklist or NPAI list; answers how many
 * of each were removed.
 */
export async function cleanContactList(store: Store, account: Account, listId: string) {
  await store.contactLists.find(account.id, listId);
  const invalid: string[] = [];
  for await (const { number } of allContacts(store, account, listId)) {
    if (normalizePhoneNumber(number, undefined) !== number) invalid.push(number);
  }
  const removed = await store.contactLists.clean(account.id, listId, invalid);
  return { removed, list: await store.contactLists.find(account.id, listId) };
}

/**
 * A list as CSV rows: the header (`number`, then every field name its contacts
 * use, sorted), then one row per contact in number order, an absent field empty.
 */
export async function contactRows(
  store: Store,
  account: Account,
  listId: string,
): Promise<{ list: ContactList; rows: AsyncGenerator<string[]> }> {
  const list = await store.contactLists.find(account.id, listId);
  const names = await store.contactLists.fieldNames(account.id, listId);
  async function* rows() {
    yield ["number", ...names];
    for await (const contact of allContacts(store, account, listId)) {
      yield [contact.number, ...names.map((name) => contact.fields[name] ?? "")];
    }
  }
  return { list, rows: rows() };
}

/** Takes off a list its numbers that are on the account's NPAI list; answers how many went. */
export function removeNpaiContacts(store: Store, account: Account, listId: string): Promise<number> {
  return store.contactLists.removeNpai(account.id, listId);
}

/**
 * Changes some fields of a list's contact (`raw` read with the list's country),
 * keeping the others, and its number when `newRaw` names another one (not
 * already on the list); a number not on the list is not found (nothing is added).
 */
export async function updateContactFields(
  store: Store,
  account: Account,
  listId: string,
  raw: string,
  changes: Record<string, string>,
  newRaw?: string,
): Promise<Contact> {
  const list = await store.contactLists.find(account.id, listId);
  const number = normalizePhoneNumber(raw, list.country);
  if (!number) throw new InvalidParameterError("number: not a valid phone number", "number");
  const newNumber = newRaw === undefined ? number : normalizePhoneNumber(newRaw, list.country);
  if (!newNumber) throw new InvalidParameterError("value: not a valid phone number", "value");
  const contact = await store.contactLists.updateContactFields(
    account.id,
    listId,
    number,
    changes,
    newNumber === number ? null : newNumber,
  );
  if (contact === "taken")
    throw new InvalidParameterError(`value: ${newNumber} is on the contact list ${listId} already`, "value");
  if (!contact) throw new NotFoundError(`${number} is not on the contact list ${listId}.`);
  return contact;
}

/** The list fields that Sofy's contact fields are kept in: not custom columns. */
const SOFY_FIELD_NAMES: ReadonlySet<string> = new Set(Object.values(SOFY_CONTACT_FIELDS));

/**
 * Sofy's custom columns (`GET /v1/customColumns`): the field names the contacts
 * of the account's lists use, but those Sofy's own contact fields are kept in.
 */
export async function customColumns(store: Store, account: Account) {
  const fields = await store.contactLists.accountFields(account.id);
  return fields.filter((field) => !SOFY_FIELD_NAMES.has(field.name));
}

/** What `addGroupContact` stored: the number (E.164), its fields, and whether it was new to the list. */
export interface AddedGroupContact {
  number: string;
  fields: Record<string, string>;
  added: boolean;
}

/** A contact as Sofy's `POST /v1/groups/:groupId/contacts` sends it (see `newGroupContact`). */
type GroupContact = {
  contactPhoneNumber: string;
  contactEmailAddress?: string | undefined;
  contactFirstName?: string | undefined;
  contactLastName?: string | undefined;
  contactSubscribed?: boolean | undefined;
  contactBirthday?: string | undefined;
} & Record<string, string | number | boolean | undefined>;

/**
 * Adds Sofy's contact to a list (a Sofy group): its number read with the list's
 * country, Sofy's fields kept as the list fields of SOFY_CONTACT_FIELDS and each
 * custom column (another key, which must be one of `customColumns`) as its field.
 * A number already on the list gets these fields in place of its old ones.
 * Answers the number as stored, its fields, and whether it was new to the list.
 */
export async function addGroupContact(
  store: Store,
  account: Account,
  listId: string,
  contact: GroupContact,
  idempotency: IdempotentWrites<AddedGroupContact>,
): Promise<AddedGroupContact> {
  const list = await store.contactLists.find(account.id, listId);
  const number = normalizePhoneNumber(contact.contactPhoneNumber, list.country);
  if (!number) {
    const reason = invalidNumberReason(contact.contactPhoneNumber, list.country);
    throw new InvalidParameterError(
      `contactPhoneNumber: ${INVALID_NUMBER_REASONS[reason]}`,
      "contactPhoneNumber",
    );
  }
  const fields: Record<string, string> = {};
  const custom: string[] = [];
  for (const [key, value] of Object.entries(contact)) {
    if (value === undefined || key === "contactPhoneNumber") continue;
    const field = SOFY_CONTACT_FIELDS[key as keyof typeof SOFY_CONTACT_FIELDS] as string | undefined;
    if (field) fields[field] = String(value);
    else if (!CONTACT_FIELD_NAME.test(key) || SOFY_FIELD_NAMES.has(key))
      throw new InvalidParameterError(`${key}: not a contact field nor a custom column`, key);
    else {
      custom.push(key);
      fields[key] = String(value);
    }
  }
  const known = new Set(await store.contactLists.usedFields(account.id, custom));
  const unknown = custom.find((key) => !known.has(key));
  if (unknown !== undefined)
    throw new InvalidParameterError(
      `${unknown}: not a custom column of this account (GET /v1/customColumns lists them)`,
      unknown,
    );
  if (Object.keys(fields).length > MAX_CONTACT_FIELDS)
    throw new InvalidParameterError(`at most ${MAX_CONTACT_FIELDS} fields and custom columns`);
  return idempotency.write(async (tx) => {
    const { added } = await tx.contactLists.upsertContacts(account.id, listId, [{ number, fields }]);
    return { number, fields, added: added > 0 };
  });
}
