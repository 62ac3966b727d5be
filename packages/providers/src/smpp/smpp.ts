/// <reference path="./smpp-lib.d.ts" />
import { readFileSync } from "node:fs";
import type { ConnectionOptions } from "node:tls";
import smpp from "smpp";
import { z } from "zod";
import {
  type DeliveryReport,
  HandoffExpiredError,
  type HandoffResult,
  type InboundMessage,
  type OutboundMessage,
  type ProviderContext,
  type ProviderState,
  type SendOptions,
  type SmsProvider,
} from "../provider";
import { ESM_UDH_INDICATOR, encodeBody } from "./encoding";
import { parseReceipt, receiptReport } from "./receipts";

/** The longest validity_period asked: SMSCs cap theirs at a few days anyway. */
const MAX_VALIDITY_SECONDS = 7 * 86_400;

const tonNpi = z.strictObject({ ton: z.number().int().min(0).max(6), npi: z.number().int().min(0).max(18) });

/** An SMPP connector's `settings`. */
export const smppSettingsSchema = z.strictObject({
  host: z.string().min(1),
  port: z.number().int().min(1).max(65_535).default(2775),
  tls: z.boolean().default(false),
  /**
   * With `tls`: a PEM file of the CA certificates to trust instead of the system's
   * (an SMSC with a private CA or a self-signed certificate). Read when the connector opens.
   */
  tlsCaFile: z.string().min(1).optional(),
  /** With `tls`: the name the SMSC's certificate must carry (and SNI), when it is not `host`. */
  tlsServername: z.string().min(1).optional(),
  /** With `tls`: false accepts any certificate, which anyone on the path can forge. Unsafe; for tests only. */
  tlsRejectUnauthorized: z.boolean().default(true),
  systemId: z.string().min(1).max(15, "system_id is at most 15 characters in SMPP 3.4"),
  password: z.string().max(8, "SMPP 3.4 passwords are at most 8 characters: the SMSC would cut or refuse it"),
  systemType: z.string().max(12).default(""),
  bindMode: z.enum(["transceiver", "transmitter+receiver"]).default("transceiver"),
  /** Sessions opened (in transmitter+receiver mode, pairs of sessions). */
  binds: z.number().int().min(1).max(64).default(1),
  /** submit_sm awaiting their submit_sm_resp, per bind. */
  window: z.number().int().min(1).max(1_000).default(10),
  /** Addressing of an alphanumeric sender, of a numeric one, and of the destination. */
  sourceAlphanumeric: tonNpi.default({ ton: 5, npi: 0 }),
  sourceNumeric: tonNpi.default({ ton: 1, npi: 1 }),
  destination: tonNpi.default({ ton: 1, npi: 1 }),
  /** registered_delivery: 1 asks for a final receipt. */
  registeredDelivery: z.number().int().min(0).max(0x1f).default(1),
  /**
   * validity_period of every submit_sm: how long the SMSC keeps trying. With
   * receipts asked for, a message still without its final receipt this long after
   * its hand-off (and EXPIRY_GRACE_MS) is settled `undelivered`, reason `expired`.
   */
  validityPeriodSeconds: z
    .number()
    .int()
    .min(60)
    .max(MAX_VALIDITY_SECONDS, "at most 7 days")
    .default(172_800),
  /** How a message longer than one SMS goes: concatenated parts with a UDH, or one submit_sm with message_payload. */
  longMessages: z.enum(["udh", "payload"]).default("udh"),
  enquireLinkSeconds: z.number().min(1).max(3_600).default(30),
  /** How long a submit_sm, bind or enquire_link waits for its answer. */
  responseTimeoutMs: z.number().int().min(100).max(120_000).default(10_000),
  /** Receipt `err:` codes this SMSC uses for an unknown subscriber (the number goes on the NPAI list). */
  npaiErrorCodes: z.array(z.string().min(1)).default([]),
  /**
   * A one-part MO with the same sender, recipient and text as one recorded through
   * this connector within this many seconds is the SMSC's resend (SMPP gives an MO
   * no id) and changes nothing; 0 records every one.
   */
  moResendWindowSeconds: z.number().int().min(0).max(86_400).default(600),
  /** Times a throttled message is submitted again on this connector before it is refused for now (failover). */
  throttleRetries: z.number().int().min(0).max(20).default(3),
  reconnectMinMs: z.number().int().min(10).default(1_000),
  reconnectMaxMs: z.number().int().min(10).default(60_000),
});

