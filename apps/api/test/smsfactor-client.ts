// Requests to the SMSFactor-compatible routes as SMSFactor's clients make them:
// in JSON with the PHP SDK's headers (`Accept: application/json`, Bearer token,
// `X-application: 15`, a JSON body `[]` even on GET and DELETE), and in XML (no
// Accept: XML answers; XML request bodies).
import { request } from "node:http";
import { XMLParser } from "fast-xml-parser";

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

/** A raw HTTP request (node:http: fetch refuses a body on GET, which the PHP SDK sends). */
function call(
  url: string,
  method: string,
  headers: Record<string, string>,
  body: string | undefined,
): Promise<{ http: number; contentType: string; text: string }> {
  // With its length, as SDKs send it (Node's server refuses a chunked body on GET).
  const length = body === undefined ? {} : { "Content-Length": String(Buffer.byteLength(body)) };
  return new Promise((resolve, reject) => {
    const sent = request(url, { method, headers: { ...headers, ...length } }, (response) => {
      let text = "";
      response.setEncoding("utf8");
      response.on("data", (chunk: string) => {
        text += chunk;
      });
      response.on("end", () =>
        resolve({
          http: response.statusCode ?? 0,
          contentType: response.headers["content-type"] ?? "",
          text,
        }),
      );
      response.on("error", reject);
    });
    sent.on("error", reject);
    sent.end(body);
  });
}

/** A client of `<baseUrl>/smsfactor` acting with `token`. */
export function smsfactorClient(baseUrl: string, token: string) {
  const url = (path: string) => `${baseUrl}/smsfactor${path}`;
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
    const answer = await call(url(path), method, headers, body);
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
      const answer = await call(url(path), method, headers, body);
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
