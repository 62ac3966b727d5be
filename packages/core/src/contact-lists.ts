// Contact lists' requests and limits: the API parses with these schemas, the SDK
// derives its types from them, an import of a file applies the same rules.
import { z } from "zod";
import { CONTACT_FIELD_NAME, MAX_CONTACT_FIELD_LENGTH, MAX_CONTACT_FIELDS } from "./contact-fields";
import { isCountryCode } from "./phone";
import { isStorableText } from "./requests";

/** The most contacts one `POST /v1/contact-lists/:id/contacts` may carry. */
export const MAX_CONTACTS_PER_REQUEST = 10_000;
export { CONTACT_FIELD_NAME, MAX_CONTACT_FIELD_LENGTH, MAX_CONTACT_FIELDS };

const storable = (schema: z.ZodString) =>
  schema.refine(isStorableText, "text without NUL characters or unpaired surrogates");

const listName = storable(z.string().trim().min(1).max(100));

const country = z
  .string()
  .transform((code) => code.trim().toUpperCase())
  .refine(isCountryCode, "expected an ISO 3166 alpha-2 country code, e.g. FR");

/** A contact's fields: at most 10 names, each a string value of at most 255 characters. */
export const contactFields = z
  .record(z.string().regex(CONTACT_FIELD_NAME), storable(z.string().max(MAX_CONTACT_FIELD_LENGTH)), {
    error: (issue) =>
      issue.code === "invalid_key"
        ? "not a field name: a letter, then letters, digits or _ (at most 32 characters)"
        : undefined,
  })
  .refine(
    (fields) => Object.keys(fields).length <= MAX_CONTACT_FIELDS,
    `at most ${MAX_CONTACT_FIELDS} fields`,
  );

/** The body of `POST /v1/contact-lists`: its country defaults to the account's default country. */
export const newContactList = z.strictObject({
  name: listName,
  country: country.optional(),
});

/** The body of `PATCH /v1/contact-lists/:id`: what changes. */
export const contactListChanges = z
  .strictObject({ name: listName.optional(), country: country.optional() })
  .refine((changes) => changes.name !== undefined || changes.country !== undefined, "name or country");

/**
 * The body of `POST /v1/contact-lists/:id/contacts`. Numbers are read with the
 * list's country; one that cannot be read is reported, not stored.
 */
export const newContacts = z.strictObject({
  contacts: z
    .array(
      z.strictObject({
        // Echoed back when it cannot be read: text PostgreSQL can store (the answer is kept for replays).
        number: storable(z.string().max(255)),
        fields: contactFields.default({}),
      }),
    )
    .min(1)
    .max(MAX_CONTACTS_PER_REQUEST),
});

/**
 * Sofy's contact fields (`POST /v1/groups/:groupId/contacts`) and the contact
 * fields of a Salvo list they are kept in. Any other key of that body is a
 * custom column: one of the account's other field names (`GET /v1/customColumns`).
 */
export const SOFY_CONTACT_FIELDS = {
  contactEmailAddress: "email",
  contactFirstName: "first_name",
  contactLastName: "last_name",
  contactBirthday: "birthday",
  contactSubscribed: "subscribed",
} as const;

/** A custom column's value: text, or a number or a boolean kept as its text. */
const customColumnValue = z.union([
  storable(z.string().max(MAX_CONTACT_FIELD_LENGTH)),
  z.number(),
  z.boolean(),
]);

/**
 * The body of `POST /v1/groups/:groupId/contacts` (Sofy's): one contact, its
 * number read with the list's country; other keys are custom columns, named by
 * their id (a field name), checked against the account's columns by the route.
 */
export const newGroupContact = z
  .object({
    contactPhoneNumber: storable(z.string().min(1).max(64)),
    contactEmailAddress: z.email().max(MAX_CONTACT_FIELD_LENGTH).optional(),
    contactFirstName: storable(z.string().trim().max(MAX_CONTACT_FIELD_LENGTH)).optional(),
    contactLastName: storable(z.string().trim().max(MAX_CONTACT_FIELD_LENGTH)).optional(),
    contactSubscribed: z.boolean().optional(),
    contactBirthday: z.union([z.iso.datetime({ offset: true }), z.iso.date()]).optional(),
  })
  .catchall(customColumnValue);