type SmppSettings = z.output<typeof smppSettingsSchema>;

const ESME_ROK = 0x00;
const ESME_RMSGQFUL = 0x14;
const ESME_RTHROTTLED = 0x58;
/** deliver_sm_resp status asking the SMSC to resend: Salvo could not take it now. */
const ESME_RX_T_APPN = 0x64;
const ESM_MESSAGE_TYPE = 0x3c;
const ESM_DELIVERY_RECEIPT = 0x04;
const ESM_INTERMEDIATE = 0x20;
/** Most receipts handed to Salvo in one call (one `deliveries` job). */
const RECEIPTS_PER_HANDOFF = 1_000;
/** How long the connector holds new submits after a throttling answer, doubling while they repeat. */
const THROTTLE_PAUSE_MS = { min: 200, max: 10_000 };

/** Why a submit_sm has no submit_sm_resp. */
type SubmitOutcome = { status: number; messageId: string } | "no_answer" | "no_link";

type Role = "transceiver" | "transmitter" | "receiver";

/** One SMPP session, bound or reconnecting. */
interface Link {
  role: Role;
  session?: smpp.Session;
  bound: boolean;
  inFlight: number;
  attempts: number;
  pending: Set<(outcome: SubmitOutcome) => void>;
  timers: NodeJS.Timeout[];
}

/**
 * Sends over SMPP 3.4 binds kept up by themselves (enquire_link, reconnection with
 * capped backoff and jitter), at most `window` submit_sm outstanding per bind, and
 * turns deliver_sm into delivery reports (matched by the SMSC's id) and inbound
 * messages, answering each only once Salvo holds it.
 */
