/// <reference path="./smpp-lib.d.ts" />
import { execFileSync } from "node:child_process";
import { randomUUID } from "node:crypto";
import { readFileSync } from "node:fs";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { messageEncoding } from "@salvo/core";
import smpp from "smpp";

/** One submit_sm as the test SMSC received it. */
export interface ReceivedSubmit {
  systemId: string;
  from: string;
  sourceTon: number;
  to: string;
  dataCoding: number;
  esmClass: number;
  /** The text, decoded by data_coding (short_message, or message_payload when present). */
  text: string;
  /** The concatenation UDH's reference, part count and part number, for a part of a long message. */
  part?: { reference: number; total: number; number: number };
  payload: boolean;
  /**
   * Its validity_period, in whole seconds from its arrival: node-smpp decodes a
   * relative time to the date it ends, counted from when it read the PDU.
   */
  validitySeconds?: number;
  /** When it arrived (epoch ms). */
  at: number;
  /** The message_id it answered, when it answered ESME_ROK. */
  messageId?: string;
}

/** What the test SMSC answers to one submit_sm. */
export interface SubmitAnswer {
  status?: number;
  /** Answers after this long. */
  delayMs?: number;
  /** Never answers. */
  omit?: boolean;
}

/** How a receipt is written. */
export interface ReceiptOptions {
  stat: string;
  err?: string;
  /** The id in the text, in the receipted_message_id TLV (with message_state), or both. */
  idIn?: "text" | "tlv" | "both";
  /** `short`: only id, submit date, done date, stat and err, as some SMSCs write them. */
  text?: "full" | "short";
  /** The id as written in the receipt, when it differs from the one answered (hex ↔ decimal). */
  writtenId?: string;
}

const MESSAGE_STATE: Record<string, number> = {
  ENROUTE: 1,
  DELIVRD: 2,
  EXPIRED: 3,
  DELETED: 4,
  UNDELIV: 5,
  ACCEPTD: 6,
  UNKNOWN: 7,
  REJECTD: 8,
};

/**
 * A scripted SMSC on node-smpp's server side, for tests: it accepts or refuses
 * binds, answers submit_sm as `answer` says with ids in the style asked, logs
 * every submit, and sends receipts and MOs on demand.
 */
export class TestSmsc {
  readonly submits: ReceivedSubmit[] = [];
  readonly binds: { command: string; systemId: string; password: string }[] = [];
  unbinds = 0;
  /** deliver_sm_resp statuses received, in order. */
  readonly deliverAnswers: number[] = [];
  refuseBinds = false;
  /** false: enquire_link goes unanswered, as on a link that is dead beyond TCP. */
  answerEnquireLink = true;
  enquireLinks = 0;
  /** Ends a session that sent no PDU for this long, as SMSCs do with sessions left without enquire_link. */
  dropIdleAfterMs: number | undefined;
  /** Sessions ended for being idle. */
  idleDrops = 0;
  idStyle: "uuid" | "decimal" | "hex" = "decimal";
  answer: (submit: ReceivedSubmit) => SubmitAnswer = () => ({});
  /** Submits received but not answered yet (omitted or delayed). */
  outstanding = 0;
  maxOutstanding = 0;
  private nextId = 1_000_000;
  private listeners: (() => void)[] = [];
  private readonly server: smpp.Server;
  private readonly bound = new Set<smpp.Session>();

  private constructor(tls?: TestCertificate) {
    // With a key and certificate node-smpp makes a TLS server (tls.createServer).
    this.server = smpp.createServer(tls ? { key: tls.key, cert: tls.cert } : {}, (session) =>
      this.serve(session),
    );
  }

  /** Listens on `port`, by default a free one; over TLS with `tls`'s key and certificate. */
  static async start(port = 0, options: { tls?: TestCertificate } = {}): Promise<TestSmsc> {
    const smsc = new TestSmsc(options.tls);
    await new Promise<void>((resolve) => smsc.server.listen(port, "127.0.0.1", resolve));
    return smsc;
  }

  get port(): number {
    return (this.server.address() as AddressInfo).port;
  }

  get boundSessions(): number {
    return this.bound.size;
  }

