import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { messages, recordingContext, tempDir } from "../../test/helpers";
import {
  createProvider,
  type DeliveryReport,
  HandoffExpiredError,
  type ProviderContext,
  type SmsProvider,
} from "../index";
import { relativeTime, smppSettingsSchema } from "./smpp";
import { longMo, TestSmsc, testCertificate } from "./test-smsc";

let smsc: TestSmsc;
const open: SmsProvider[] = [];

beforeEach(async () => {
  smsc = await TestSmsc.start();
});
afterEach(async () => {
  await Promise.all(open.splice(0).map((provider) => provider.close()));
  await smsc.close();
});

async function connect(
  settings: Record<string, unknown> = {},
  context: ProviderContext = recordingContext(),
): Promise<SmsProvider> {
  const provider = await createProvider(
    {
      name: "smpp",
      host: "127.0.0.1",
      port: smsc.port,
      systemId: "salvo",
      password: "secret",
      reconnectMinMs: 20,
      reconnectMaxMs: 200,
      responseTimeoutMs: 1_000,
      ...settings,
    },
    context,
  );
  open.push(provider);
  return provider;
}

const one = (body: string, from = "Salvo") => [{ id: "m-1", to: "+33612345678", from, body }];

describe("smpp bind", () => {
  it("binds as a transceiver with its credentials and reports its state", async () => {
    const provider = await connect({ binds: 2, window: 5 });
    expect(smsc.binds).toEqual([
      { command: "bind_transceiver", systemId: "salvo", password: "secret" },
      { command: "bind_transceiver", systemId: "salvo", password: "secret" },
    ]);
    expect(provider.state!()).toEqual({
      up: true,
      detail: { bindsUp: 2, binds: 2, windowInUse: 0, window: 10, errorsLastMinute: 0, lastError: null },
    });
  });

  it("binds a transmitter and a receiver in transmitter+receiver mode", async () => {
    await connect({ bindMode: "transmitter+receiver" });
    expect(smsc.binds.map((bind) => bind.command).sort()).toEqual(["bind_receiver", "bind_transmitter"]);
  });

  it("starts down when the SMSC cannot be reached, and binds once it can", async () => {
    const gone = await TestSmsc.start();
    const port = gone.port;
    await gone.close();
    const provider = await connect({ port });
    expect(provider.state!().up).toBe(false);
    const later = await TestSmsc.start(port);
    try {
      await later.waitFor(() => later.boundSessions === 1);
      await expect.poll(() => provider.state!().up).toBe(true);
    } finally {
      await provider.close();
      await later.close();
    }
  });

  it("fails at boot when the SMSC refuses the bind", async () => {
    smsc.refuseBinds = true;
    await expect(connect()).rejects.toThrow(/bind refused with command_status 0x0000000e/);
  });

  it("refuses a password longer than 8 characters with a clear message", async () => {
    await expect(connect({ password: "toolongpw" })).rejects.toThrow(/passwords are at most 8 characters/);
  });
});

describe("smpp validity period", () => {
  it.each([
    [60, "000000000100000R"],
    [90_061, "000001010101000R"],
    [172_800, "000002000000000R"],
    [604_799, "000006235959000R"],
    [604_800, "000007000000000R"],
  ])("writes %i s as the relative time %s", (seconds, written) => {
    expect(relativeTime(seconds)).toBe(written);
  });

  it("defaults to 48 hours and keeps to 60 s .. 7 days", () => {
    const base = { host: "smsc", systemId: "salvo", password: "secret" };
    expect(smppSettingsSchema.parse(base).validityPeriodSeconds).toBe(172_800);
    expect(smppSettingsSchema.safeParse({ ...base, validityPeriodSeconds: 59 }).success).toBe(false);
    expect(smppSettingsSchema.safeParse({ ...base, validityPeriodSeconds: 604_801 }).error?.issues).toEqual([
      expect.objectContaining({ path: ["validityPeriodSeconds"], message: "at most 7 days" }),
    ]);
  });

  it("sends it in every submit_sm, and gives it as the wait for a final receipt", async () => {
    const provider = await connect({ validityPeriodSeconds: 3_600 });
    await provider.send(one(`Long ${"x".repeat(170)}`));
    expect(smsc.submits.map((submit) => submit.validitySeconds)).toEqual([3_600, 3_600]);
    expect(provider.validityMs).toBe(3_600_000);
  });

  it("awaits no receipt when none is asked for, or only on failure", async () => {
    for (const registeredDelivery of [0, 2]) {
      const provider = await connect({ registeredDelivery });
      expect(provider.validityMs).toBeUndefined();
    }
    await open[0]!.send(one("Hi"));
    expect(smsc.submits[0]?.validitySeconds).toBe(172_800);
  });
});