export async function createSmpp(settings: SmppSettings, context: ProviderContext): Promise<SmsProvider> {
  const roles: Role[] = settings.bindMode === "transceiver" ? ["transceiver"] : ["transmitter", "receiver"];
  const links: Link[] = [];
  for (let n = 0; n < settings.binds; n++) {
    for (const role of roles) {
      links.push({ role, bound: false, inFlight: 0, attempts: 0, pending: new Set(), timers: [] });
    }
  }
  const validity = relativeTime(settings.validityPeriodSeconds);
  let closing = false;
  let reference = 0;
  let throttledUntil = 0;
  let throttlePause = 0;
  const errorTimes: number[] = [];
  const slotWaiters: (() => void)[] = [];
  const tls = tlsOptions(settings);
  /** Why the last connection or bind failed, until a bind succeeds; logged once each time it changes. */
  let lastError: string | null = null;
  const firstAttempts: Promise<string | undefined>[] = links.map((link) => open(link));
  /**
   * Receipts not yet handed to Salvo, each with its deliver_sm's answer. They go
   * together, one call at a time: those that arrive while one is in flight (or in
   * the same read from the socket) make the next call, so a burst of receipts
   * costs a few calls rather than one each. They share one time, when the first
   * of them arrived (milliseconds apart): the `deliveries` job groups reports by
   * time, and each group is one lookup of the SMSC's ids.
   */
  let receipts: { report: DeliveryReport; held: (error?: unknown) => void }[] = [];
  let receiptsAt: Date | undefined;
  let handingReceipts = false;

  function failed(problem: string): void {
    if (problem === lastError) return;
    lastError = problem;
    context.problem?.(`SMPP ${settings.host}:${settings.port}: ${problem}`);
  }

  function noteError(): void {
    const now = Date.now();
    errorTimes.push(now);
    while (errorTimes.length > 0 && errorTimes[0]! < now - 60_000) errorTimes.shift();
  }

  function wakeSlotWaiters(): void {
    for (const wake of slotWaiters.splice(0)) wake();
  }

  /** Connects and binds `link`; resolves with the refusal when the SMSC refused the bind. */
  function open(link: Link): Promise<string | undefined> {
    return new Promise((settle) => {
      const session = smpp.connect({ host: settings.host, port: settings.port, ...tls });
      link.session = session;
      // Submits are small PDUs sent back to back: Nagle would hold them for the previous ACK.
      session.socket.setNoDelay(true);
      let settled = false;
      const done = (refusal?: string) => {
        if (settled) return;
        settled = true;
        settle(refusal);
      };
      // A host that never answers (packets dropped) would hold the boot for the OS's long timeout.
      const connectTimer = setTimeout(() => session.destroy(), settings.responseTimeoutMs);
      /** Why this attempt failed, before any bind. */
      let error: string | undefined;
      let bound = false;
      // Socket errors end in `close` anyway; a PDU node-smpp cannot parse leaves its
      // reader stuck, so the session is dropped and rebound either way.
      session.on("error", (cause: NodeJS.ErrnoException) => {
        noteError();
        error ??= cause.code ? `${cause.code}: ${cause.message}` : cause.message;
        session.destroy();
      });
      session.on("close", () => {
        clearTimeout(connectTimer);
        if (!bound && !closing) failed(error ?? "connection closed before the bind");
        dropped(link, session);
        done(`connection closed before the bind${error ? ` (${error})` : ""}`);
      });
      // Over TLS the bind waits for the handshake, so a certificate refused fails it before any PDU.
      session.on(settings.tls ? "secureConnect" : "connect", () => {
        clearTimeout(connectTimer);
        const bind = {
          system_id: settings.systemId,
          password: settings.password,
          system_type: settings.systemType,
        };
        const bindTimer = setTimeout(() => session.destroy(), settings.responseTimeoutMs);
        const onBound = (pdu: smpp.PDU) => {
          clearTimeout(bindTimer);
          if (pdu.command_status !== ESME_ROK) {
            noteError();
            error = `bind refused with command_status ${hex(pdu.command_status)}`;
            done(error);
            session.destroy();
            return;
          }
          bound = true;
          link.bound = true;
          link.attempts = 0;
          lastError = null;
          keepAlive(link, session);
          wakeSlotWaiters();
          done();
        };
        if (link.role === "transceiver") session.bind_transceiver(bind, onBound);
        else if (link.role === "transmitter") session.bind_transmitter(bind, onBound);
        else session.bind_receiver(bind, onBound);
      });
      session.on("deliver_sm", (pdu: smpp.PDU) => void deliver(session, pdu));
      session.on("enquire_link", (pdu: smpp.PDU) => session.send(pdu.response()));
      session.on("unbind", (pdu: smpp.PDU) => {
        link.bound = false;
        session.send(pdu.response());
        session.close();
      });
    });
  }

  function keepAlive(link: Link, session: smpp.Session): void {
    const timer = setInterval(() => {
      // A link that does not answer its enquire_link is dead even if TCP has not noticed.
      const deadline = setTimeout(() => session.destroy(), settings.responseTimeoutMs);
      link.timers.push(deadline);
      session.enquire_link({}, () => {
        clearTimeout(deadline);
        link.timers = link.timers.filter((t) => t !== deadline);
      });
    }, settings.enquireLinkSeconds * 1_000);
    link.timers.push(timer);
  }

  /** A session ended: its outstanding submits are in doubt, and it reconnects unless closing. */
  function dropped(link: Link, session: smpp.Session): void {
    if (link.session !== session) return;
    link.session = undefined;
    link.bound = false;
    for (const timer of link.timers.splice(0)) clearTimeout(timer);
    for (const settle of [...link.pending]) settle("no_answer");
    wakeSlotWaiters();
    if (closing) return;
    const ceiling = Math.min(settings.reconnectMaxMs, settings.reconnectMinMs * 2 ** link.attempts);
    link.attempts++;
    const delay = ceiling / 2 + Math.random() * (ceiling / 2);
    setTimeout(() => {
      if (!closing) void open(link);
    }, delay).unref();
  }

  async function deliver(session: smpp.Session, pdu: smpp.PDU): Promise<void> {
    let status = ESME_ROK;
    try {
      await hand(pdu);
    } catch {
      // Not held by Salvo: the SMSC keeps it and sends it again.
      noteError();
      status = ESME_RX_T_APPN;
    }
    coalesceWrites(session);
    session.send(pdu.response({ command_status: status }));
  }

  /** Hands a deliver_sm to Salvo: a final receipt as a delivery report, a message as inbound. */
  async function hand(pdu: smpp.PDU): Promise<void> {
    const type = (pdu.esm_class ?? 0) & ESM_MESSAGE_TYPE;
    const text = textOf(pdu.message_payload) || textOf(pdu.short_message);
    if (type === ESM_DELIVERY_RECEIPT || type === ESM_INTERMEDIATE) {
      const receipt = parseReceipt(text, {
        receiptedMessageId: pdu.receipted_message_id,
        messageState: pdu.message_state,
      });
      const report = receipt && receiptReport(receipt, settings.npaiErrorCodes, new Date());
      if (report) await handReceipt(report);
      return;
    }
    if (type !== 0) return; // SME and user acknowledgements: nothing for Salvo.
    const message: InboundMessage = {
      from: pdu.source_addr ?? "",
      to: pdu.destination_addr ?? "",
      body: text,
    };
    // A part of a long message is held by Salvo, which joins the parts once all are in.
    const part = partOf(pdu, textOf(pdu.message_payload) ? pdu.message_payload : pdu.short_message);
    if (part) return context.reportInbound([{ ...message, part }]);
    const window = settings.moResendWindowSeconds;
    await context.reportInbound([window > 0 ? { ...message, resendWindowMs: window * 1_000 } : message]);
  }

  /** Resolves once Salvo holds `report` (handed with the receipts around it); rejects if it could not. */
  function handReceipt(report: DeliveryReport): Promise<void> {
    receiptsAt ??= report.at;
    report.at = receiptsAt;
    return new Promise((resolve, reject) => {
      receipts.push({ report, held: (error) => (error === undefined ? resolve() : reject(error)) });
      if (receipts.length === 1 && !handingReceipts) setImmediate(handReceipts);
    });
  }

  async function handReceipts(): Promise<void> {
    handingReceipts = true;
    while (receipts.length > 0) {
      const taken = receipts.slice(0, RECEIPTS_PER_HANDOFF);
      receipts = receipts.slice(taken.length);
      receiptsAt = undefined;
      try {
        await context.reportDeliveries(
          taken.map((r) => r.report),
          0,
        );
        for (const r of taken) r.held();
      } catch (error) {
        for (const r of taken) r.held(error);
      }
    }
    handingReceipts = false;
  }

  /** A window slot on a bound sending link, waiting for one; undefined when no link is bound. */
  async function acquire(): Promise<Link | undefined> {
    for (;;) {
      if (closing) return undefined;
      const wait = throttledUntil - Date.now();
      if (wait > 0) {
        await new Promise((resolve) => setTimeout(resolve, wait));
        continue;
      }
      const sending = links.filter((link) => link.bound && link.role !== "receiver");
      if (sending.length === 0) return undefined;
      const free = sending.reduce((a, b) => (b.inFlight < a.inFlight ? b : a));
      if (free.inFlight < settings.window) {
        free.inFlight++;
        return free;
      }
      await new Promise<void>((resolve) => slotWaiters.push(resolve));
    }
  }

  function submit(link: Link, fields: smpp.PduFields): Promise<SubmitOutcome> {
    const session = link.session;
    if (!session || !link.bound) {
      link.inFlight--;
      return Promise.resolve("no_link");
    }
    return new Promise((resolve) => {
      const settle = (outcome: SubmitOutcome) => {
        if (!link.pending.delete(settle)) return;
        clearTimeout(timer);
        link.inFlight--;
        wakeSlotWaiters();
        resolve(outcome);
      };
      link.pending.add(settle);
      const timer = setTimeout(() => settle("no_answer"), settings.responseTimeoutMs);
      coalesceWrites(session);
      const written = session.submit_sm(fields, (pdu) =>
        settle({ status: pdu.command_status, messageId: pdu.message_id ?? "" }),
      );
      if (!written) settle("no_link");
    });
  }

  function throttled(): void {
    throttlePause = Math.min(THROTTLE_PAUSE_MS.max, Math.max(THROTTLE_PAUSE_MS.min, throttlePause * 2));
    throttledUntil = Date.now() + throttlePause;
  }

  function addressing(message: OutboundMessage): smpp.PduFields {
    const source = /^\d+$/.test(message.from) ? settings.sourceNumeric : settings.sourceAlphanumeric;
    return {
      source_addr_ton: source.ton,
      source_addr_npi: source.npi,
      source_addr: message.from,
      dest_addr_ton: settings.destination.ton,
      dest_addr_npi: settings.destination.npi,
      destination_addr: message.to.replace(/^\+/, ""),
      registered_delivery: settings.registeredDelivery,
      validity_period: validity,
    };
  }

  const inFlightSends = new Set<Promise<unknown>>();

  async function sendAll(messages: OutboundMessage[], options: SendOptions): Promise<HandoffResult[]> {
    let handedOff = false;
    /** Checked just before a message's first submit_sm: `expired` when nothing of this call has left yet. */
    const deadline = (): "go" | "late" | "expired" => {
      if (options.notAfter !== undefined && Date.now() > options.notAfter)
        return handedOff ? "late" : "expired";
      handedOff = true;
      return "go";
    };

    const sendOne = async (message: OutboundMessage): Promise<HandoffResult> => {
      const body = encodeBody(message.body, ++reference);
      const base = { ...addressing(message), data_coding: body.dataCoding };
      const pdus: smpp.PduFields[] =
        body.parts.length === 1
          ? [{ ...base, short_message: body.octets }]
          : settings.longMessages === "payload"
            ? [{ ...base, message_payload: body.octets }]
            : body.parts.map((part) => ({ ...base, esm_class: ESM_UDH_INDICATOR, short_message: part }));

      // The first part decides: refused, nothing went and the message can go again.
      let first: SubmitOutcome;
      for (let attempt = 0; ; attempt++) {
        const link = await acquire();
        if (!link) return { id: message.id, accepted: false, temporary: true, reason: "no_bind" };
        const verdict = deadline();
        if (verdict !== "go") {
          link.inFlight--;
          wakeSlotWaiters();
          if (verdict === "expired")
            throw new HandoffExpiredError("the hand-off deadline passed before any submit_sm");
          return { id: message.id, accepted: false, temporary: true, reason: "handoff_expired" };
        }
        first = await submit(link, pdus[0]!);
        if (first === "no_link")
          return { id: message.id, accepted: false, temporary: true, reason: "no_bind" };
        if (first === "no_answer" || !isThrottling(first.status)) break;
        // Throttled: nothing went. The same message goes again on this connector once
        // the pause is over; only after `throttleRetries` is it refused for now (failover).
        noteError();
        throttled();
        if (attempt >= settings.throttleRetries) {
          const providerCode = hex(first.status);
          return { id: message.id, accepted: false, temporary: true, reason: "throttled", providerCode };
        }
      }
      if (first !== "no_answer" && first.status !== ESME_ROK) {
        noteError();
        const providerCode = hex(first.status);
        return { id: message.id, accepted: false, reason: refusalReason(first.status), providerCode };
      }
      if (first !== "no_answer") throttlePause = 0;
      // The rest follow whatever they meet: the message is out and is never sent again.
      await Promise.all(pdus.slice(1).map((pdu) => submitPart(pdu)));
      // No answer in time: in doubt, recorded as sent rather than risk sending it twice.
      if (first === "no_answer") return { id: message.id, accepted: true };
      return { id: message.id, accepted: true, providerMessageId: first.messageId };
    };

    /** A later part, retried while throttled (the message's first part is already out). */
    const submitPart = async (pdu: smpp.PduFields): Promise<void> => {
      for (let attempt = 0; attempt < 5; attempt++) {
        const link = await acquire();
        if (!link) return;
        const outcome = await submit(link, pdu);
        if (typeof outcome === "string" || outcome.status === ESME_ROK) return;
        noteError();
        if (!isThrottling(outcome.status)) return;
        throttled();
      }
    };

    return Promise.all(messages.map(sendOne));
  }

  const refusals = await Promise.all(firstAttempts);
  if (refusals.every((refusal) => refusal?.startsWith("bind refused"))) {
    closing = true;
    for (const link of links) link.session?.destroy();
    throw new Error(`SMPP ${settings.host}:${settings.port}: ${refusals[0]} (check systemId and password)`);
  }

  return {
    name: "smpp",
    // A final receipt is awaited only when asked for whatever the outcome (registered_delivery
    // bits 0-1 = 1): with 2, on failure only, silence may mean delivered.
    validityMs:
      (settings.registeredDelivery & 0x03) === 1 ? settings.validityPeriodSeconds * 1_000 : undefined,
    async send(messages, options = {}) {
      if (closing) throw new Error("the SMPP provider is closed");
      const sending = sendAll(messages, options);
      inFlightSends.add(sending);
      try {
        return await sending;
      } finally {
        inFlightSends.delete(sending);
      }
    },
    state(): ProviderState {
      const now = Date.now();
      const sending = links.filter((link) => link.role !== "receiver");
      return {
        up: sending.some((link) => link.bound),
        detail: {
          bindsUp: links.filter((link) => link.bound).length,
          binds: links.length,
          windowInUse: sending.reduce((sum, link) => sum + link.inFlight, 0),
          window: sending.length * settings.window,
          errorsLastMinute: errorTimes.filter((at) => at >= now - 60_000).length,
          lastError,
        },
      };
    },
    async close() {
      closing = true;
      wakeSlotWaiters();
      await Promise.allSettled([...inFlightSends]);
      await Promise.all(links.map((link) => unbind(link, settings.responseTimeoutMs)));
    },
  };
}