  /** Resolves once `condition` holds (checked after every event), or fails after `timeoutMs`. */
  waitFor(condition: () => boolean, timeoutMs = 5_000): Promise<void> {
    if (condition()) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.listeners = this.listeners.filter((l) => l !== check);
        reject(new Error("the test SMSC did not reach the expected state in time"));
      }, timeoutMs);
      const check = () => {
        if (!condition()) return;
        clearTimeout(timer);
        this.listeners = this.listeners.filter((l) => l !== check);
        resolve();
      };
      this.listeners.push(check);
    });
  }

  /** Cuts every connection without an unbind, as a crashed SMSC or a broken network would. */
  dropAll(): void {
    for (const session of this.server.sessions) session.destroy();
  }

  /** Writes a malformed PDU (a command_length beyond any PDU) on every bound session. */
  sendMalformed(): void {
    for (const session of this.bound) session.socket.write(Buffer.from([0x7f, 0xff, 0xff, 0xff, 0, 0, 0, 5]));
  }

  /** Sends a delivery receipt for `messageId`; resolves with the deliver_sm_resp's status. */
  receipt(messageId: string, options: ReceiptOptions): Promise<number> {
    const idIn = options.idIn ?? "text";
    const id = options.writtenId ?? messageId;
    const err = options.err ?? "000";
    const text =
      options.text === "short"
        ? `id:${id} submit date:2612040101 done date:2612040102 stat:${options.stat} err:${err}`
        : `id:${id} sub:001 dlvrd:001 submit date:2612040101 done date:2612040102 stat:${options.stat} err:${err} text:Hello`;
    const fields: smpp.PduFields = {
      source_addr: "33612345678",
      destination_addr: "Salvo",
      esm_class: 0x04,
      data_coding: 0,
      short_message: idIn === "tlv" ? "" : text,
    };
    if (idIn !== "text") {
      fields.receipted_message_id = id;
      fields.message_state = MESSAGE_STATE[options.stat] ?? 7;
    }
    return this.deliver(fields);
  }

  /**
   * Sends a received message (MO), GSM 03.38 as data_coding 0 or else UCS-2; resolves
   * with the deliver_sm_resp's status. (node-smpp left to choose would label GSM 03.38
   * octets data_coding 1, IA5, which a client such as Kannel reads as ASCII: `é` lost.)
   */
  mo(from: string, to: string, text: string): Promise<number> {
    const data_coding = messageEncoding(text) === "gsm7" ? 0 : 8;
    return this.deliver({
      source_addr: from,
      destination_addr: to,
      esm_class: 0,
      data_coding,
      short_message: text,
    });
  }

  async close(): Promise<void> {
    this.dropAll();
    await new Promise((resolve) => this.server.close(resolve));
  }

  /**
   * Sends a deliver_sm (e.g. a part from longMo) on the `bind`th bound session that
   * receives, in bind order; resolves with the deliver_sm_resp's status.
   */
  deliverSm(fields: smpp.PduFields, bind = 0): Promise<number> {
    return this.deliver(fields, bind);
  }

  private deliver(fields: smpp.PduFields, bind = 0): Promise<number> {
    const session = [...this.bound].filter((s) => this.receives.get(s))[bind];
    if (!session) return Promise.reject(new Error("no bind of the test SMSC can receive"));
    return new Promise((resolve) => {
      session.deliver_sm(fields, (pdu) => {
        this.deliverAnswers.push(pdu.command_status);
        this.changed();
        resolve(pdu.command_status);
      });
    });
  }

  private readonly receives = new Map<smpp.Session, boolean>();

  private changed(): void {
    for (const listener of [...this.listeners]) listener();
  }

  private serve(session: smpp.Session): void {
    let systemId = "";
    session.socket.setNoDelay(true);
    let lastPdu = Date.now();
    session.on("pdu", () => {
      lastPdu = Date.now();
    });
    const idleCheck = setInterval(() => {
      if (this.dropIdleAfterMs === undefined || Date.now() - lastPdu < this.dropIdleAfterMs) return;
      this.idleDrops++;
      session.destroy();
    }, 50);
    session.on("error", () => {});
    session.on("close", () => {
      clearInterval(idleCheck);
      this.bound.delete(session);
      this.changed();
    });
    for (const command of ["bind_transceiver", "bind_transmitter", "bind_receiver"]) {
      session.on(command, (pdu: smpp.PDU) => {
        systemId = pdu.system_id ?? "";
        this.binds.push({ command, systemId, password: pdu.password ?? "" });
        if (this.refuseBinds) {
          session.send(pdu.response({ command_status: 0x0e })); // ESME_RINVPASWD
        } else {
          session.send(pdu.response({ system_id: "TestSMSC" }));
          this.bound.add(session);
          this.receives.set(session, command !== "bind_transmitter");
        }
        this.changed();
      });
    }
    session.on("enquire_link", (pdu: smpp.PDU) => {
      this.enquireLinks++;
      if (this.answerEnquireLink) session.send(pdu.response());
      this.changed();
    });
    session.on("unbind", (pdu: smpp.PDU) => {
      this.unbinds++;
      this.bound.delete(session);
      session.send(pdu.response());
      this.changed();
    });
    session.on("submit_sm", (pdu: smpp.PDU) => {
      const submit = readSubmit(systemId, pdu);
      const answer = this.answer(submit);
      const status = answer.status ?? 0;
      if (status === 0) submit.messageId = this.newId();
      this.submits.push(submit);
      this.outstanding++;
      this.maxOutstanding = Math.max(this.maxOutstanding, this.outstanding);
      this.changed();
      if (answer.omit) return;
      const respond = () => {
        this.outstanding--;
        session.send(
          pdu.response(status === 0 ? { message_id: submit.messageId ?? "" } : { command_status: status }),
        );
        this.changed();
      };
      if (answer.delayMs) setTimeout(respond, answer.delayMs);
      else respond();
    });
  }

  private newId(): string {
    const n = this.nextId++;
    if (this.idStyle === "uuid") return randomUUID();
    if (this.idStyle === "hex") return n.toString(16).toUpperCase();
    return String(n);
  }
}

