// Raw HTTP to the SMSFactor-compatible API, as SMSFactor's clients call it: the
// PHP SDK's headers (Accept: application/json, X-application, a JSON body `[]`
// even on GET and DELETE), or no Accept at all (XML answers). node:http, because
// fetch refuses a body on GET.
import { request } from "node:http";
import { XMLParser } from "fast-xml-parser";
import { expect } from "vitest";

interface SfResponse {
  http: number;
  type: string;
  text: string;
}

export interface SfInit {
  /** Sent as `Authorization: Bearer …` when given. */
  token?: string;
  headers?: Record<string, string>;
  body?: string;
}

/** One request to `${baseUrl}/smsfactor${path}`, answered as text. */
export function sfRequest(
  baseUrl: string,
  method: string,
  path: string,
  init: SfInit = {},
): Promise<SfResponse> {
  const headers = {
    ...(init.token ? { Authorization: `Bearer ${init.token}` } : {}),
    // Framed, as Guzzle frames it (node:http sends a GET's body unframed otherwise).
    ...(init.body !== undefined ? { "Content-Length": String(Buffer.byteLength(init.body)) } : {}),
    ...init.headers,
  };
  return new Promise((resolve, reject) => {
    const sent = request(`${baseUrl}/smsfactor${path}`, { method, headers }, (response) => {
      let text = "";
      response.setEncoding("utf8");
      response.on("data", (chunk: string) => {
        text += chunk;
      });
      response.on("end", () =>
        resolve({ http: response.statusCode ?? 0, type: response.headers["content-type"] ?? "", text }),
      );
    });
    sent.on("error", reject);
    sent.end(init.body);
  });
}

/**
 * As the PHP SDK calls: Accept JSON, X-application 15, a JSON body (`[]` when
 * none is given). The answer must be HTTP 200 JSON; its body is returned.
 */
export async function sfJson(
  baseUrl: string,
  method: string,
  path: string,
  init: SfInit & { json?: unknown } = {},
): Promise<Record<string, unknown>> {
  const answer = await sfRequest(baseUrl, method, path, {
    ...init,
    headers: {
      Accept: "application/json",
      "X-application": "15",
      "Content-Type": "application/json",
      ...init.headers,
    },
    body: init.body ?? JSON.stringify(init.json ?? []),
  });
  expect(answer.http).toBe(200);
  expect(answer.type).toMatch(/^application\/json/);
  return JSON.parse(answer.text) as Record<string, unknown>;
}

const xmlReader = new XMLParser({
  parseTagValue: false,
  isArray: (_name, path) => typeof path === "string" && REPEATED.has(path),
});
/** Elements read as arrays even when there is one (as a client reading the reference would). */
const REPEATED = new Set(["response.campaigns", "response.campaign"]);

/** With no Accept header (XML answers); `xml` sent as application/xml. The answer's `<response>`, read. */
export async function sfXml(
  baseUrl: string,
  method: string,
  path: string,
  init: SfInit & { xml?: string } = {},
): Promise<Record<string, unknown>> {
  const answer = await sfRequest(baseUrl, method, path, {
    ...init,
    headers: { ...(init.xml ? { "Content-Type": "application/xml" } : {}), ...init.headers },
    body: init.body ?? init.xml,
  });
  expect(answer.http).toBe(200);
  expect(answer.type).toBe("application/xml; charset=utf-8");
  return readXmlAnswer(answer.text);
}

/** An XML answer's `<response>` element, read (every value a string), after checking its prolog. */
export function readXmlAnswer(text: string): Record<string, unknown> {
  expect(text.startsWith('<?xml version="1.0" encoding="UTF-8"?><response>')).toBe(true);
  return xmlReader.parse(text).response as Record<string, unknown>;
}

/** An object's values as XML gives them back: text (nested objects and arrays alike). */
export function asXmlText(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(asXmlText);
  if (value && typeof value === "object") {
    return Object.fromEntries(Object.entries(value).map(([key, inner]) => [key, asXmlText(inner)]));
  }
  return value === null ? "null" : String(value);
}
