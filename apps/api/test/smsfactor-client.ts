// Requests to the SMSFactor-compatible routes as SMSFactor's clients make them:
// in JSON with the PHP SDK's headers (`Accept: application/json`, Bearer token,
// `X-application: 15`, a JSON body `[]` even on GET and DELETE), and in XML (no
// Accept: XML answers; XML request bodies).
import { XMLParser } from "fast-xml-parser";
import { sfRequest } from "./smsfactor-http";

const parser = new XMLParser({ ignoreAttributes: false, parseTagValue: false, trimValues: false });

interface JsonAnswer {
  http: number;
  contentType: string;
  // The answers' shapes are what the tests check.
  // biome-ignore lint/suspicious/noExplicitAny: an answer's JSON, read by the assertions
  body: any;
}

interface XmlAnswer {
  http: number;
  contentType: string;
  text: string;
  /** The `<response>` element, parsed: every value is text. */
  // biome-ignore lint/suspicious/noExplicitAny: an answer's XML, read by the assertions
  response: any;
}

/** A client of `<baseUrl>/smsfactor` acting with `token`. */
export function smsfactorClient(baseUrl: string, token: string) {
  /** The request through smsfactor-http.ts's transport (node:http: fetch refuses a body on GET, which the PHP SDK sends). */
  const call = async (method: string, path: string, headers: Record<string, string>, body?: string) => {
    const { http, type, text } = await sfRequest(baseUrl, method, path, { headers, body });
    return { http, contentType: type, text };
  };
  async function jsonAnswer(
    method: string,
    path: string,
    contentType: string,
    body: string,
    more: Record<string, string> = {},
  ) {
    const headers = {
      Accept: "application/json",
      Authorization: `Bearer ${token}`,
      "X-application": "15",
      "Content-Type": contentType,
      ...more,
    };
    const answer = await call(method, path, headers, body);
    if (!answer.contentType.startsWith("application/json")) {
      throw new Error(
        `${method} ${path}: HTTP ${answer.http} ${answer.contentType}: ${answer.text.slice(0, 300)}`,
      );
    }
    return { http: answer.http, contentType: answer.contentType, body: JSON.parse(answer.text) };
  }
  return {
    /** A JSON request as the PHP SDK sends it (`body` defaults to `[]`, on every method). */
    json(method: string, path: string, body: unknown = []): Promise<JsonAnswer> {
      return jsonAnswer(method, path, "application/json", JSON.stringify(body));
    },
    /** A request answered in JSON, with its body and Content-Type as given (a form, XML). */
    raw(
      method: string,
      path: string,
      init: { "Content-Type": string; body: string; headers?: Record<string, string> },
    ): Promise<JsonAnswer> {
      return jsonAnswer(method, path, init["Content-Type"], init.body, init.headers);
    },
    /** A request with no Accept header (XML answers) and, when given, an XML body. */
    async xml(method: string, path: string, body?: string): Promise<XmlAnswer> {
      const headers: Record<string, string> = { Authorization: `Bearer ${token}` };
      if (body !== undefined) headers["Content-Type"] = "application/xml";
      const answer = await call(method, path, headers, body);
      const parsed = parser.parse(answer.text) as { response?: unknown };
      return { ...answer, response: parsed.response };
    },
  };
}

export type SmsfactorClient = ReturnType<typeof smsfactorClient>;

/** A parsed XML value that may be one element or several, as an array. */
export function elements<T>(value: T | T[] | undefined): T[] {
  if (value === undefined || value === "") return [];
  return Array.isArray(value) ? value : [value];
}
