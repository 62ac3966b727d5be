// Personalised bodies: `{{first_name}}`, `{{ first_name | there }}` (a default
// for a recipient without the field) and SMSFactor's `[info1]` … `[info4]`.
// Anything else that looks like a placeholder is sent as written.
import { CONTACT_FIELD_NAME } from "./contact-fields";
import { messageEncoding } from "./segments";

/** The reason of an `invalid` message whose recipient lacks a field its body shows, without a default. */
export const MISSING_FIELD = "missing_field";

/** A placeholder of a template: the field it shows, and what to show without it (none: the message cannot be sent). */
interface Placeholder {
  field: string;
  default?: string;
}

/** A body cut into its literal text and its placeholders, in order. */
export type Template = (string | Placeholder)[];

/** A recipient's fields, by name. */
export type RecipientFields = Readonly<Record<string, string>>;

// `{{ name }}` or `{{ name | default }}` (the default holds no `}}`), or `[info1]`…`[info4]`.
const PLACEHOLDER = /\{\{\s*([A-Za-z][A-Za-z0-9_]{0,31})\s*(?:\|((?:(?!\}\})[\s\S])*))?\}\}|\[(info[1-4])\]/g;

/** Whether a body may hold a placeholder: a cheap test that spares plain bodies any parsing. */
function mayHavePlaceholders(body: string): boolean {
  return body.includes("{{") || body.includes("[info");
}

/** Cuts a body into literal text and placeholders (see PLACEHOLDER); a body without any is one string. */
export function parseTemplate(body: string): Template {
  if (!mayHavePlaceholders(body)) return [body];
  const parts: Template = [];
  let from = 0;
  for (const match of body.matchAll(PLACEHOLDER)) {
    const field = match[1] ?? match[3];
    if (field === undefined || !CONTACT_FIELD_NAME.test(field)) continue;
    if (match.index > from) parts.push(body.slice(from, match.index));
    const fallback = match[2];
    parts.push(fallback === undefined ? { field } : { field, default: fallback.trim() });
    from = match.index + match[0].length;
  }
  if (from < body.length || parts.length === 0) parts.push(body.slice(from));
  return parts;
}

/** Whether a parsed body has a placeholder (a plain body is sent as it is, never rendered). */
export function isPersonalised(template: Template): boolean {
  return template.some((part) => typeof part !== "string");
}

/** The fields a template shows, each once, in order of first use. */
export function templateFields(template: Template): string[] {
  const names = new Set<string>();
  for (const part of template) if (typeof part !== "string") names.add(part.field);
  return [...names];
}

/** A recipient's text, or the first field it lacks that has no default. */
export function renderTemplate(
  template: Template,
  fields: RecipientFields | undefined,
): { text: string } | { missing: string } {
  let text = "";
  for (const part of template) {
    if (typeof part === "string") {
      text += part;
      continue;
    }
    const value = fields && Object.hasOwn(fields, part.field) ? fields[part.field] : undefined;
    if (value !== undefined) text += value;
    else if (part.default !== undefined) text += part.default;
    else return { missing: part.field };
  }
  return { text };
}

/** The longest values of a field among many recipients (a contact list's), as PostgreSQL aggregates them. */
export interface FieldLengths {
  /** Longest value in UTF-16 code units (an emoji is 2). */
  units: number;
  /** Longest value in GSM 03.38 septets (extension characters such as `€` are 2), counting every value as if GSM. */
  septets: number;
  /** Whether some value needs UCS-2. */
  ucs2: boolean;
}

/** Septets of a text as if it were GSM-7 (extension characters count 2). */
function septetsOf(text: string): number {
  let septets = 0;
  for (const char of text) septets += GSM_EXTENSION.includes(char) ? 2 : char.length;
  return septets;
}
const GSM_EXTENSION = "\f^{}\\[~]|€";

/**
 * A number of segments no message of the template exceeds, for recipients whose
 * fields are at most `lengths` long (a field absent from `lengths` is never set:
 * its default is shown). Loose on purpose where exactness would cost a pass over
 * every recipient: an escape pair or a surrogate pair moved to the next part can
 * leave one slot empty, so a concatenated part is counted 152 septets or 66 units.
 * What is reserved above the real cost is refunded once each message is sent.
 */
export function segmentBound(template: Template, lengths: ReadonlyMap<string, FieldLengths>): number {
  let units = 0;
  let septets = 0;
  let ucs2 = false;
  for (const part of template) {
    const literal = typeof part === "string" ? part : (part.default ?? "");
    let partUnits = literal.length;
    let partSeptets = septetsOf(literal);
    if (messageEncoding(literal) === "ucs2") ucs2 = true;
    if (typeof part !== "string") {
      const field = lengths.get(part.field);
      if (field) {
        partUnits = Math.max(partUnits, field.units);
        partSeptets = Math.max(partSeptets, field.septets);
        if (field.ucs2) ucs2 = true;
      }
    }
    units += partUnits;
    septets += partSeptets;
  }
  const gsm = septets <= 160 ? 1 : Math.ceil(septets / 152);
  if (!ucs2) return gsm;
  return Math.max(gsm, units <= 70 ? 1 : Math.ceil(units / 66));
}
