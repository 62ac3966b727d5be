// The error table of docs/api.md is the contract: every code in it is provoked
// here for real, over HTTP, with the status the table gives; and every code the
// API's source can answer is in the table.
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestApi, type TestApi } from "./harness";

const ROOT = join(import.meta.dirname, "../../..");

/** The `| status | \`CODE\` | when |` rows of the Errors section of docs/api.md. */
function documentedCodes(): Map<string, number> {
  const doc = readFileSync(join(ROOT, "docs/api.md"), "utf8");
  const section = doc.slice(doc.indexOf("\n## Errors"), doc.indexOf("\n## ", doc.indexOf("\n## Errors") + 1));
  const codes = new Map<string, number>();
  for (const [, status, code] of section.matchAll(/^\| (\d{3}) +\| `([A-Z_]+)` +\|/gm)) {
    codes.set(code as string, Number(status));
  }
  return codes;
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory())
      return name === "generated" || name === "node_modules" ? [] : sourceFiles(path);
    return path.endsWith(".ts") ? [path] : [];
  });
}

/**
 * Every code string the API can answer with: the codes of SalvoError subclasses
 * (`super("CODE", …)`) and of SalvoErrors made in place, in any package, and the
 * envelopes the API writes itself (`code: "CODE"`).
 */
