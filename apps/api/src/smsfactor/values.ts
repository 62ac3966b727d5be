// The values the SMSFactor account, token, list and number routes read and
// write: flags and text as JSON, XML and forms carry them, contacts
// (`contacts.gsm[]`), numbers without `+`, and start/length windows.
import { isStorableText, MAX_CONTACT_FIELD_LENGTH, MAX_CONTACTS_PER_REQUEST } from "@salvo/core";
import { z } from "zod";

/** 0 or 1, as a JSON number or as text (XML, forms). */
export const flag = z.union([z.literal(0), z.literal(1), z.enum(["0", "1"])]).transform(Number);

/** Trimmed text PostgreSQL can store, of at most `max` characters. */
export const storableText = (max: number) =>
  z.string().trim().max(max).refine(isStorableText, "text without NUL characters or unpaired surrogates");

/** A JSON number or numeric text (XML and forms carry only text). */
const scalar = z.union([z.string(), z.number()]).transform(String);

/** SMSFactor's contact fields, Salvo's contact fields of the same names. */
export const INFO_FIELDS = ["info1", "info2", "info3", "info4"] as const;

const infoValue = scalar.pipe(storableText(MAX_CONTACT_FIELD_LENGTH)).nullable().optional();

/** One `gsm` entry: a number (`value`) and its fields info1..info4 (null or absent: none). */
const gsmContact = z.object({
  value: scalar.pipe(z.string().max(255).refine(isStorableText, "not a phone number")),
  info1: infoValue,
  info2: infoValue,
  info3: infoValue,
  info4: infoValue,
});

export type GsmContact = z.infer<typeof gsmContact>;

/** One element is an array of one (XML repeats elements; one is not an array). */
const asArray = (value: unknown) => (value === undefined || Array.isArray(value) ? value : [value]);

/** `contacts: {gsm: [...]}`: at most as many as `POST /v1/contact-lists/:id/contacts` takes. */
export const gsmContacts = z.object({
  gsm: z.preprocess(asArray, z.array(gsmContact).min(1).max(MAX_CONTACTS_PER_REQUEST)),
});

/** A contact's info1..info4 as Salvo contact fields: the absent and null ones left out. */
export function infoFields(contact: GsmContact): Record<string, string> {
  const fields: Record<string, string> = {};
  for (const name of INFO_FIELDS) {
    const value = contact[name];
    if (value !== null && value !== undefined) fields[name] = value;
  }
  return fields;
}

/** An E.164 number as SMSFactor writes it: international, without `+`. */
export const destination = (e164: string) => (e164.startsWith("+") ? e164.slice(1) : e164);

/** A number in an id (international, with or without `+`), as Salvo's services read it. */
export const numberOfId = (id: string) => (/^\d+$/.test(id) ? `+${id}` : id);

/** `start` (default 0) and `length` (default 100, at most 1000), as rows to skip and read. */
export const windowQuery = z.object({
  start: z.coerce.number().int().min(0).max(2_147_483_647).default(0),
  length: z.coerce.number().int().min(1).max(1000).default(100),
});

export const toWindow = ({ start, length }: z.infer<typeof windowQuery>) => ({ skip: start, take: length });

/** A time as SMSFactor writes it, `Y-m-d H:i:s`, in UTC. */
export function dateTime(date: Date): string {
  return date.toISOString().slice(0, 19).replace("T", " ");
}
