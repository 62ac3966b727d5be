import type { Request, Response } from "express";
import { XMLBuilder } from "fast-xml-parser";

/** What a handler answers; the route wrapper writes it as JSON, or XML on request. */
export interface Reply {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
}

const xml = new XMLBuilder({ arrayNodeName: "item", format: false, suppressEmptyNode: true });

/**
 * Writes a reply. JSON by default; XML when the client's Accept header prefers
 * `application/xml` (the root element is `<response>`, list items are `<item>`).
 */
export function sendReply(req: Request, res: Response, reply: Reply): void {
  if (reply.headers) res.set(reply.headers);
  res.status(reply.status);
  if (reply.body === undefined) {
    res.end();
    return;
  }
  if (wantsXml(req)) {
    res
      .type("application/xml")
      .send(`<?xml version="1.0" encoding="UTF-8"?>${xml.build({ response: toXmlTree(reply.body) })}`);
    return;
  }
  res.json(reply.body);
}

// Content negotiation is only worth running when the client names XML at all.
function wantsXml(req: Request): boolean {
  const accept = req.headers.accept;
  return (
    accept !== undefined &&
    /xml/i.test(accept) &&
    req.accepts(["application/json", "application/xml"]) === "application/xml"
  );
}

// Arrays become <item> children; null becomes an empty element.
function toXmlTree(value: unknown): unknown {
  if (Array.isArray(value)) return { item: value.map(toXmlTree) };
  if (value instanceof Date) return value.toISOString();
  if (value && typeof value === "object") {
    return Object.fromEntries(Object.entries(value).map(([key, inner]) => [key, toXmlTree(inner)]));
  }
  return value ?? "";
}
