// A client of the SMSFactor API written from the reference
// (/work/shared/compat/smsfactor-api.md), the way its SDKs call it, and not from
// Salvo's server code: so that the compatible routes are checked against what
// real clients send. Base URL: `<api>/smsfactor`.
import http from "node:http";
import { readXmlAnswer } from "./shape";

/**
 * How a request is written and what answer it asks for:
 * - `json`: the PHP SDK's habits (§1.2): `Accept: application/json`,
 *   `X-application: 15`, a JSON body, `[]` when there is nothing to send, GET
 *   and DELETE included;
 * - `xml`: no Accept header (XML is the default answer, §0.3), XML bodies;
 * - `xml-accept`: the same with `Accept: application/xml`;
 * - `form`: the legacy `data=<url-encoded JSON>` form (§1.4), answered in JSON.
 */
type RequestStyle = "json" | "xml" | "xml-accept" | "form";

export interface SmsFactorAnswer {
  http: number;
  contentType: string;
  /** Its Content-Disposition header ("" without one): a file's `attachment`. */
  disposition: string;
  text: string;
  /** `json` or `xml` by the answer's Content-Type; `other` for anything else. */
  format: "json" | "xml" | "other";
  /** The root element of an XML answer (`response`). */
  root?: string;
  /** The parsed answer: JSON as is, XML as readXmlAnswer's tree. */
  body: unknown;
}

export interface SmsFactorRequest {
  query?: Record<string, string>;
  /** `json`/`form`: a value to serialize; `xml`: the XML text. Absent: `[]` in JSON, nothing in XML. */
  body?: unknown;
  /** Overrides the client's token; `null` sends no Authorization header. */
  token?: string | null;
  /** Sent as is, with this Content-Type: for malformed bodies. */
  raw?: { contentType: string; text: string };
}

export class SmsFactorClient {
  constructor(
    readonly baseUrl: string,
    readonly token: string | undefined,
  ) {}

  request(style: RequestStyle, method: string, route: string, request: SmsFactorRequest = {}) {
    const url = new URL(`${this.baseUrl}${route}`);
    for (const [key, value] of Object.entries(request.query ?? {})) url.searchParams.set(key, value);
    const headers: Record<string, string> = {};
    const token = request.token === undefined ? this.token : request.token;
    if (token) headers.authorization = `Bearer ${token}`;
    let payload: string | undefined;
    if (style === "json") {
      headers.accept = "application/json";
      headers["x-application"] = "15";
      headers["content-type"] = "application/json";
      payload = JSON.stringify(request.body ?? []);
    } else if (style === "form") {
      headers.accept = "application/json";
      headers["content-type"] = "application/x-www-form-urlencoded";
      payload = new URLSearchParams({ data: JSON.stringify(request.body ?? {}) }).toString();
    } else {
      if (style === "xml-accept") headers.accept = "application/xml";
      if (request.body !== undefined) {
        headers["content-type"] = "application/xml";
        payload = String(request.body);
      }
    }
    if (request.raw) {
      headers["content-type"] = request.raw.contentType;
      payload = request.raw.text;
    }
    return send(method, url, headers, payload);
  }
}

// node:http rather than fetch: fetch refuses a body on GET, which the PHP SDK sends.
function send(
  method: string,
  url: URL,
  headers: Record<string, string>,
  payload: string | undefined,
): Promise<SmsFactorAnswer> {
  return new Promise((resolve, reject) => {
    const body = payload === undefined ? undefined : Buffer.from(payload);
    if (body) headers["content-length"] = String(body.length);
    const request = http.request(url, { method, headers }, (response) => {
      const chunks: Buffer[] = [];
      response.on("data", (chunk: Buffer) => chunks.push(chunk));
      response.on("error", reject);
      response.on("end", () => {
        const text = Buffer.concat(chunks).toString("utf8");
        const contentType = String(response.headers["content-type"] ?? "");
        const answer: SmsFactorAnswer = {
          http: response.statusCode ?? 0,
          contentType,
          disposition: String(response.headers["content-disposition"] ?? ""),
          text,
          format: "other",
          body: text,
        };
        try {
          if (/json/i.test(contentType)) {
            answer.format = "json";
            answer.body = JSON.parse(text);
          } else if (/xml/i.test(contentType)) {
            answer.format = "xml";
            const { root, body: tree } = readXmlAnswer(text);
            answer.root = root;
            answer.body = tree;
          }
        } catch (error) {
          answer.body = `unreadable ${answer.format} (${(error as Error).message}): ${text.slice(0, 200)}`;
        }
        resolve(answer);
      });
    });
    request.on("error", reject);
    request.end(body);
  });
}
