import { NotAcceptableError } from "@salvo/core";
import type { Request, Response } from "express";
import { XMLBuilder } from "fast-xml-parser";

/** What a handler answers; the route wrapper writes it as JSON, or XML on request. */
export interface Reply {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
  /** The handler wrote the answer itself (a streamed export): nothing more is sent. */
  written?: true;
}

// Text is escaped by xmlText (the builder's own escaping cannot write CR as `&#13;`).
const xml = new XMLBuilder({
  arrayNodeName: "item",
  format: false,
  suppressEmptyNode: true,
  processEntities: false,
});

const FORMATS = ["application/json", "application/xml", "text/xml"] as const;

/**
 * The format a request's answers are written in: content negotiation on its
 * Accept header (types and `q=` weights). JSON when the client names neither
 * JSON nor XML (no Accept, `*\/*`, or only other types: lenient, never a 406).
 */
export function answerFormat(req: Request): (typeof FORMATS)[number] {
  if (req.headers.accept === undefined) return "application/json";
  const chosen = req.accepts([...FORMATS]);
  return chosen === "application/xml" || chosen === "text/xml" ? chosen : "application/json";
}

/**
 * Writes a reply. JSON by default; XML when the client's Accept header prefers
 * `application/xml` or `text/xml` (the root element is `<response>`, list items
 * are `<item>`; the Content-Type is the XML type asked for). An answer holding a
 * character XML 1.0 cannot carry is not altered: NotAcceptableError is thrown
 * before anything is written, and the error handler answers 406.
 */
export function sendReply(req: Request, res: Response, reply: Reply): void {
  if (reply.written) return;
  const format = answerFormat(req);
  const text =
    reply.body !== undefined && format !== "application/json"
      ? `<?xml version="1.0" encoding="UTF-8"?>${xml.build({ response: toXmlTree(reply.body, "") })}`
      : undefined;
  res.vary("Accept");
  if (reply.headers) res.set(reply.headers);
  res.status(reply.status);
  if (reply.body === undefined) {
    res.end();
    return;
  }
  if (text !== undefined) {
    res.type(format).send(text);
    return;
  }
  res.json(reply.body);
}

// Arrays become <item> children; null becomes an empty element. `path` names the
// value in the answer (`data.attributes.body`), for the 406 that names it.
function toXmlTree(value: unknown, path: string): unknown {
  if (Array.isArray(value)) return { item: value.map((inner, i) => toXmlTree(inner, join(path, String(i)))) };
  if (value instanceof Date) return value.toISOString();
  if (value && typeof value === "object") {
    return Object.fromEntries(
      Object.entries(value).map(([key, inner]) => [key, toXmlTree(inner, join(path, key))]),
    );
  }
  if (typeof value === "string") return xmlText(value, path);
  return value ?? "";
}

const join = (path: string, key: string) => (path ? `${path}.${key}` : key);

/**
 * What XML 1.0 cannot carry at all, even as a character reference: C0 controls
 * but TAB, LF and CR; unpaired surrogates; U+FFFE and U+FFFF.
 */
// biome-ignore lint/suspicious/noControlCharactersInRegex: finding control characters is its purpose.
const NOT_IN_XML = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]|\p{Surrogate}/u;

/** The first character of `text` an XML answer cannot carry, as `U+0001`, or null. */
export function unXmlableChar(text: string): string | null {
  const found = NOT_IN_XML.exec(text)?.[0];
  return found === undefined
    ? null
    : `U+${(found.codePointAt(0) as number).toString(16).toUpperCase().padStart(4, "0")}`;
}

/** Thrown for a text XML cannot carry: it is never dropped or replaced silently. */
export function notInXml(where: string, char: string): NotAcceptableError {
  return new NotAcceptableError(
    `${where} holds ${char}, which XML 1.0 cannot carry: ask for JSON (Accept: application/json) to get it exactly.`,
  );
}

// Element text, exact: `&` and `<` escaped (`>` too, for `]]>`), CR as `&#13;`
// (an XML parser reads a raw CR as LF). TAB and LF are carried as they are.
function xmlText(text: string, path: string): string {
  const char = unXmlableChar(text);
  if (char) throw notInXml(`The answer's ${path}`, char);
  return text.replace(/[&<>\r]/g, (c) => XML_ESCAPES[c] as string);
}

const XML_ESCAPES: Record<string, string> = { "&": "&amp;", "<": "&lt;", ">": "&gt;", "\r": "&#13;" };