describe("smpp submit", () => {
  it("sends a GSM-7 body (extension characters included) as data_coding 0 with TON/NPI by sender", async () => {
    const provider = await connect();
    const results = await provider.send([
      ...one("Price: 5€ [promo] {ok}"),
      { id: "m-2", to: "+33612345679", from: "33612345000", body: "Hi" },
    ]);
    expect(results).toEqual([
      { id: "m-1", accepted: true, providerMessageId: smsc.submits[0]!.messageId },
      { id: "m-2", accepted: true, providerMessageId: smsc.submits[1]!.messageId },
    ]);
    expect(smsc.submits[0]).toMatchObject({
      to: "33612345678",
      from: "Salvo",
      sourceTon: 5,
      dataCoding: 0,
      text: "Price: 5€ [promo] {ok}",
    });
    expect(smsc.submits[1]).toMatchObject({ from: "33612345000", sourceTon: 1, text: "Hi" });
  });

  it("sends a non-GSM body as UCS-2, data_coding 8", async () => {
    const provider = await connect();
    await provider.send(one("Привет 🎉"));
    expect(smsc.submits).toMatchObject([{ dataCoding: 8, text: "Привет 🎉", esmClass: 0 }]);
  });

  it("cuts a long message into UDH parts that share a reference; the first part's id is the message's", async () => {
    const provider = await connect();
    // The escape pair of € must not straddle two parts.
    const body = `${"x".repeat(152)}€${"y".repeat(200)}`;
    const [result] = await provider.send(one(body));
    expect(smsc.submits).toHaveLength(3);
    const parts = smsc.submits.map((submit) => submit.part);
    expect(parts.map((part) => [part?.total, part?.number])).toEqual([
      [3, 1],
      [3, 2],
      [3, 3],
    ]);
    expect(new Set(parts.map((part) => part?.reference)).size).toBe(1);
    expect(smsc.submits.every((submit) => submit.esmClass === 0x40)).toBe(true);
    expect(smsc.submits.map((submit) => submit.text).join("")).toBe(body);
    expect(smsc.submits[0]!.text).toBe("x".repeat(152));
    expect(result).toEqual({ id: "m-1", accepted: true, providerMessageId: smsc.submits[0]!.messageId });
  });

  it("cuts a long UCS-2 message at 67 units, never inside a surrogate pair", async () => {
    const provider = await connect();
    const body = `${"é".repeat(50)}${"🎉".repeat(30)}`; // not GSM: é is, 🎉 is not
    await provider.send(one(body));
    expect(smsc.submits.map((submit) => submit.text).join("")).toBe(body);
    expect(smsc.submits.every((submit) => submit.dataCoding === 8)).toBe(true);
    expect(smsc.submits.length).toBe(2);
  });

  it("sends a long message as one submit_sm with message_payload when asked", async () => {
    const provider = await connect({ longMessages: "payload" });
    const body = "z".repeat(400);
    await provider.send(one(body));
    expect(smsc.submits).toMatchObject([{ payload: true, text: body, esmClass: 0 }]);
  });

  it("keeps at most `window` submit_sm outstanding per bind", async () => {
    smsc.answer = () => ({ delayMs: 30 });
    const provider = await connect({ binds: 2, window: 3 });
    const results = await provider.send(messages("w", 20));
    expect(results.every((result) => result.accepted)).toBe(true);
    expect(smsc.submits).toHaveLength(20);
    expect(smsc.maxOutstanding).toBe(6);
    expect(provider.state!().detail?.windowInUse).toBe(0);
  });

  it("submits a throttled message again on the same connector once the pause is over", async () => {
    // Throttled, then queue full, then accepted: one message, three submit_sm, accepted once.
    smsc.answer = () => ({ status: [0x58, 0x14][smsc.submits.length] ?? 0 });
    const provider = await connect();
    expect(await provider.send(one("again"))).toEqual([
      { id: "m-1", accepted: true, providerMessageId: expect.any(String) },
    ]);
    expect(smsc.submits.map((submit) => submit.messageId !== undefined)).toEqual([false, false, true]);
    expect(provider.state!().detail?.errorsLastMinute).toBe(2);
    // The connector paused before each new submit_sm (200 ms, then doubled).
    const [throttled, full, accepted] = smsc.submits;
    expect(full!.at - throttled!.at).toBeGreaterThanOrEqual(180);
    expect(accepted!.at - full!.at).toBeGreaterThanOrEqual(380);
  });

  it("refuses for now, keeping the code, once a message stays throttled past throttleRetries", async () => {
    let n = 0;
    smsc.answer = () => ({ status: [0x58, 0x14, 0][n++ % 3] });
    const provider = await connect({ throttleRetries: 0 });
    const results = await provider.send(messages("t", 3));
    expect(results).toEqual([
      { id: "t-0", accepted: false, temporary: true, reason: "throttled", providerCode: "0x00000058" },
      { id: "t-1", accepted: false, temporary: true, reason: "throttled", providerCode: "0x00000014" },
      { id: "t-2", accepted: true, providerMessageId: expect.any(String) },
    ]);
    expect(smsc.submits).toHaveLength(3);
    expect(provider.state!().detail?.errorsLastMinute).toBe(2);
  });

  it("refuses for good on a permanent error, with the command_status", async () => {
    smsc.answer = (submit) => ({ status: submit.to.endsWith("01") ? 0x0b : 0x45 });
    const provider = await connect();
    const results = await provider.send([
      { id: "d", to: "+33600000001", from: "Salvo", body: "x" },
      { id: "o", to: "+33600000002", from: "Salvo", body: "x" },
    ]);
    expect(results).toEqual([
      { id: "d", accepted: false, reason: "invalid_destination", providerCode: "0x0000000b" },
      { id: "o", accepted: false, reason: "rejected_by_provider", providerCode: "0x00000045" },
    ]);
  });

  it("records a message without an answer in time as sent (in doubt), without an id", async () => {
    smsc.answer = () => ({ omit: true });
    const provider = await connect({ responseTimeoutMs: 200 });
    expect(await provider.send(one("Hi"))).toEqual([{ id: "m-1", accepted: true }]);
  });

  it("rebinds by itself after the link drops mid-window, and marks nothing failed", async () => {
    smsc.answer = (submit) => (submit.to.endsWith("00") && smsc.submits.length < 3 ? { omit: true } : {});
    const provider = await connect({ window: 5 });
    const sending = provider.send(messages("drop", 3));
    await smsc.waitFor(() => smsc.submits.length === 3);
    smsc.dropAll();
    const results = await sending;
    // Out on the wire when the link fell: in doubt, so sent, never refused nor offered twice.
    expect(results.every((result) => result.accepted)).toBe(true);
    await smsc.waitFor(() => smsc.boundSessions === 1);
    expect(smsc.binds).toHaveLength(2);
    await expect.poll(() => provider.state!().up).toBe(true);
    expect(await provider.send(one("after"))).toMatchObject([{ accepted: true }]);
  });

  it("keeps the link up with enquire_link, and rebinds when one goes unanswered", async () => {
    const provider = await connect({ enquireLinkSeconds: 1, responseTimeoutMs: 300 });
    await smsc.waitFor(() => smsc.enquireLinks === 1, 3_000);
    expect(smsc.binds).toHaveLength(1);
    smsc.answerEnquireLink = false;
    await smsc.waitFor(() => smsc.binds.length === 2, 5_000);
    await expect.poll(() => provider.state!().up).toBe(true);
  });

  it("keeps a session alive with enquire_link where the SMSC ends idle ones, and rebinds one it ended", async () => {
    smsc.dropIdleAfterMs = 1_500;
    const kept = await connect({ enquireLinkSeconds: 1 });
    await smsc.waitFor(() => smsc.enquireLinks >= 3, 6_000);
    expect(smsc.idleDrops).toBe(0);
    expect(await kept.send(one("still bound"))).toMatchObject([{ accepted: true }]);
    // Without enquire_link in time, the SMSC ends the session: the connector binds again by itself.
    const idle = await connect({ enquireLinkSeconds: 60 });
    await smsc.waitFor(() => smsc.idleDrops === 1 && smsc.boundSessions === 2, 6_000);
    smsc.dropIdleAfterMs = undefined;
    await expect.poll(() => idle.state!().up).toBe(true);
    expect(await idle.send(one("rebound"))).toMatchObject([{ accepted: true }]);
    expect(smsc.binds).toHaveLength(3);
  });

  it("hands nothing off once notAfter has passed, and frees the window", async () => {
    const provider = await connect({ window: 2 });
    await expect(provider.send(messages("late", 4), { notAfter: Date.now() - 1 })).rejects.toThrow(
      HandoffExpiredError,
    );
    expect(smsc.submits).toEqual([]);
    expect(provider.state!().detail?.windowInUse).toBe(0);
    expect(await provider.send(messages("on-time", 4), { notAfter: Date.now() + 5_000 })).toHaveLength(4);
    expect(smsc.submits).toHaveLength(4);
  });

  it("drops a session that receives a malformed PDU and rebinds", async () => {
    const provider = await connect();
    smsc.sendMalformed();
    await smsc.waitFor(() => smsc.binds.length === 2 && smsc.boundSessions === 1);
    await expect.poll(() => provider.state!().up).toBe(true);
    expect(await provider.send(one("after"))).toMatchObject([{ accepted: true }]);
  });

  it("answers temporary while no bind is up", async () => {
    const provider = await connect({ reconnectMinMs: 5_000, reconnectMaxMs: 5_000 });
    smsc.dropAll();
    await expect.poll(() => provider.state!().up).toBe(false);
    expect(await provider.send(one("Hi"))).toEqual([
      { id: "m-1", accepted: false, temporary: true, reason: "no_bind" },
    ]);
  });

  it("close() waits for the window to drain, then unbinds", async () => {
    smsc.answer = () => ({ delayMs: 150 });
    const provider = await connect();
    const sending = provider.send(messages("c", 2));
    await smsc.waitFor(() => smsc.submits.length === 2);
    await provider.close();
    await expect(sending).resolves.toMatchObject([{ accepted: true }, { accepted: true }]);
    expect(smsc.unbinds).toBe(1);
    await expect(provider.send(one("late"))).rejects.toThrow(/closed/);
  });
});

