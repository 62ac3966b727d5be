// The values the SMSFactor account, token, list and number routes read and
// write, beside conventions.ts: a body's object under its top key, contacts
// (`contacts.gsm[]`), numbers without `+`, and start/length windows.
import {
  isStorableText,
  MAX_CONTACT_FIELD_LENGTH,
  MAX_CONTACTS_PER_REQUEST,
  retentionDuration,
} from "@salvo/core";
import { z } from "zod";
import { oneOrMany, sfInt } from "./conventions";

/** Trimmed text PostgreSQL can store, of at most `max` characters. */
export const storableText = (max: number) =>
  z.string().trim().max(max).refine(isStorableText, "text without NUL characters or unpaired surrogates");

/** Text, or a JSON number as text (XML and forms carry only text). */
const scalar = z.union([z.string(), z.number().transform(String)]);

/**
 * The object of a body's top key (`{"token": {…}}`, XML `<token>…</token>`);
 * `aliases`: other root names clients use (the reference's XML writes
 * `<list>` for the blacklist). An empty element (`<token/>`) is an empty object.
 */
export function bodyUnder<T extends z.ZodType>(
  key: string,
  schema: T,
  aliases: readonly string[] = [],
): z.ZodType<z.output<T>> {
  return z
    .preprocess(
      (body) => {
        const fields = (body ?? {}) as Record<string, unknown>;
        const found = [key, ...aliases].find((name) => fields[name] !== undefined);
        const value = found === undefined ? undefined : fields[found];
        return { [key]: value === "" ? {} : value };
      },
      z.object({ [key]: schema }),
    )
    .transform((body) => body[key] as z.output<T>);
}

/** SMSFactor's contact fields: Salvo contact fields of the same names. */
export const INFO_FIELDS = ["info1", "info2", "info3", "info4"] as const;

const infoValue = scalar.pipe(storableText(MAX_CONTACT_FIELD_LENGTH)).nullable().optional();

/**
 * One `gsm` entry: a number (`value`) and info1..info4 (null or absent: none);
 * XML writes it `<gsm><value>336…</value><info1>…</info1></gsm>`,
 * `<gsm info1="…">336…</gsm>` or `<gsm>336…</gsm>` (a bare number).
 */
const gsmContact = z.preprocess(
  (entry) => (typeof entry === "string" || typeof entry === "number" ? { value: entry } : entry),
  z.object({
    value: scalar.pipe(z.string().max(255).refine(isStorableText, "not a phone number")),
    info1: infoValue,
    info2: infoValue,
    info3: infoValue,
    info4: infoValue,
  }),
);

export type GsmContact = z.output<typeof gsmContact>;

/** `contacts: {gsm: [...]}`: at most as many as `POST /v1/contact-lists/:id/contacts` takes. */
export const gsmContacts = z.object({
  gsm: oneOrMany(gsmContact).pipe(
    z.array(z.any()).min(1, "at least one contact").max(MAX_CONTACTS_PER_REQUEST),
  ) as z.ZodType<GsmContact[]>,
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

/** `start` (default 0) and `length` (default 100, at most 1000) of a listing. */
export const windowQuery = z.object({
  start: sfInt.pipe(z.number().min(0).max(2_147_483_647)).default(0),
  length: sfInt.pipe(z.number().min(1).max(1000)).default(100),
});

/** A window as rows to skip and to read. */
export const toWindow = ({ start, length }: z.output<typeof windowQuery>) => ({ skip: start, take: length });

const retentionValue = scalar.pipe(retentionDuration).nullable().optional();

/**
 * `PUT /retention`'s `retention`: each kind a duration (`2d`, `5m`, `1y`) or "0"
 * (kept until deleted; a number 0 too), null to follow the parent account's.
 */
export const retentionBody = z.object({
  message: retentionValue,
  list: retentionValue,
  survey: retentionValue,
  campaign: retentionValue,
});
