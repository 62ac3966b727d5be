// TestSmsc cross-checked by a real SMPP client: Kannel 1.4.5's bearerbox binds to it
// as a transceiver, smsbox's sendsms hands it messages, and what TestSmsc writes
// back (receipts in each style, MOs, throttling, a dropped connection) is read by
// Kannel, not only by Salvo's connector, whose tests use the same TestSmsc.
import { createServer, type Server } from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type ReceiptOptions, TestSmsc } from "../src/smpp/test-smsc";
import { findKannel, freePort, type KannelGateway, startKannelOnSmpp, until } from "./kannel-peer";

const kannel = findKannel("boxes");
if ("missing" in kannel) console.warn(`TestSmsc–Kannel tests skipped: ${kannel.missing}`);

const SYSTEM_ID = "salvo-kannel";
const SMSC_PASSWORD = "smscpw1";
const ESME_RTHROTTLED = 0x58;

describe.skipIf("missing" in kannel)("TestSmsc with Kannel's bearerbox as its SMPP client", () => {
  /** Kannel's calls to this test's HTTP server: dlr-urls (`/dlr`) and the sms-service (`/mo`). */
  const calls: URL[] = [];
  let http: Server;
  let httpBase: string;
  /** msg-id-type left out: message ids are compared as the strings TestSmsc wrote. */
  let smsc: TestSmsc;
  let gateway: KannelGateway;
  /** msg-id-type 1: the submit_sm_resp's id read as hex, the receipt's as decimal. */
  let hexSmsc: TestSmsc;
  let hexGateway: KannelGateway;

  beforeAll(async () => {
    if ("missing" in kannel) return;
    const port = await freePort();
    http = createServer((req, res) => {
      calls.push(new URL(req.url ?? "/", "http://x"));
      res.writeHead(200).end();
    }).listen(port, "127.0.0.1");
    httpBase = `http://127.0.0.1:${port}`;
    smsc = await TestSmsc.start();
    hexSmsc = await TestSmsc.start();
    hexSmsc.idStyle = "hex";
    const smscOptions = { username: SYSTEM_ID, password: SMSC_PASSWORD, enquireLinkInterval: 1 };
    [gateway, hexGateway] = await Promise.all([
      startKannelOnSmpp(
        kannel,
        { ...smscOptions, port: smsc.port },
        { getUrl: `${httpBase}/mo?from=%p&to=%P&text=%a` },
      ),
      startKannelOnSmpp(kannel, { ...smscOptions, port: hexSmsc.port, msgIdType: 1 }),
    ]);
  }, 60_000);
  afterAll(async () => {
    await Promise.all([gateway?.stop(), hexGateway?.stop()]);
    await Promise.all([smsc?.close(), hexSmsc?.close()]);
    http?.close();
  });

  /** Hands `text` to smsbox's sendsms, asking for final DLRs at `/dlr?ref=<ref>&type=%d`. */
  async function sendsms(
    through: KannelGateway,
    ref: string,
    text: string,
    params: Record<string, string> = {},
  ) {
    const query = new URLSearchParams({
      username: through.username,
      password: through.password,
      smsc: through.smsc,
      from: "SALVO",
      to: "+33612340001",
      text,
      "dlr-mask": "3",
      "dlr-url": `${httpBase}/dlr?ref=${ref}&type=%d`,
      ...params,
    });
    const response = await fetch(`${through.sendsmsUrl}?${query}`);
    expect(response.status, await response.text()).toBe(202);
  }

  /** The submits TestSmsc received with `text`, once there are `count`. */
  async function submitted(on: TestSmsc, text: string, count = 1) {
    const matching = () => on.submits.filter((submit) => submit.text === text);
    await on.waitFor(() => matching().length >= count && matching().every((s) => s.messageId), 15_000);
    return matching();
  }

  /** The DLR type (`%d`) of the dlr-url call for `ref`. */
  function dlrType(ref: string, through: KannelGateway) {
    return until(
      `the dlr-url for ${ref}\n${through.logs()}`,
      () =>
        calls
          .find((url) => url.pathname === "/dlr" && url.searchParams.get("ref") === ref)
          ?.searchParams.get("type"),
      15_000,
    );
  }

  it("binds as a transceiver with Kannel's smsc-username and smsc-password, and answers its enquire_links", async () => {
    expect(smsc.binds[0]).toEqual({
      command: "bind_transceiver",
      systemId: SYSTEM_ID,
      password: SMSC_PASSWORD,
    });
    await smsc.waitFor(() => smsc.enquireLinks >= 1, 10_000);
    expect(smsc.boundSessions).toBe(1);
  });

  it("reads Kannel's GSM, UCS-2 and concatenated submit_sm", async () => {
    await sendsms(gateway, "gsm", "Hello [GSM] €");
    await sendsms(gateway, "ucs2", "Привет ☃", { coding: "2", charset: "UTF-8" });
    const long = Array.from({ length: 40 }, (_, n) => `word${n}`).join(" ");
    await sendsms(gateway, "long", long);

    const [gsm] = await submitted(smsc, "Hello [GSM] €");
    // Kannel writes `+33…` as 33… (international TON) and the alphanumeric sender with TON 5.
    expect(gsm).toMatchObject({
      systemId: SYSTEM_ID,
      from: "SALVO",
      sourceTon: 5,
      to: "33612340001",
      dataCoding: 0,
    });
    expect(gsm?.part).toBeUndefined();
    const [ucs2] = await submitted(smsc, "Привет ☃");
    expect(ucs2?.dataCoding).toBe(8);

    // 279 GSM characters: two parts of up to 153 behind a UDH with one reference.
    await smsc.waitFor(() => smsc.submits.filter((s) => s.part).length >= 2, 15_000);
    const parts = smsc.submits.filter((s) => s.part);
    expect(parts.map((s) => s.part?.number)).toEqual([1, 2]);
    expect(new Set(parts.map((s) => `${s.part?.reference}/${s.part?.total}`))).toEqual(
      new Set([`${parts[0]?.part?.reference}/2`]),
    );
    expect(parts.every((s) => (s.esmClass & 0x40) !== 0)).toBe(true);
    expect(parts.map((s) => s.text).join("")).toBe(long);
  });

  // Kannel's %d: 1 delivered, 2 undelivered. Kannel reads the TLVs first (message_state
  // gives the status) and the text's `id:` and `stat:` when they are missing. A
  // message_state of EXPIRED (3) is Kannel's DLR_EXPIRED, 34 (0x20 | 2), where the
  // text's `stat:EXPIRED` gives 2.
  it.each<[string, TestSmsc["idStyle"], ReceiptOptions, string]>([
    ["decimal-text", "decimal", { stat: "DELIVRD", idIn: "text" }, "1"],
    ["decimal-tlv", "decimal", { stat: "DELIVRD", idIn: "tlv" }, "1"],
    ["decimal-both", "decimal", { stat: "UNDELIV", err: "001", idIn: "both" }, "2"],
    ["decimal-short", "decimal", { stat: "DELIVRD", text: "short" }, "1"],
    ["decimal-short-undeliv", "decimal", { stat: "UNDELIV", text: "short" }, "2"],
    ["hex-text", "hex", { stat: "DELIVRD", idIn: "text" }, "1"],
    ["hex-tlv", "hex", { stat: "REJECTD", idIn: "tlv" }, "2"],
    ["uuid-text", "uuid", { stat: "DELIVRD", idIn: "text" }, "1"],
    ["uuid-both", "uuid", { stat: "UNDELIV", idIn: "both", text: "short" }, "2"],
    ["expired-text", "decimal", { stat: "EXPIRED", idIn: "text" }, "2"],
    ["expired-tlv", "decimal", { stat: "EXPIRED", idIn: "tlv" }, "34"],
    ["deleted-tlv", "decimal", { stat: "DELETED", idIn: "tlv" }, "2"],
  ])(
    "matches a receipt (%s ids, as written) to its message and calls the dlr-url",
    async (ref, style, receipt, type) => {
      smsc.idStyle = style;
      await sendsms(gateway, ref, `receipt ${ref}`);
      const [submit] = await submitted(smsc, `receipt ${ref}`);
      expect(await smsc.receipt(submit?.messageId ?? "", receipt)).toBe(0);
      expect(await dlrType(ref, gateway)).toBe(type);
    },
  );

  it("matches a hex-answered id written in decimal only with msg-id-type 1; compared as strings it is not found", async () => {
    // On the connection without msg-id-type: answered `F424x`, written `100000x`.
    smsc.idStyle = "hex";
    await sendsms(gateway, "hex-as-decimal", "receipt hex-as-decimal");
    const [submit] = await submitted(smsc, "receipt hex-as-decimal");
    const id = submit?.messageId ?? "";
    const decimal = String(Number.parseInt(id, 16));
    expect(await smsc.receipt(id, { stat: "DELIVRD", writtenId: decimal })).toBe(0);
    await until(`bearerbox to report the receipt for ${decimal} unmatched`, () =>
      gateway.logs().includes(`could not find message or was not interested in it id<${decimal}>`)
        ? true
        : undefined,
    );
    // The same message's receipt with the id as answered is still matched: the first was not.
    await smsc.receipt(id, { stat: "UNDELIV" });
    expect(await dlrType("hex-as-decimal", gateway)).toBe("2");
    expect(calls.filter((url) => url.searchParams.get("ref") === "hex-as-decimal")).toHaveLength(1);

    // msg-id-type 1 reads the answer as hex and the receipt as decimal: both 100000x.
    for (const idIn of ["text", "tlv", "both"] as const) {
      const ref = `hex-type-1-${idIn}`;
      await sendsms(hexGateway, ref, `receipt ${ref}`);
      const [hexSubmit] = await submitted(hexSmsc, `receipt ${ref}`);
      const hexId = hexSubmit?.messageId ?? "";
      expect(hexId).toMatch(/^[0-9A-F]+$/);
      await hexSmsc.receipt(hexId, { stat: "DELIVRD", idIn, writtenId: String(Number.parseInt(hexId, 16)) });
      expect(await dlrType(ref, hexGateway)).toBe("1");
    }
    // A UUID under msg-id-type is read as hex up to its first `-` on both sides, so it
    // matches, but only by its first 8 digits: UUID-style SMSCs want msg-id-type left out.
    hexSmsc.idStyle = "uuid";
    await sendsms(hexGateway, "uuid-type-1", "receipt uuid-type-1");
    const [uuidSubmit] = await submitted(hexSmsc, "receipt uuid-type-1");
    await hexSmsc.receipt(uuidSubmit?.messageId ?? "", { stat: "DELIVRD", idIn: "both" });
    expect(await dlrType("uuid-type-1", hexGateway)).toBe("1");
  });

  it("hands TestSmsc's MO to smsbox's sms-service with from, to and text intact", async () => {
    expect(await smsc.mo("33612340009", "SALVO", "Hello Kannel, café")).toBe(0);
    const mo = await until(`the sms-service's get-url\n${gateway.logs()}`, () =>
      calls.find((url) => url.pathname === "/mo"),
    );
    expect(Object.fromEntries(mo.searchParams)).toEqual({
      from: "33612340009",
      to: "SALVO",
      text: "Hello Kannel, café",
    });
  });

  it("retries a submit TestSmsc answers ESME_RTHROTTLED until it is accepted", async () => {
    let throttled = 0;
    smsc.answer = (submit) =>
      submit.text === "throttled" && throttled++ < 2 ? { status: ESME_RTHROTTLED } : {};
    try {
      await sendsms(gateway, "throttled", "throttled");
      await smsc.waitFor(() => smsc.submits.some((s) => s.text === "throttled" && s.messageId), 20_000);
    } finally {
      smsc.answer = () => ({});
    }
    const attempts = smsc.submits.filter((s) => s.text === "throttled");
    expect(attempts.map((s) => s.messageId === undefined)).toEqual([true, true, false]);
  });

  it("binds again after TestSmsc drops the connection, and sends on the new bind", async () => {
    const binds = smsc.binds.length;
    smsc.dropAll();
    await smsc.waitFor(() => smsc.binds.length > binds && smsc.boundSessions === 1, 20_000);
    expect(smsc.binds.at(-1)).toMatchObject({ command: "bind_transceiver", systemId: SYSTEM_ID });
    await sendsms(gateway, "after-drop", "after the drop");
    const [submit] = await submitted(smsc, "after the drop");
    await smsc.receipt(submit?.messageId ?? "", { stat: "DELIVRD" });
    expect(await dlrType("after-drop", gateway)).toBe("1");
  });
});