function readSubmit(systemId: string, pdu: smpp.PDU): ReceivedSubmit {
  const payload = pdu.message_payload !== undefined;
  const field = payload ? pdu.message_payload : pdu.short_message;
  const decoded = typeof field === "object" && !Buffer.isBuffer(field) ? field : { message: field ?? "" };
  const header = decoded.udh?.[0];
  const submit: ReceivedSubmit = {
    systemId,
    from: pdu.source_addr ?? "",
    sourceTon: pdu.source_addr_ton ?? 0,
    to: pdu.destination_addr ?? "",
    dataCoding: pdu.data_coding ?? 0,
    esmClass: pdu.esm_class ?? 0,
    text: String(decoded.message),
    payload,
    at: Date.now(),
  };
  if (pdu.validity_period instanceof Date)
    submit.validitySeconds = Math.round((pdu.validity_period.getTime() - submit.at) / 1_000);
  if (header && header[0] === 0x00)
    submit.part = { reference: header[2]!, total: header[3]!, number: header[4]! };
  return submit;
}

/** How the parts of a long MO say they belong together: a UDH with an 8- or 16-bit reference, or the SAR TLVs. */
type Concatenation = "udh8" | "udh16" | "sar";

/**
 * The deliver_sm of a long MO, one per text of `parts` in order, each marked as
 * `concatenation` says and its text encoded by `dataCoding` (0 GSM 03.38 unpacked,
 * 3 Latin-1, 8 UCS-2 code unit by code unit, so a part may end inside a surrogate pair).
 */
export function longMo(
  from: string,
  to: string,
  parts: string[],
  options: { concatenation: Concatenation; reference: number; dataCoding: 0 | 3 | 8 },
): smpp.PduFields[] {
  const { concatenation, reference, dataCoding } = options;
  const total = parts.length;
  return parts.map((text, i) => {
    const octets =
      dataCoding === 0
        ? smpp.gsmCoder.encode(text, 0)
        : dataCoding === 3
          ? Buffer.from(text, "latin1")
          : Buffer.from(text, "utf16le").swap16();
    const fields: smpp.PduFields = { source_addr: from, destination_addr: to, data_coding: dataCoding };
    if (concatenation === "sar") {
      fields.sar_msg_ref_num = reference;
      fields.sar_total_segments = total;
      fields.sar_segment_seqnum = i + 1;
      return { ...fields, esm_class: 0, short_message: octets };
    }
    const udh =
      concatenation === "udh8"
        ? Buffer.from([5, 0x00, 3, reference & 0xff, total, i + 1])
        : Buffer.from([6, 0x08, 4, (reference >> 8) & 0xff, reference & 0xff, total, i + 1]);
    return { ...fields, esm_class: 0x40, short_message: Buffer.concat([udh, octets]) };
  });
}

/** A throwaway key and self-signed certificate for TLS tests, valid for 127.0.0.1 and localhost. */
export interface TestCertificate {
  key: string;
  /** PEM; also the CA a client must trust. */
  cert: string;
  /** Where the certificate is written, for settings that take a file. */
  certFile: string;
}

/** Makes a TestCertificate in `dir` with the openssl binary. */
export function testCertificate(dir: string): TestCertificate {
  const keyFile = join(dir, "smsc-key.pem");
  const certFile = join(dir, "smsc-cert.pem");
  execFileSync(
    "openssl",
    [
      ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1"],
      ["-keyout", keyFile, "-out", certFile, "-subj", "/CN=test-smsc"],
      ["-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost"],
    ].flat(),
    { stdio: "ignore" },
  );
  return { key: readFileSync(keyFile, "utf8"), cert: readFileSync(certFile, "utf8"), certFile };
}
