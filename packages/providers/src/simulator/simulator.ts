import { appendFileSync, closeSync, createReadStream, mkdirSync, openSync } from "node:fs";
import { dirname } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { z } from "zod";
import {
  type DeliveryReport,
  HandoffExpiredError,
  type HandoffResult,
  type OutboundMessage,
  type ProviderContext,
  type SendOptions,
  type SmsProvider,
} from "../provider";

/** A simulator connector's `settings`. */
export const simulatorSettingsSchema = z.strictObject({
  /** How long after hand-off the delivery reports arrive. */
  dlrDelayMs: z.number().int().min(0).default(100),
  /** A JSON-lines file recording every hand-off, shared by every process that sends. */
  ledgerPath: z.string().min(1).optional(),
  /** Artificial latency of each `send` call, to play a slower provider. */
  handoffDelayMs: z.number().int().min(0).default(0),
});

type SimulatorSettings = z.output<typeof simulatorSettingsSchema>;

type Outcome =
  | { accepted: false; reason: string }
  | { accepted: true; status: DeliveryReport["status"]; reason?: string; providerCode: string };

// Keyed by the number's last two digits, so a test picks its outcome by picking its number.
const SPECIAL_OUTCOMES = new Map<string, Outcome>([
  ["97", { accepted: false, reason: "rejected_by_provider" }],
  ["98", { accepted: true, status: "undelivered", reason: "rejected", providerCode: "REJECTD" }],
  ["99", { accepted: true, status: "undelivered", reason: "unknown_subscriber", providerCode: "UNDELIV" }],
]);
const DELIVERED: Outcome = { accepted: true, status: "delivered", providerCode: "DELIVRD" };

/**
 * A provider that sends nothing: outcomes follow the number's last two digits, delivery
 * reports come back through `context` after `dlrDelayMs`, and, with `ledgerPath`, every
 * hand-off is appended to a ledger so tests can prove no message was handed off twice.
 */
export function createSimulator(settings: SimulatorSettings, context: ProviderContext): SmsProvider {
  const { dlrDelayMs, ledgerPath, handoffDelayMs } = settings;

  // Opened once with O_APPEND: each write lands whole at the end of the file, even with
  // several processes appending at once, which read-modify-write could never promise.
  let ledgerFd: number | undefined;
  if (ledgerPath !== undefined) {
    mkdirSync(dirname(ledgerPath), { recursive: true });
    ledgerFd = openSync(ledgerPath, "a");
  }

  let closed = false;
  const inFlight = new Set<Promise<unknown>>();

  async function handOff(messages: OutboundMessage[], options: SendOptions): Promise<HandoffResult[]> {
    if (handoffDelayMs > 0) await sleep(handoffDelayMs);

    const handedOffAt = Date.now();
    const reportAtMs = handedOffAt + dlrDelayMs;
    // One timestamp per call: the messages of a group are handed off together.
    const at = new Date(handedOffAt).toISOString();
    const results: HandoffResult[] = new Array(messages.length);
    const reports: DeliveryReport[] = [];
    let ledger = "";

    for (let i = 0; i < messages.length; i++) {
      const message = messages[i]!;
      const outcome = SPECIAL_OUTCOMES.get(message.to.slice(-2)) ?? DELIVERED;
      if (outcome.accepted) {
        results[i] = { id: message.id, accepted: true, providerMessageId: `sim-${message.id}` };
        const report: DeliveryReport = {
          messageId: message.id,
          status: outcome.status,
          providerCode: outcome.providerCode,
          at: new Date(reportAtMs),
        };
        if (outcome.reason !== undefined) report.reason = outcome.reason;
        reports.push(report);
      } else {
        results[i] = { id: message.id, accepted: false, reason: outcome.reason };
      }
      if (ledgerFd !== undefined) {
        // Key order is part of the format: `received` finds the id at the start of the line.
        const line = { message_id: message.id, to: message.to, from: message.from, body: message.body, at };
        ledger += `${JSON.stringify(line)}\n`;
      }
    }

    // The deadline is checked last, with everything built, so that only the write
    // follows it: the latency above may have outlasted the caller's claim on the
    // messages (a worker frozen mid-call and replaced), and a process frozen
    // between the check and the write would hand them off late.
    const now = Date.now();
    if (options.notAfter !== undefined && now > options.notAfter) {
      throw new HandoffExpiredError(
        `hand-off of ${messages.length} messages refused: ${now - options.notAfter} ms past its deadline`,
      );
    }
    // One write per call, synchronous so the ledger holds the hand-off before `send`
    // resolves: a worker that crashes right after can count on `received` seeing it.
    if (ledgerFd !== undefined) appendFileSync(ledgerFd, ledger);
    // Awaited: a failure to schedule the reports must reach the worker, not vanish.
    if (reports.length > 0) await context.reportDeliveries(reports, dlrDelayMs);
    return results;
  }

  const provider: SmsProvider = {
    name: "simulator",

    async send(messages, options = {}) {
      if (closed) throw new Error("The simulator provider is closed.");
      if (messages.length === 0) return [];
      const handoff = handOff(messages, options);
      inFlight.add(handoff);
      const forget = () => inFlight.delete(handoff);
      handoff.then(forget, forget);
      return handoff;
    },

    async close() {
      if (closed) return;
      closed = true;
      // A send still waiting on its artificial latency must not write to a closed descriptor.
      await Promise.allSettled(inFlight);
      if (ledgerFd !== undefined) closeSync(ledgerFd);
    },
  };

  // Only with a ledger can the simulator tell what it received; without one the property
  // stays absent, which is how callers know to fall back.
  if (ledgerPath !== undefined) {
    provider.received = async (ids) => {
      const lines = await ledgerLines(ledgerPath, ids);
      const results = new Map<string, HandoffResult>();
      for (const [id, line] of lines) {
        const { to } = JSON.parse(line) as { to: string };
        const outcome = SPECIAL_OUTCOMES.get(to.slice(-2)) ?? DELIVERED;
        results.set(
          id,
          outcome.accepted
            ? { id, accepted: true, providerMessageId: `sim-${id}` }
            : { id, accepted: false, reason: outcome.reason },
        );
      }
      return results;
    };
  }
  return provider;
}

