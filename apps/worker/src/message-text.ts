import {
  isPersonalised,
  parseTemplate,
  renderTemplate,
  segmentCount,
  type Template,
  type TrackedLinks,
  withTrackedLinks,
} from "@salvo/core";
import type { BatchForWork, RawRecipient } from "@salvo/db";

/** A message's text and its segments, or the field its recipient lacks (the message is `invalid`, `missing_field`). */
type MessageText = { text: string; segments: number } | { missing: string };

// The last body parsed: a worker sends one batch's chunks after another, so this
// parses each body once per run of chunks, not once per message.
let parsed: { body: string; template: Template | null } | undefined;

/** The body as a template, or null when it has no placeholder (sent as it is, never rendered). */
function templateOf(body: string): Template | null {
  if (parsed?.body !== body) {
    const template = parseTemplate(body);
    parsed = { body, template: isPersonalised(template) ? template : null };
  }
  return parsed.template;
}

/**
 * The text one recipient of a batch is sent: the body with its own short links
 * (`links`, see withTrackedLinks: put in first, so a field holding a URL is
 * never taken for one of the body's), its placeholders filled with the
 * recipient's fields (or their defaults), with its own segments. A plain body
 * is the body and the batch's segments, at no cost (its links' codes all have
 * the same length); so is a single message's (`POST /v1/sms`, which has no
 * fields), sent as written but for its links.
 */
export function messageText(
  batch: Pick<BatchForWork, "body" | "segments" | "single">,
  recipient: RawRecipient,
  idx: number,
  links: TrackedLinks | null,
): MessageText {
  const body = withTrackedLinks(batch.body, links, idx);
  const template = batch.single ? null : templateOf(body);
  if (!template) return { text: body, segments: batch.segments };
  const rendered = renderTemplate(template, typeof recipient === "string" ? undefined : recipient[2]);
  if ("missing" in rendered) return rendered;
  return { text: rendered.text, segments: segmentCount(rendered.text) };
}
