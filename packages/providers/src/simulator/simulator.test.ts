import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { messages, recordingContext, tempDir } from "../../test/helpers";
import { createProvider, HandoffExpiredError, type OutboundMessage } from "../index";

const dir = tempDir();
let ledgers = 0;
const freshLedger = () => join(dir, `ledger-${++ledgers}.jsonl`);

function readLedger(path: string): Record<string, unknown>[] {
  const text = readFileSync(path, "utf8");
  expect(text.endsWith("\n")).toBe(true);
  return text
    .slice(0, -1)
    .split("\n")
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

describe("simulator outcomes", () => {
  it.each([
    {
      to: "+33612345697",
      handoff: { accepted: false, reason: "rejected_by_provider" },
      report: undefined,
    },
    {
      to: "+33612345698",
      handoff: { accepted: true, providerMessageId: "sim-m1" },
      report: { status: "undelivered", reason: "rejected", providerCode: "REJECTD" },
    },
    {
      to: "+33612345699",
      handoff: { accepted: true, providerMessageId: "sim-m1" },
      report: { status: "undelivered", reason: "unknown_subscriber", providerCode: "UNDELIV" },
    },
    {
      to: "+33612345600",
      handoff: { accepted: true, providerMessageId: "sim-m1" },
      report: { status: "delivered", providerCode: "DELIVRD" },
    },
    {
      to: "+14155550196",
      handoff: { accepted: true, providerMessageId: "sim-m1" },
      report: { status: "delivered", providerCode: "DELIVRD" },
    },
  ])("$to → accepted: $handoff.accepted, $report.status", async ({ to, handoff, report }) => {
    const context = recordingContext();
    const provider = await createProvider({ name: "simulator" }, context);
    const results = await provider.send([{ id: "m1", to, from: "Salvo", body: "Hi" }]);
    await provider.close();

    expect(results).toEqual([{ id: "m1", ...handoff }]);
    if (report === undefined) {
      expect(context.calls).toEqual([]);
    } else {
      expect(context.calls).toHaveLength(1);
      const [sent] = context.calls[0]!.reports;
      // toStrictEqual: an absent reason must be absent, not `undefined`.
      expect(sent).toStrictEqual({ messageId: "m1", ...report, at: expect.any(Date) });
    }
  });

  it("answers in the order of the messages", async () => {
    const provider = await createProvider({ name: "simulator" }, recordingContext());
    const group = ["97", "00", "98", "97", "99"].map((suffix, n) => ({
      id: `m${n}`,
      to: `+336123456${suffix}`,
      from: "Salvo",
      body: "Hi",
    }));
    const results = await provider.send(group);
    await provider.close();
    expect(results.map((result) => [result.id, result.accepted])).toEqual([
      ["m0", false],
      ["m1", true],
      ["m2", true],
      ["m3", false],
      ["m4", true],
    ]);
  });
});

describe("simulator delivery reports", () => {
  it("reports once per send, with every accepted message of the group and the configured delay", async () => {
    const context = recordingContext();
    const provider = await createProvider({ name: "simulator", dlrDelayMs: 2500 }, context);
    const before = Date.now();
    await provider.send([...messages("a", 3), ...messages("r", 2, "97"), ...messages("u", 2, "99")]);
    await provider.send(messages("b", 4, "98"));
    const after = Date.now();
    await provider.close();

    expect(context.calls.map((call) => call.delayMs)).toEqual([2500, 2500]);
    const [first, second] = context.calls.map((call) => call.reports);
    expect(first!.map((report) => report.messageId)).toEqual(["a-0", "a-1", "a-2", "u-0", "u-1"]);
    expect(second!.map((report) => report.messageId)).toEqual(["b-0", "b-1", "b-2", "b-3"]);
    for (const report of [...first!, ...second!]) {
      expect(report.at.getTime()).toBeGreaterThanOrEqual(before + 2500);
      expect(report.at.getTime()).toBeLessThanOrEqual(after + 2500);
    }
  });

  it("waits 100 ms by default", async () => {
    const context = recordingContext();
    const provider = await createProvider({ name: "simulator" }, context);
    await provider.send(messages("d", 1));
    await provider.close();
    expect(context.calls[0]?.delayMs).toBe(100);
  });

  it("does not call the context for a group refused in full, nor for an empty group", async () => {
    const context = recordingContext();
    const provider = await createProvider({ name: "simulator" }, context);
    await provider.send(messages("r", 3, "97"));
    expect(await provider.send([])).toEqual([]);
    await provider.close();
    expect(context.calls).toEqual([]);
  });
});

describe("simulator ledger", () => {
  it("appends one line per hand-off, refused ones included, in the documented format", async () => {
    const ledgerPath = freshLedger();
    const provider = await createProvider({ name: "simulator", ledgerPath }, recordingContext());
    const tricky: OutboundMessage = {
      id: 'quote"back\\slash',
      to: "+33612345697",
      from: "0612345678",
      body: 'Line one\nline two, "quoted", tab\t, émoji 🎉',
    };
    const before = Date.now();
    await provider.send([...messages("a", 2), tricky]);
    await provider.send(messages("b", 1, "99"));
    const after = Date.now();
    await provider.close();

    const lines = readLedger(ledgerPath);
    expect(lines.map((line) => line.message_id)).toEqual(["a-0", "a-1", tricky.id, "b-0"]);
    expect(lines[2]).toEqual({
      message_id: tricky.id,
      to: tricky.to,
      from: tricky.from,
      body: tricky.body,
      at: expect.any(String),
    });
    for (const line of lines) {
      expect(Object.keys(line)).toEqual(["message_id", "to", "from", "body", "at"]);
      const at = line.at as string;
      expect(new Date(at).toISOString()).toBe(at);
      expect(Date.parse(at)).toBeGreaterThanOrEqual(before);
      expect(Date.parse(at)).toBeLessThanOrEqual(after);
    }
  });

  it("records the same message twice if it is handed off twice: it never deduplicates", async () => {
    const ledgerPath = freshLedger();
    const provider = await createProvider({ name: "simulator", ledgerPath }, recordingContext());
    const [message] = messages("twice", 1);
    await provider.send([message!]);
    await provider.send([message!, message!]);
    await provider.close();
    expect(readLedger(ledgerPath).map((line) => line.message_id)).toEqual(["twice-0", "twice-0", "twice-0"]);
  });

  it("keeps what is already in the file and creates missing directories", async () => {
    const ledgerPath = join(dir, "nested", "deeper", "ledger.jsonl");
    for (const prefix of ["first", "second"]) {
      const provider = await createProvider({ name: "simulator", ledgerPath }, recordingContext());
      await provider.send(messages(prefix, 2));
      await provider.close();
    }
    expect(readLedger(ledgerPath).map((line) => line.message_id)).toEqual([
      "first-0",
      "first-1",
      "second-0",
      "second-1",
    ]);
  });
});

describe("simulator received", () => {
  it("finds exactly the ids that were handed off, accepted or refused, across provider instances", async () => {
    const ledgerPath = freshLedger();
    const earlier = await createProvider({ name: "simulator", ledgerPath }, recordingContext());
    await earlier.send([...messages("a", 3), ...messages("r", 2, "97")]);
    await earlier.close();

    // A restarted worker: a new instance must see what the old one handed off.
    const provider = await createProvider({ name: "simulator", ledgerPath }, recordingContext());
    const odd = { id: 'odd "id" \\ é', to: "+33600000001", from: "Salvo", body: "x" };
    await provider.send([...messages("b", 2), odd]);

    const asked = ["a-0", "a-2", "r-1", "b-1", odd.id, "never-1", "a-", "a-00", "b-1x", "never-2"];
    const received = await provider.received!(asked);
    expect(new Set(received.keys())).toEqual(new Set(["a-0", "a-2", "r-1", "b-1", odd.id]));
    // It also tells what it answered at hand-off: the refused one stays refused.
    expect(received.get("a-0")).toMatchObject({ id: "a-0", accepted: true });
    expect(received.get("r-1")).toEqual({ id: "r-1", accepted: false, reason: "rejected_by_provider" });
    expect((await provider.received!([])).size).toBe(0);
    expect((await provider.received!(["never"])).size).toBe(0);
    await provider.close();
  });

  it("reads a ledger larger than one read chunk", async () => {
    const ledgerPath = freshLedger();
    const provider = await createProvider({ name: "simulator", ledgerPath }, recordingContext());
    // ~20,000 lines of ~150 bytes: several 1 MiB chunks, so lines straddle chunk ends.
    for (let group = 0; group < 20; group++) {
      await provider.send(
        messages(`g${group}`, 1000).map((message) => ({
          ...message,
          body: `${message.body} ${"é".repeat(40)}`,
        })),
      );
    }
    const asked = ["g0-0", "g7-513", "g19-999", "g20-0", "g3-1000"];
    expect(new Set((await provider.received!(asked)).keys())).toEqual(new Set(["g0-0", "g7-513", "g19-999"]));
    await provider.close();
  });

  it("is absent without a ledger, so callers know the simulator cannot tell", async () => {
    const provider = await createProvider({ name: "simulator" }, recordingContext());
    expect(provider.received).toBeUndefined();
    expect("received" in provider).toBe(false);
    await provider.close();
  });
});

describe("simulator lifecycle and settings", () => {
  it("holds each send for handoffDelayMs", async () => {
    const provider = await createProvider({ name: "simulator", handoffDelayMs: 50 }, recordingContext());
    const started = performance.now();
    await provider.send(messages("slow", 2));
    expect(performance.now() - started).toBeGreaterThanOrEqual(45);
    await provider.close();
  });

  it("close waits for a send in progress, then refuses new ones", async () => {
    const ledgerPath = freshLedger();
    const provider = await createProvider(
      { name: "simulator", ledgerPath, handoffDelayMs: 50 },
      recordingContext(),
    );
    const sending = provider.send(messages("late", 3));
    await provider.close();
    await expect(sending).resolves.toHaveLength(3);
    expect(readLedger(ledgerPath)).toHaveLength(3);
    await expect(provider.send(messages("after", 1))).rejects.toThrow(/closed/);
    await provider.close();
  });

  it("hands nothing off once notAfter has passed during its latency", async () => {
    const ledgerPath = freshLedger();
    const context = recordingContext();
    const provider = await createProvider({ name: "simulator", ledgerPath, handoffDelayMs: 50 }, context);
    await expect(provider.send(messages("late", 2), { notAfter: Date.now() + 10 })).rejects.toThrow(
      HandoffExpiredError,
    );
    expect(readFileSync(ledgerPath, "utf8")).toBe("");
    expect(context.calls).toEqual([]);
    await expect(
      provider.send(messages("on-time", 2), { notAfter: Date.now() + 5_000 }),
    ).resolves.toHaveLength(2);
    expect(readLedger(ledgerPath)).toHaveLength(2);
    await provider.close();
  });

  it("rejects bad settings with the field named", async () => {
    await expect(createProvider({ name: "simulator", dlrDelayMs: -1 }, recordingContext())).rejects.toThrow(
      /Invalid simulator settings[\s\S]*dlrDelayMs/,
    );
    await expect(
      createProvider({ name: "simulator", handoffDelayMs: 1.5 }, recordingContext()),
    ).rejects.toThrow(/handoffDelayMs/);
  });
});