/** Unbinds a link whose window has drained, then closes it (destroyed if the SMSC does not answer). */
function unbind(link: Link, timeoutMs: number): Promise<void> {
  const session = link.session;
  if (!session) return Promise.resolve();
  return new Promise((resolve) => {
    session.once("close", () => resolve());
    const force = setTimeout(() => session.destroy(), timeoutMs);
    force.unref();
    // After unbind_resp the session is over: nothing more to read, no need to wait for the peer.
    if (!link.bound || !session.unbind({}, () => session.destroy())) session.destroy();
  });
}

const coalescing = new WeakSet<smpp.Session>();

/**
 * Holds the session's writes until the running tick's promise jobs are done, so
 * the PDUs sent in one go (submit_sm into a window that just opened, the answers
 * to receipts held together) leave in one write instead of one system call each.
 */
function coalesceWrites(session: smpp.Session): void {
  if (coalescing.has(session)) return;
  coalescing.add(session);
  session.socket.cork();
  process.nextTick(() => {
    coalescing.delete(session);
    session.socket.uncork();
  });
}

function isThrottling(status: number): boolean {
  return status === ESME_RTHROTTLED || status === ESME_RMSGQFUL;
}

/**
 * A duration as an SMPP 3.4 relative time (§7.1.1), `YYMMDDhhmmss000R`: days,
 * hours, minutes and seconds (never months or years: 7 days at most is asked).
 */