describe("smpp deliver_sm", () => {
  async function receiptsFor(idStyle: TestSmsc["idStyle"], send: (id: string) => Promise<number>) {
    smsc.idStyle = idStyle;
    const context = recordingContext();
    const provider = await connect({ npaiErrorCodes: ["001"] }, context);
    await provider.send(one("Hi"));
    expect(await send(smsc.submits[0]!.messageId!)).toBe(0);
    return context.calls.flatMap((call) => call.reports);
  }

  it.each([
    { idStyle: "decimal", idIn: "text", text: "full" },
    { idIn: "tlv", idStyle: "uuid", text: "full" },
    { idIn: "both", idStyle: "hex", text: "short" },
    { idIn: "text", idStyle: "uuid", text: "short" },
  ] as const)(
    "reads a DELIVRD receipt: id in $idIn, $idStyle ids, $text text",
    async ({ idStyle, idIn, text }) => {
      const reports = await receiptsFor(idStyle, (id) => smsc.receipt(id, { stat: "DELIVRD", idIn, text }));
      expect(reports).toEqual([
        {
          providerMessageId: smsc.submits[0]!.messageId,
          equivalentIds: expect.any(Array),
          status: "delivered",
          // A receipt with only TLVs has no err: code.
          providerCode: idIn === "tlv" ? "DELIVRD" : "DELIVRD:000",
          at: expect.any(Date),
        },
      ]);
    },
  );

  it.each([
    ["UNDELIV", "002", "undelivered"],
    ["UNDELIV", "001", "unknown_subscriber"],
    ["EXPIRED", "000", "expired"],
    ["REJECTD", "000", "rejected"],
    ["DELETED", "000", "deleted"],
    ["UNKNOWN", "000", "unknown"],
  ])("maps stat %s err %s to undelivered, reason %s", async (stat, err, reason) => {
    const reports = await receiptsFor("decimal", (id) => smsc.receipt(id, { stat, err }));
    expect(reports).toMatchObject([{ status: "undelivered", reason, providerCode: `${stat}:${err}` }]);
  });

  it("ignores an intermediate ACCEPTD receipt and applies the final one", async () => {
    const reports = await receiptsFor("decimal", async (id) => {
      await smsc.receipt(id, { stat: "ACCEPTD" });
      return smsc.receipt(id, { stat: "DELIVRD" });
    });
    expect(reports).toMatchObject([{ status: "delivered" }]);
  });

  it("gives the hex and decimal spellings of a receipt's id", async () => {
    const reports = await receiptsFor("decimal", (id) =>
      smsc.receipt(id, { stat: "DELIVRD", writtenId: Number(id).toString(16).toUpperCase() }),
    );
    const report = reports[0] as Extract<DeliveryReport, { providerMessageId: string }>;
    expect(report.equivalentIds).toContain(smsc.submits[0]!.messageId);
  });

  it("hands receipts that arrive together in one call, answering each once it is held", async () => {
    const calls: DeliveryReport[][] = [];
    let release!: () => void;
    let fail = false;
    const context: ProviderContext = {
      reportDeliveries: (reports) => {
        calls.push(reports);
        if (fail) return Promise.reject(new Error("Redis down"));
        // The first call is held until released: the receipts meanwhile make the next one.
        return calls.length === 1 ? new Promise<void>((resolve) => (release = resolve)) : Promise.resolve();
      },
      reportInbound: async () => {},
    };
    const provider = await connect({ window: 10 }, context);
    await provider.send(messages("r", 10));
    const answers = smsc.submits.map((submit) => smsc.receipt(submit.messageId!, { stat: "DELIVRD" }));
    await expect.poll(() => release).toBeDefined();
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(smsc.deliverAnswers).toEqual([]);
    release();
    expect(await Promise.all(answers)).toEqual(Array(10).fill(0));
    expect(calls.length).toBeLessThan(10);
    expect(calls.flat().map((report) => "providerMessageId" in report && report.providerMessageId)).toEqual(
      smsc.submits.map((submit) => submit.messageId),
    );
    // Not held: every deliver_sm of the call is answered with a resend request.
    fail = true;
    const resent = smsc.submits
      .slice(0, 3)
      .map((submit) => smsc.receipt(submit.messageId!, { stat: "DELIVRD" }));
    expect(await Promise.all(resent)).toEqual([0x64, 0x64, 0x64]);
  });

  it("hands a received message to reportInbound, with the connector's resend window", async () => {
    const context = recordingContext();
    await connect({}, context);
    expect(await smsc.mo("33612345678", "Salvo", "STOP")).toBe(0);
    expect(context.inbound).toEqual([
      { from: "33612345678", to: "Salvo", body: "STOP", resendWindowMs: 600_000 },
    ]);
  });

  it("hands it without a resend window when moResendWindowSeconds is 0", async () => {
    const context = recordingContext();
    await connect({ moResendWindowSeconds: 0 }, context);
    expect(await smsc.mo("33612345678", "Salvo", "Oui")).toBe(0);
    expect(context.inbound).toEqual([{ from: "33612345678", to: "Salvo", body: "Oui" }]);
  });

  it("answers deliver_sm only once Salvo holds it, and asks for a resend when it could not", async () => {
    let release!: () => void;
    let fail = false;
    const context: ProviderContext = {
      reportDeliveries: async () => {},
      reportInbound: () =>
        fail
          ? Promise.reject(new Error("database down"))
          : new Promise<void>((resolve) => (release = resolve)),
    };
    await connect({}, context);
    const answered = smsc.mo("33612345678", "Salvo", "Hello");
    await expect.poll(() => release).toBeDefined();
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(smsc.deliverAnswers).toEqual([]);
    release();
    expect(await answered).toBe(0);
    fail = true;
    expect(await smsc.mo("33612345678", "Salvo", "Again")).toBe(0x64);
  });
});