function codesInSource(): Set<string> {
  const codes = new Set<string>();
  const dirs = ["apps", "packages"].flatMap((top) =>
    readdirSync(join(ROOT, top))
      .map((name) => join(ROOT, top, name, "src"))
      .filter((dir) => statSync(dir, { throwIfNoEntry: false })?.isDirectory()),
  );
  for (const file of dirs.flatMap(sourceFiles)) {
    const text = readFileSync(file, "utf8");
    const patterns = [/new SalvoError\(\s*"([A-Z_]+)"/g];
    if (text.includes("extends SalvoError")) patterns.push(/super\(\s*"([A-Z_]+)"/g);
    if (file.includes(join("apps", "api", "src"))) patterns.push(/\bcode: "([A-Z_]+)"/g);
    for (const pattern of patterns) for (const [, code] of text.matchAll(pattern)) codes.add(code as string);
  }
  return codes;
}

let t: TestApi;
let token: string;
beforeAll(async () => {
  t = await startTestApi({ IDEMPOTENCY_WAIT_MS: "100", SEND_TIMEOUT_MS: "3000" });
  ({ token } = await t.newAccount({ credits: 1_000, apiRateLimit: 1_000 }));
});
afterAll(() => t?.stop());

interface Answer {
  status: number;
  code: string | undefined;
}

async function call(
  method: string,
  path: string,
  init: {
    headers?: Record<string, string>;
    body?: string | Uint8Array;
    token?: string | null;
    url?: string;
  } = {},
): Promise<Answer> {
  const bearer = init.token === undefined ? token : init.token;
  const response = await fetch(`${init.url ?? t.api.url}${path}`, {
    method,
    headers: {
      ...(bearer ? { authorization: `Bearer ${bearer}` } : {}),
      ...(init.body !== undefined && typeof init.body === "string"
        ? { "content-type": "application/json" }
        : {}),
      ...init.headers,
    },
    body: init.body,
  });
  const text = await response.text();
  const xmlCode = /<error><code>([A-Z_]+)<\/code>/.exec(text)?.[1];
  let code: string | undefined = xmlCode;
  if (!xmlCode) code = (JSON.parse(text) as { error?: { code?: string } }).error?.code;
  return { status: response.status, code };
}

const sms = (to = "+33612345678") => JSON.stringify({ from: "ACME", to, body: "hello" });
const batch = (n: number) =>
  JSON.stringify({
    from: "ACME",
    body: "hello",
    recipients: Array.from({ length: n }, (_, i) => `+336${String(10_000_000 + i)}`),
  });

/** A real request that answers each documented code. */
const PROVOKE: Record<string, () => Promise<Answer>> = {
  INVALID_JSON: () => call("POST", "/v1/tokens", { body: '{"label":' }),
  INVALID_PARAMETER: () => call("GET", "/v1/tokens?page=0"),
  BAD_REQUEST: async () => {
    const path = await call("GET", "/v1/batches/%ZZ");
    const gzip = await call("POST", "/v1/tokens", {
      headers: { "content-type": "application/json", "content-encoding": "gzip" },
      body: new TextEncoder().encode('{"label":"not gzip"}'),
    });
    expect(gzip).toEqual(path);
    // A gzip body that does decompress is read.
    const good = await call("POST", "/v1/tokens", {
      headers: { "content-type": "application/json", "content-encoding": "gzip" },
      body: gzipSync('{"label":"gzip"}'),
    });
    expect(good.status).toBe(201);
    return path;
  },
  SENDER_NOT_ALLOWED: async () => {
    const strict = await t.newAccount();
    await t.store.accounts.update(strict.accountId, { requireRegisteredSender: true });
    return call("POST", "/v1/sms", { token: strict.token, body: sms() });
  },
  OUTSIDE_SENDING_HOURS: async () => {
    const closed = await t.newAccount();
    // Open every day but today (UTC): closed now.
    const today = ((new Date().getUTCDay() + 6) % 7) + 1;
    const days = [1, 2, 3, 4, 5, 6, 7].filter((day) => day !== today);
    await t.store.accounts.update(closed.accountId, {
      timezone: "UTC",
      sendingHours: { windows: [{ days, from: "00:00", to: "24:00" }], holidays: "none" },
    });
    const body = JSON.stringify({ ...JSON.parse(batch(1)), type: "marketing" });
    return call("POST", "/v1/send", { token: closed.token, body });
  },
  UNAUTHORIZED: () => call("GET", "/v1/account", { token: null }),
  // A token that only documentation addresses may use, presented from 127.0.0.1.
  IP_NOT_ALLOWED: async () => {
    const created = await fetch(`${t.api.url}/v1/tokens`, {
      method: "POST",
      headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
      body: JSON.stringify({ label: "elsewhere", allowed_ips: ["192.0.2.0/24"] }),
    });
    expect(created.status).toBe(201);
    const { data } = (await created.json()) as { data: { attributes: { token: string } } };
    return call("GET", "/v1/account", { token: data.attributes.token });
  },
  // This API has no LINK_BASE_URL.
  LINKS_NOT_CONFIGURED: () =>
    call("POST", "/v1/batches", {
      body: JSON.stringify({
        ...JSON.parse(batch(1)),
        body: "Voir https://shop.example",
        shorten_urls: true,
      }),
    }),
  NOT_ENOUGH_CREDITS: async () => {
    const poor = await t.newAccount({ credits: 0 });
    return call("POST", "/v1/sms", { token: poor.token, body: sms() });
  },
  SUBACCOUNT_FORBIDDEN: async () => {
    const { client } = await t.newAccount();
    const sub = await client.subaccounts.create({ name: "Shop" });
    const made = await client.subaccounts.tokens.create(sub.body.data.id);
    return call("GET", "/v1/subaccounts", { token: made.body.data.attributes.token });
  },
  NOT_FOUND: () => call("GET", "/v1/batches/bat_01JD3ZZZZZZZZZZZZZZZZZZZZZ"),
  METHOD_NOT_ALLOWED: () => call("PUT", "/v1/account"),
  NOT_ACCEPTABLE: () =>
    call("POST", "/v1/tokens", {
      headers: { accept: "application/xml" },
      body: JSON.stringify({ label: "a\u0001b" }),
    }),
  LIMIT_REACHED: async () => {
    const { token: mine } = await t.newAccount({ apiRateLimit: 1_000 });
    const webhook = JSON.stringify({ url: "http://127.0.0.1:9/hook", events: ["dlr"] });
    for (let i = 0; i < 20; i++) {
      expect((await call("POST", "/v1/webhooks", { token: mine, body: webhook })).status).toBe(201);
    }
    return call("POST", "/v1/webhooks", { token: mine, body: webhook });
  },
  BATCH_NOT_CANCELABLE: async () => {
    const created = await fetch(`${t.api.url}/v1/batches`, {
      method: "POST",
      headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
      body: batch(1),
    });
    const { data } = (await created.json()) as { data: { batch_id: string } };
    expect((await call("POST", `/v1/batches/${data.batch_id}/cancel`)).status).toBe(200);
    return call("POST", `/v1/batches/${data.batch_id}/cancel`);
  },
  NOT_IN_MODERATION: async () => {
    // A batch that was never held: an operator's approval of it has nothing to decide.
    const { token: admin } = await t.store.adminTokens.create("error codes");
    const accepted = await fetch(`${t.api.url}/v1/batches`, {
      method: "POST",
      headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
      body: batch(1),
    });
    const { data } = (await accepted.json()) as { data: { batch_id: string } };
    return call("POST", `/v1/admin/batches/${data.batch_id}/approve`, { token: admin });
  },
  LAST_TOKEN: async () => {
    const { token: only } = await t.newAccount();
    return call("DELETE", `/v1/tokens/${only.split(".")[0]}`, { token: only });
  },
  IDEMPOTENCY_KEY_REUSED: async () => {
    const headers = { "idempotency-key": "reused-1" };
    expect((await call("POST", "/v1/tokens", { headers, body: '{"label":"a"}' })).status).toBe(201);
    return call("POST", "/v1/tokens", { headers, body: '{"label":"b"}' });
  },
  IDEMPOTENCY_KEY_IN_USE: async () => {
    // A synchronous send waits for workers that do not run here: it holds its key
    // until SEND_TIMEOUT_MS, longer than another request with the key waits.
    const headers = { "idempotency-key": "in-use-1" };
    const running = call("POST", "/v1/send", { headers, body: batch(1) });
    await expect
      .poll(() => t.count("idempotency_keys", { key: "in-use-1" }), { timeout: 5_000, interval: 20 })
      .toBe(1);
    const second = await call("POST", "/v1/send", { headers, body: batch(1) });
    expect((await running).status).toBe(202);
    return second;
  },
  PAYLOAD_TOO_LARGE: () =>
    call("POST", "/v1/tokens", { body: JSON.stringify({ label: "x".repeat(2 << 20) }) }),
  TOO_MANY_RECIPIENTS: () => call("POST", "/v1/send", { body: batch(10_001) }),
  UNSUPPORTED_MEDIA_TYPE: () =>
    call("POST", "/v1/tokens", { headers: { "content-type": "text/plain" }, body: '{"label":"x"}' }),
  OVER_LIMIT: async () => {
    const { token: slow } = await t.newAccount({ apiRateLimit: 1 });
    const answers = await Promise.all(
      Array.from({ length: 5 }, () => call("GET", "/v1/account", { token: slow })),
    );
    return answers.find((a) => a.status === 429) ?? (answers[0] as Answer);
  },
  INTERNAL_ERROR: async () => {
    // A real fault on our side: a table the API reads is gone (in this file's own database).
    await t.query("ALTER TABLE batches RENAME TO batches_gone");
    try {
      return await call("GET", "/v1/batches");
    } finally {
      await t.query("ALTER TABLE batches_gone RENAME TO batches");
    }
  },
  NOT_READY: async () => {
    const down = await startTestApi({ REDIS_URL: "redis://127.0.0.1:1" });
    try {
      return await call("GET", "/readyz", { token: null, url: down.api.url });
    } finally {
      await down.stop();
    }
  },
};

describe("the error table of docs/api.md", () => {
  const documented = documentedCodes();

  it("is found, and has a way to provoke each code", () => {
    expect(documented.size).toBeGreaterThan(10);
    expect([...documented.keys()].filter((code) => !(code in PROVOKE))).toEqual([]);
  });

  // Some codes start an API of their own (NOT_READY: one whose Redis is down), which
  // takes a database copy and a shutdown: slow on a loaded machine, not stuck.
  it.each([...documented])(
    "%s: answered with %i",
    async (code, status) => {
      const provoke = PROVOKE[code];
      if (!provoke) throw new Error(`no way to provoke ${code}`);
      expect(await provoke()).toEqual({ status, code });
    },
    90_000,
  );

  it("lists every code the API's source can answer", () => {
    const emitted = codesInSource();
    expect(emitted.size).toBeGreaterThan(10);
    expect([...emitted].filter((code) => !documented.has(code)).sort()).toEqual([]);
  });
});