export function relativeTime(seconds: number): string {
  const days = Math.floor(seconds / 86_400);
  const fields = [0, 0, days, Math.floor(seconds / 3_600) % 24, Math.floor(seconds / 60) % 60, seconds % 60];
  return `${fields.map((n) => String(n).padStart(2, "0")).join("")}000R`;
}

function refusalReason(status: number): string {
  if (status === 0x0b) return "invalid_destination";
  if (status === 0x0a) return "invalid_sender";
  return "rejected_by_provider";
}

function hex(status: number): string {
  return `0x${status.toString(16).padStart(8, "0")}`;
}

/** node-smpp's connection options for TLS: the CA file read now, so a wrong path fails the connector's opening. */
function tlsOptions(settings: SmppSettings): { tls: boolean } & ConnectionOptions {
  if (!settings.tls) return { tls: false };
  let ca: string | undefined;
  if (settings.tlsCaFile !== undefined) {
    try {
      ca = readFileSync(settings.tlsCaFile, "utf8");
    } catch (error) {
      throw new Error(`SMPP tlsCaFile ${settings.tlsCaFile}: ${(error as Error).message}`);
    }
  }
  return {
    tls: true,
    rejectUnauthorized: settings.tlsRejectUnauthorized,
    ...(ca === undefined ? {} : { ca }),
    ...(settings.tlsServername === undefined ? {} : { servername: settings.tlsServername }),
  };
}