describe("smpp long MO", () => {
  it.each([
    { concatenation: "udh8", dataCoding: 0, parts: ["Hello [world] ", "costs 5€, ", "ok?"] },
    { concatenation: "udh16", dataCoding: 3, parts: ["Café ", "crème ", "brûlée"] },
    // The emoji's surrogate pair is split between the first two parts.
    { concatenation: "sar", dataCoding: 8, parts: ["Привет \ud83d", "\ude00 世界", "!"] },
    { concatenation: "udh8", dataCoding: 8, parts: ["日本語の", "返信"] },
  ] as const)(
    "hands each part ($concatenation, data_coding $dataCoding) with its place, decoded",
    async ({ concatenation, dataCoding, parts }) => {
      const context = recordingContext();
      await connect({}, context);
      const reference = concatenation === "udh16" ? 0x1234 : 0x42;
      const pdus = longMo("33612345678", "Salvo", [...parts], { concatenation, reference, dataCoding });
      // Out of order: the place comes from the part, not from arrival.
      for (const pdu of [...pdus].reverse()) expect(await smsc.deliverSm(pdu)).toBe(0);
      const received = [...context.inbound].sort((a, b) => a.part!.number - b.part!.number);
      expect(received).toEqual(
        parts.map((body, i) => ({
          from: "33612345678",
          to: "Salvo",
          body,
          part: { reference, total: parts.length, number: i + 1 },
        })),
      );
      expect(received.map((part) => part.body).join("")).toBe(parts.join(""));
    },
  );

  it("takes a one-part concatenated message, or a part numbered beyond its count, as a whole message", async () => {
    const context = recordingContext();
    await connect({}, context);
    const [single] = longMo("33612345678", "Salvo", ["Yes"], {
      concatenation: "udh8",
      reference: 7,
      dataCoding: 0,
    });
    expect(await smsc.deliverSm(single!)).toBe(0);
    expect(
      await smsc.deliverSm({
        ...single!,
        esm_class: 0,
        sar_msg_ref_num: 1,
        sar_total_segments: 2,
        sar_segment_seqnum: 3,
        short_message: "No",
      }),
    ).toBe(0);
    expect(context.inbound).toEqual([
      { from: "33612345678", to: "Salvo", body: "Yes", resendWindowMs: 600_000 },
      { from: "33612345678", to: "Salvo", body: "No", resendWindowMs: 600_000 },
    ]);
  });
});

