// The kannel provider against a real smsbox (bearerbox, smsbox and fakesmsc started
// for this file): what smsbox answers maps to hand-off results, the coding follows
// Salvo's part count, and the dlr-urls Kannel calls back are signed and parsed.
import { createServer, type Server } from "node:http";
import { createServer as createTcpServer } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { findKannel, freePort, type KannelPeer, startKannel } from "../../test/kannel-peer";
import { HandoffExpiredError, type OutboundMessage, type SmsProvider } from "../provider";
import { authenticateCallback, dlrSignature, kannelDlrSchema, kannelInboundSchema } from "./callbacks";
import { createKannel, kannelSettingsSchema } from "./kannel";

const SECRET = "kannel-test-secret-0123";
const ID = "msg_01JFAKEFAKEFAKEFAKEFAKEFAK_7";

describe("Kannel's callbacks", () => {
  it.each([
    ["1", undefined, [{ status: "delivered", providerCode: "DELIVRD" }]],
    ["2", "id:1 stat:EXPIRED err:000", [{ status: "undelivered", reason: "expired" }]],
    ["2", "id:1 stat:UNDELIV err:001", [{ status: "undelivered", reason: "network_error" }]],
    ["16", "NACK/0x0000000b/Invalid Destination Address", [{ status: "undelivered", reason: "rejected" }]],
    ["34", undefined, [{ status: "undelivered", reason: "expired", providerCode: "EXPIRED" }]],
    ["4", undefined, []],
    ["8", "ACK/", []],
  ])("DLR type %s (reply %s)", (type, reply, expected) => {
    const reports = kannelDlrSchema.parse({ id: ID, type, reply, sig: "ignored here" });
    expect(reports).toMatchObject(expected.map((report) => ({ messageId: ID, ...report })));
  });

  it("refuses a DLR type Kannel does not send", () => {
    expect(kannelDlrSchema.safeParse({ id: ID, type: "3" }).success).toBe(false);
  });

  it("takes a DLR signed for its own message only, and an MO carrying the secret", () => {
    const sig = dlrSignature(SECRET, ID);
    expect(authenticateCallback(SECRET, { path: "dlr", query: { id: ID, sig } })).toBe(true);
    expect(authenticateCallback(SECRET, { path: "dlr", query: { id: `${ID}1`, sig } })).toBe(false);
    expect(authenticateCallback(SECRET, { path: "dlr", query: { id: ID } })).toBe(false);
    expect(authenticateCallback(SECRET, { path: "dlr", query: { id: ID, sig: [sig, sig] } })).toBe(false);
    expect(authenticateCallback(SECRET, { path: "inbound", query: { token: SECRET } })).toBe(true);
    expect(authenticateCallback(SECRET, { path: "inbound", query: { token: sig } })).toBe(false);
    expect(
      kannelInboundSchema.parse({ token: SECRET, from: "33612340001", to: "SALVO", text: "STOP" }),
    ).toEqual({
      from: "33612340001",
      to: "SALVO",
      body: "STOP",
    });
  });

  it("refuses a secret Kannel would read as escapes", () => {
    const base = { sendsmsUrl: "http://k/cgi-bin/sendsms", username: "u", password: "p" };
    const settings = { ...base, callbackBaseUrl: "http://salvo/" };
    expect(
      kannelSettingsSchema.safeParse({ ...settings, callbackSecret: "%d%d%d%d%d%d%d%d%d" }).success,
    ).toBe(false);
    expect(kannelSettingsSchema.parse({ ...settings, callbackSecret: SECRET })).toMatchObject({
      dlrMask: 19,
      callbackBaseUrl: "http://salvo",
    });
  });
});

const kannel = findKannel();
if ("missing" in kannel) console.warn(`Kannel tests skipped: ${kannel.missing}`);