const IE_CONCAT_8 = 0x00;
const IE_CONCAT_16 = 0x08;

/**
 * Where a deliver_sm stands in a long message: from the concatenation element of
 * the UDH of its text field (8- or 16-bit reference; node-smpp splits the UDH off
 * when esm_class has UDHI), else from the SAR TLVs. A "long" message of one part,
 * or a part numbered outside its count, is taken as a whole message.
 */
function partOf(pdu: smpp.PDU, field: smpp.PduFields["short_message"]): InboundMessage["part"] {
  let part: InboundMessage["part"];
  const udh = typeof field === "object" && !Buffer.isBuffer(field) ? (field.udh ?? []) : [];
  for (const element of udh) {
    if (element[0] === IE_CONCAT_8 && element.length >= 5)
      part = { reference: element[2]!, total: element[3]!, number: element[4]! };
    else if (element[0] === IE_CONCAT_16 && element.length >= 6)
      part = { reference: element.readUInt16BE(2), total: element[4]!, number: element[5]! };
  }
  if (
    !part &&
    pdu.sar_msg_ref_num !== undefined &&
    pdu.sar_total_segments !== undefined &&
    pdu.sar_segment_seqnum !== undefined
  )
    part = { reference: pdu.sar_msg_ref_num, total: pdu.sar_total_segments, number: pdu.sar_segment_seqnum };
  if (!part || part.total < 2 || part.number < 1 || part.number > part.total) return undefined;
  return part;
}

/**
 * A text field as node-smpp decoded it by data_coding (0 and 1 as GSM 03.38 unpacked,
 * 3 Latin-1, 8 UCS-2 big-endian), without its UDH; an undecoded one (binary) as Latin-1.
 */
function textOf(field: smpp.PduFields["short_message"]): string {
  if (field === undefined) return "";
  if (typeof field === "string") return field;
  if (Buffer.isBuffer(field)) return field.toString("latin1");
  return typeof field.message === "string" ? field.message : field.message.toString("latin1");
}
