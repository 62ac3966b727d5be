// Requests to the SMSFactor-compatible routes as SMSFactor's clients make them:
// in JSON with the PHP SDK's headers (`Accept: application/json`, Bearer token,
// `X-application: 15`, a JSON body `[]` even on GET and DELETE), and in XML (no
// Accept: XML answers; XML request bodies).
import { XMLParser } from "fast-xml-parser";

const parser = new XMLParser({ ignoreAttributes: false, parseTagValue: false, trimValues: false });

export interface JsonAnswer {
  http: number;
  contentType: string;
  // The answers' shapes are what the tests check.
  // biome-ignore lint/suspicious/noExplicitAny: an answer's JSON, read by the assertions
  body: any;
}

export interface XmlAnswer {
  http: number;
  contentType: string;
  text: string;
  /** The `<response>` element, parsed: every value is text. */
  // biome-ignore lint/suspicious/noExplicitAny: an answer's XML, read by the assertions
  response: any;
}

/** A client of `<baseUrl>/smsfactor` acting with `token`. */
export function smsfactorClient(baseUrl: string, token: string) {
  const url = (path: string) => `${baseUrl}/smsfactor${path}`;
  return {
    /** A JSON request as the PHP SDK sends it (`body` defaults to `[]`). */
    async json(method: string, path: string, body: unknown = []): Promise<JsonAnswer> {
      const res = await fetch(url(path), {
        method,
        headers: {
          Accept: "application/json",
          Authorization: `Bearer ${token}`,
          "X-application": "15",
          "Content-Type": "application/json",
        },
        body: JSON.stringify(body),
      });
      const text = await res.text();
      return { http: res.status, contentType: res.headers.get("content-type") ?? "", body: JSON.parse(text) };
    },
    /** A request with no Accept header (XML answers) and, when given, an XML body. */
    async xml(method: string, path: string, body?: string): Promise<XmlAnswer> {
      const res = await fetch(url(path), {
        method,
        headers: {
          Authorization: `Bearer ${token}`,
          ...(body === undefined ? {} : { "Content-Type": "application/xml" }),
        },
        ...(body === undefined ? {} : { body }),
      });
      const text = await res.text();
      const parsed = parser.parse(text) as { response?: unknown };
      return {
        http: res.status,
        contentType: res.headers.get("content-type") ?? "",
        text,
        response: parsed.response,
      };
    },
  };
}

export type SmsfactorClient = ReturnType<typeof smsfactorClient>;

/** A parsed XML value that may be one element or several, as an array. */
export function elements<T>(value: T | T[] | undefined): T[] {
  if (value === undefined || value === "") return [];
  return Array.isArray(value) ? value : [value];
}