const LINE_START = '{"message_id":"';
// Cannot occur inside a JSON string: there, a quote is always escaped with a backslash.
const ID_END = '","to":';

/** The ledger lines of `ids`, by id, reading the ledger as a stream: it can grow to gigabytes. */
async function ledgerLines(path: string, ids: string[]): Promise<Map<string, string>> {
  const wanted = new Set(ids);
  const found = new Map<string, string>();
  if (wanted.size === 0) return found;

  const consider = (line: string) => {
    const id = ledgerLineId(line);
    if (id !== undefined && wanted.has(id)) found.set(id, line);
  };

  // utf8 decoding in the stream keeps a character split across chunks whole.
  const stream = createReadStream(path, { encoding: "utf8", highWaterMark: 1 << 20 });
  let tail = "";
  for await (const chunk of stream as AsyncIterable<string>) {
    const text = tail + chunk;
    let start = 0;
    for (let end = text.indexOf("\n"); end !== -1; end = text.indexOf("\n", start)) {
      consider(text.slice(start, end));
      start = end + 1;
    }
    tail = text.slice(start);
    if (found.size === wanted.size) return found;
  }
  // A last line without its newline is a write other processes are making right now.
  if (tail !== "") consider(tail);
  return found;
}

function ledgerLineId(line: string): string | undefined {
  if (line.startsWith(LINE_START)) {
    const idEnd = line.indexOf(ID_END, LINE_START.length);
    if (idEnd !== -1) {
      const raw = line.slice(LINE_START.length, idEnd);
      return raw.includes("\\") ? (JSON.parse(`"${raw}"`) as string) : raw;
    }
  }
  // Not a line this module wrote (edited by hand, or cut short): parse it the slow way.
  try {
    const value: unknown = JSON.parse(line);
    if (typeof value === "object" && value !== null && "message_id" in value) {
      return typeof value.message_id === "string" ? value.message_id : undefined;
    }
  } catch {
    // A partial line holds no id we can trust.
  }
  return undefined;
}
