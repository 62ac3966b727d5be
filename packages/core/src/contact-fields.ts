// The rules of a recipient's named fields, shared by contacts (packages/core
// contact-lists.ts) and a batch's JSON recipients (requests.ts).

/** The most named fields a contact may have. */
export const MAX_CONTACT_FIELDS = 10;
/** The longest value of a contact's field, in characters. */
export const MAX_CONTACT_FIELD_LENGTH = 255;
/** A field's name: a letter, then letters, digits or `_`, at most 32 characters (`first_name`, `info1`). */
export const CONTACT_FIELD_NAME = /^[a-z][a-z0-9_]{0,31}$/i;
