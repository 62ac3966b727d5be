import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { Webhook } from "standardwebhooks";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createWebhookSender, generateWebhookSecret } from "../src/index";

interface Received {
  headers: IncomingMessage["headers"];
  body: string;
}

/** A receiver whose answer each test chooses by path. */
async function startReceiver() {
  const received: Received[] = [];
  const hanging: ServerResponse[] = [];
  const server: Server = createServer((req, res) => {
    let body = "";
    req.on("data", (chunk: Buffer) => {
      body += chunk.toString();
    });
    req.on("end", () => {
      received.push({ headers: req.headers, body });
      switch (req.url) {
        case "/ok":
          res.writeHead(204).end();
          break;
        case "/fail":
          res.writeHead(500, { "content-type": "text/plain" }).end("boom");
          break;
        case "/redirect":
          res.writeHead(302, { location: "/ok" }).end();
          break;
        case "/big":
          res.writeHead(200, { "content-type": "text/plain" }).end("x".repeat(1_000_000));
          break;
        case "/json":
          res.writeHead(422, { "content-type": "application/json" }).end('{"error":"unknown batch"}');
          break;
        case "/accented":
          // 1 + 2 × 600 bytes: the kept 1,024 bytes end in the middle of an "é".
          res.writeHead(200, { "content-type": "text/plain; charset=utf-8" }).end(`a${"é".repeat(600)}`);
          break;
        case "/nul":
          res.writeHead(200).end(Buffer.from([0x6f, 0x00, 0x6b]));
          break;
        case "/hang":
          hanging.push(res);
          break;
        default:
          res.writeHead(404).end();
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    received,
    port,
    url: (path: string) => `http://127.0.0.1:${port}${path}`,
    close: () =>
      new Promise<void>((resolve) => {
        for (const res of hanging) res.destroy();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

describe("createWebhookSender", () => {
  let receiver: Awaited<ReturnType<typeof startReceiver>>;
  const secret = generateWebhookSecret();
  const sender = createWebhookSender({ timeoutMs: 500, allowPrivateNetworks: true });
  const strict = createWebhookSender({ timeoutMs: 500, allowPrivateNetworks: false });

  beforeAll(async () => {
    receiver = await startReceiver();
  });
  afterAll(async () => {
    await Promise.all([sender.close(), strict.close()]);
    await receiver.close();
  });

  const payload = JSON.stringify({ type: "dlr", timestamp: "2026-11-22T10:00:00.000Z", data: { a: 1 } });

  it("posts the payload signed, and a 2xx is a delivery", async () => {
    const outcome = await sender.send({ url: receiver.url("/ok"), id: "evt_ok", payload, secret });
    expect(outcome).toMatchObject({ delivered: true, statusCode: 204, error: null });
    const request = receiver.received.at(-1) as Received;
    expect(request.body).toBe(payload);
    expect(request.headers["content-type"]).toBe("application/json");
    expect(request.headers["user-agent"]).toBe("Salvo-Webhooks/1");
    expect(request.headers["webhook-id"]).toBe("evt_ok");
    expect(new Webhook(secret).verify(request.body, request.headers as Record<string, string>)).toEqual(
      JSON.parse(payload),
    );
  });

  it.each([
    ["/fail", 500, "HTTP 500"],
    ["/redirect", 302, "HTTP 302 (redirects are not followed)"],
    ["/missing", 404, "HTTP 404"],
  ])("%s is a failure: %s", async (path, statusCode, error) => {
    const before = receiver.received.length;
    const outcome = await sender.send({ url: receiver.url(path), id: "evt_x", payload, secret });
    expect(outcome).toMatchObject({ delivered: false, statusCode, error });
    // The redirect was not followed: one request only.
    expect(receiver.received.length).toBe(before + 1);
  });

  it("keeps the start of the answer: its body as text and its Content-Type", async () => {
    const failed = await sender.send({ url: receiver.url("/json"), id: "evt_j", payload, secret });
    expect(failed).toMatchObject({
      delivered: false,
      statusCode: 422,
      error: "HTTP 422",
      response: { body: '{"error":"unknown batch"}', truncated: false, contentType: "application/json" },
    });
    const empty = await sender.send({ url: receiver.url("/ok"), id: "evt_e", payload, secret });
    expect(empty.response).toEqual({ body: "", truncated: false, contentType: null });
  });

  it("reads only the start of a large answer, and keeps its first 1,024 bytes", async () => {
    const outcome = await sender.send({ url: receiver.url("/big"), id: "evt_big", payload, secret });
    expect(outcome).toMatchObject({
      delivered: true,
      statusCode: 200,
      response: { body: "x".repeat(1_024), truncated: true, contentType: "text/plain" },
    });
  });

  it("drops a character cut at the limit, and stores NUL as U+FFFD", async () => {
    const accented = await sender.send({ url: receiver.url("/accented"), id: "evt_a", payload, secret });
    expect(accented.response).toMatchObject({ body: `a${"é".repeat(511)}`, truncated: true });
    const nul = await sender.send({ url: receiver.url("/nul"), id: "evt_n", payload, secret });
    expect(nul.response).toMatchObject({ body: "o\uFFFDk", truncated: false });
  });

  it("gives up on a slow receiver after the timeout", async () => {
    const outcome = await sender.send({ url: receiver.url("/hang"), id: "evt_slow", payload, secret });
    expect(outcome).toMatchObject({
      delivered: false,
      statusCode: null,
      error: "timeout after 500 ms",
      response: null,
    });
  });

  it("says when nothing listens", async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, "127.0.0.1", resolve));
    const { port } = closed.address() as AddressInfo;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const outcome = await sender.send({ url: `http://127.0.0.1:${port}/`, id: "evt_r", payload, secret });
    expect(outcome).toMatchObject({ delivered: false, statusCode: null, error: "connection refused" });
  });

  it("without private networks, never connects to one, by address or by name", async () => {
    const before = receiver.received.length;
    const literal = await strict.send({ url: receiver.url("/ok"), id: "evt_p", payload, secret });
    expect(literal).toMatchObject({ delivered: false, statusCode: null });
    expect(literal.error).toMatch(/127\.0\.0\.1, a loopback address/);
    const named = await strict.send({
      url: `http://localhost:${receiver.port}/ok`,
      id: "evt_p",
      payload,
      secret,
    });
    expect(named).toMatchObject({ delivered: false, statusCode: null });
    expect(named.error).toMatch(/^localhost resolves to .*loopback address/);
    expect(receiver.received.length).toBe(before);
  });
});