describe.skipIf("missing" in kannel)("the kannel provider against a real smsbox", () => {
  let peer: KannelPeer;
  let api: Server;
  let apiUrl: string;
  /** What Kannel called back with: the dlr-urls' queries. */
  const callbacks: URLSearchParams[] = [];
  const providers: SmsProvider[] = [];

  beforeAll(async () => {
    if ("missing" in kannel) return;
    const port = await freePort();
    // Plays Salvo's API: records each dlr-url call.
    api = createServer((req, res) => {
      callbacks.push(new URL(req.url ?? "/", "http://x").searchParams);
      res.writeHead(202).end();
    }).listen(port, "127.0.0.1");
    apiUrl = `http://127.0.0.1:${port}`;
    peer = await startKannel(kannel);
  }, 30_000);
  afterAll(async () => {
    await Promise.all(providers.map((provider) => provider.close()));
    await peer?.stop();
    api?.close();
  });

  function provider(overrides: Record<string, unknown> = {}): SmsProvider {
    const settings = kannelSettingsSchema.parse({
      sendsmsUrl: peer.sendsmsUrl,
      username: peer.username,
      password: peer.password,
      smsc: peer.smsc,
      dlrMask: 31,
      callbackBaseUrl: apiUrl,
      callbackSecret: SECRET,
      timeoutMs: 2_000,
      ...overrides,
    });
    const created = createKannel(settings, {
      connector: "kannel-eu",
      async reportDeliveries() {},
      async reportInbound() {},
    });
    providers.push(created);
    return created;
  }

  const message = (idx: number, body: string): OutboundMessage => ({
    id: `msg_01JFAKEFAKEFAKEFAKEFAKEFAK_${idx}`,
    to: `+3361234${String(idx).padStart(4, "0")}`,
    from: "SALVO",
    body,
  });

  async function until<T>(what: string, check: () => T | undefined, timeoutMs = 10_000): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const value = check();
      if (value !== undefined) return value;
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}\n${peer.logs()}`);
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
  }

  it("hands off GSM, UCS-2 and long messages; fakesmsc receives them and Kannel calls the signed dlr-url", async () => {
    const kannelProvider = provider();
    const messages = [message(1, "Hello [GSM] €"), message(2, "Привет ☃"), message(3, "long ".repeat(70))];
    const results = await kannelProvider.send(messages);
    expect(results).toEqual(messages.map((m) => ({ id: m.id, accepted: true })));

    // GSM as text, UCS-2 as Kannel writes it, the 350-character message as 3 UDH parts.
    const lines = await until("fakesmsc to receive 5 SMS", () =>
      peer.received.length >= 5 ? peer.received : undefined,
    );
    expect(lines.filter((line) => line.startsWith("SALVO +33612340001 text Hello [GSM]"))).toHaveLength(1);
    expect(lines.filter((line) => line.startsWith("SALVO +33612340002 ucs-2 "))).toHaveLength(1);
    expect(
      lines.filter((line) => /^SALVO \+33612340003 udh %05%00%03%\w\w%03%0[123] /.test(line)),
    ).toHaveLength(3);

    // fakesmsc acknowledges (type 8, `ACK/`) and bearerbox then reports delivery (type 1):
    // one of each per message, the long one's parts merged into one message by Kannel.
    const dlrs = await until("6 DLRs", () => (callbacks.length >= 6 ? callbacks : undefined));
    const byMessage = messages.map((m) =>
      dlrs
        .filter((q) => q.get("id") === m.id)
        .map((q) => q.get("type"))
        .sort(),
    );
    expect(byMessage).toEqual([
      ["1", "8"],
      ["1", "8"],
      ["1", "8"],
    ]);
    for (const query of dlrs) {
      expect(authenticateCallback(SECRET, { path: "dlr", query: Object.fromEntries(query) })).toBe(true);
    }
    const delivered = dlrs.flatMap((q) => kannelDlrSchema.parse(Object.fromEntries(q)));
    expect(delivered.map((r) => [r.messageId, r.status]).sort()).toEqual(
      messages.map((m) => [m.id, "delivered"]),
    );
    expect(kannelProvider.state?.()).toMatchObject({ up: true, detail: { errorsLastMinute: 0 } });
  });

  it("asks smsbox for a validity in minutes, and awaits final DLRs that long when it asks for both", async () => {
    const expiring = provider({ validityMinutes: 90, dlrMask: 3 });
    expect(expiring.validityMs).toBe(5_400_000);
    const before = peer.received.length;
    expect(await expiring.send([message(20, "valid for 90 minutes")])).toEqual([
      { id: message(20, "").id, accepted: true },
    ]);
    await until("fakesmsc to receive it", () => (peer.received.length > before ? true : undefined));
    // Delivered ones are never reported with 2 alone; nothing is awaited without a validity.
    expect(provider({ validityMinutes: 90, dlrMask: 2 }).validityMs).toBeUndefined();
    expect(provider({ dlrMask: 3 }).validityMs).toBeUndefined();
  });

  it("keeps at most `concurrency` sendsms calls in flight across concurrent sends", async () => {
    const shared = provider({ concurrency: 3, dlrMask: 0 });
    const before = peer.received.length;
    let most = 0;
    let sampling = true;
    const sample = () => {
      most = Math.max(most, Number(shared.state?.().detail?.inFlight ?? 0));
      if (sampling) setImmediate(sample);
    };
    sample();
    const groups = [0, 1].map((group) =>
      Array.from({ length: 30 }, (_, n) => message(100 + group * 30 + n, `concurrent ${group}`)),
    );
    const results = await Promise.all(groups.map((group) => shared.send(group)));
    sampling = false;
    expect(results.flat().every((result) => result.accepted)).toBe(true);
    expect(most).toBe(3);
    await until("fakesmsc to receive the 60", () => (peer.received.length >= before + 60 ? true : undefined));
  });

  it("maps smsbox's refusal of its credentials to failed, with smsbox's answer as the code", async () => {
    const [result] = await provider({ password: "wrong" }).send([message(10, "hi")]);
    expect(result).toEqual({
      id: message(10, "hi").id,
      accepted: false,
      reason: "rejected_by_provider",
      providerCode: "403 Authorization failed for sendsms",
    });
  });

  it("offers the message again (temporary) when smsbox is down, and says it is down", async () => {
    const down = provider({ sendsmsUrl: `http://127.0.0.1:${await freePort()}/cgi-bin/sendsms` });
    const [result] = await down.send([message(11, "hi")]);
    expect(result).toMatchObject({ accepted: false, temporary: true, providerCode: "ECONNREFUSED" });
    expect(down.state?.()).toMatchObject({ up: false, detail: { errorsLastMinute: 1 } });
  });

  it("counts a call that timed out as handed off (in doubt: never sent twice)", async () => {
    // A sendsms port that accepts the connection and never answers.
    const silent = createTcpServer(() => {}).listen(0, "127.0.0.1");
    await new Promise((resolve) => silent.once("listening", resolve));
    const address = silent.address();
    const port = typeof address === "object" && address ? address.port : 0;
    try {
      const slow = provider({ sendsmsUrl: `http://127.0.0.1:${port}/cgi-bin/sendsms`, timeoutMs: 200 });
      expect(await slow.send([message(12, "hi")])).toEqual([{ id: message(12, "hi").id, accepted: true }]);
    } finally {
      silent.close();
    }
  });

  it("hands nothing off once notAfter has passed", async () => {
    const before = peer.received.length;
    await expect(provider().send([message(13, "late")], { notAfter: Date.now() - 1 })).rejects.toThrow(
      HandoffExpiredError,
    );
    expect(peer.received.length).toBe(before);
  });
});