describe("smpp over TLS", () => {
  const certificate = testCertificate(tempDir());
  let secure: TestSmsc;
  beforeEach(async () => {
    secure = await TestSmsc.start(0, { tls: certificate });
  });
  afterEach(async () => {
    await Promise.all(open.splice(0).map((provider) => provider.close()));
    await secure.close();
  });

  it("binds trusting the SMSC's CA, sends, and applies the receipt", async () => {
    const context = recordingContext();
    const provider = await connect(
      { port: secure.port, tls: true, tlsCaFile: certificate.certFile },
      context,
    );
    expect(provider.state!().up).toBe(true);
    const [result] = await provider.send(one("Over TLS"));
    expect(result).toMatchObject({ accepted: true, providerMessageId: secure.submits[0]!.messageId });
    expect(secure.submits[0]!.text).toBe("Over TLS");
    expect(await secure.receipt(secure.submits[0]!.messageId!, { stat: "DELIVRD" })).toBe(0);
    expect(context.calls.flatMap((call) => call.reports)).toMatchObject([{ status: "delivered" }]);
  });

  it("checks the certificate against tlsServername", async () => {
    const wrong = connect({
      port: secure.port,
      tls: true,
      tlsCaFile: certificate.certFile,
      tlsServername: "smsc.example.net",
    });
    const provider = await wrong;
    expect(provider.state!()).toMatchObject({
      up: false,
      detail: { lastError: expect.stringContaining("ERR_TLS_CERT_ALTNAME_INVALID") },
    });
  });

  it("stays down, saying why, when the certificate is not trusted; never binds without verifying", async () => {
    const problems: string[] = [];
    const provider = await connect(
      { port: secure.port, tls: true },
      { ...recordingContext(), problem: (description) => problems.push(description) },
    );
    expect(provider.state!()).toMatchObject({
      up: false,
      detail: { bindsUp: 0, lastError: expect.stringContaining("SELF_SIGNED") },
    });
    expect(secure.binds).toEqual([]);
    // Logged once, not at every reconnection.
    await expect.poll(() => (provider.state!().detail?.errorsLastMinute as number) >= 3).toBe(true);
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(
      /^SMPP 127\.0\.0\.1:\d+: DEPTH_ZERO_SELF_SIGNED_CERT: self[- ]signed certificate$/,
    );
    expect((await provider.send(one("Hi")))[0]).toMatchObject({
      accepted: false,
      temporary: true,
      reason: "no_bind",
    });
  });

  it("binds to an untrusted certificate only when tlsRejectUnauthorized is false", async () => {
    const provider = await connect({ port: secure.port, tls: true, tlsRejectUnauthorized: false });
    expect(provider.state!().up).toBe(true);
  });

  it("fails cleanly when plain TCP meets the TLS port", async () => {
    const problems: string[] = [];
    const provider = await connect(
      { port: secure.port },
      { ...recordingContext(), problem: (description) => problems.push(description) },
    );
    expect(provider.state!().up).toBe(false);
    expect(secure.binds).toEqual([]);
    expect(problems.length).toBeGreaterThanOrEqual(1);
  });

  it("refuses to open with a CA file that cannot be read", async () => {
    await expect(connect({ port: secure.port, tls: true, tlsCaFile: "/nonexistent/ca.pem" })).rejects.toThrow(
      /tlsCaFile \/nonexistent\/ca\.pem: ENOENT/,
    );
  });
});
