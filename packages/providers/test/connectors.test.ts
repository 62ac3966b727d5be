import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { connectorEnv, connectorsOf, openConnectors } from "../src/index";
import { recordingContext, tempDir } from "./helpers";

const dir = tempDir();
const schema = z.object(connectorEnv).transform((env, issues) => connectorsOf(env, issues));

function connectors(env: Record<string, string>) {
  const parsed = schema.safeParse(env);
  if (parsed.success) return parsed.data;
  throw new Error(parsed.error.issues.map((issue) => `${issue.path.join(".")}: ${issue.message}`).join("\n"));
}

describe("connectors", () => {
  it("without SALVO_CONNECTORS, are the one connector today's env describes, named after its provider", () => {
    expect(connectors({})).toEqual([
      { name: "simulator", provider: "simulator", settings: { dlrDelayMs: 100, handoffDelayMs: 0 } },
    ]);
    expect(
      connectors({
        SIMULATOR_DLR_DELAY_MS: "20",
        SIMULATOR_HANDOFF_DELAY_MS: "5",
        SIMULATOR_LEDGER: "/tmp/l.jsonl",
        PROVIDER_MAX_MPS: "50",
      }),
    ).toEqual([
      {
        name: "simulator",
        provider: "simulator",
        settings: { dlrDelayMs: 20, handoffDelayMs: 5, ledgerPath: "/tmp/l.jsonl" },
        maxMps: 50,
      },
    ]);
    expect(() => connectors({ SMS_PROVIDER: "twilio" })).toThrow(
      /^SMS_PROVIDER\.provider: Unknown SMS provider "twilio": expected one of simulator, kannel, smpp\.$/,
    );
  });

  it("come from SALVO_CONNECTORS or its file, in order, with their settings' defaults", () => {
    const list = [
      { name: "sim", provider: "simulator", settings: { dlrDelayMs: 5 }, maxMps: 10 },
      { name: "sim-2", provider: "simulator" },
    ];
    const expected = [
      { name: "sim", provider: "simulator", settings: { dlrDelayMs: 5, handoffDelayMs: 0 }, maxMps: 10 },
      { name: "sim-2", provider: "simulator", settings: { dlrDelayMs: 100, handoffDelayMs: 0 } },
    ];
    // The legacy variables are ignored once connectors are configured.
    expect(connectors({ SALVO_CONNECTORS: JSON.stringify(list), PROVIDER_MAX_MPS: "3" })).toEqual(expected);
    const file = join(dir, "connectors.json");
    writeFileSync(file, JSON.stringify(list));
    expect(connectors({ SALVO_CONNECTORS_FILE: file })).toEqual(expected);
  });

  it.each([
    ["not json", /^SALVO_CONNECTORS: not JSON/],
    ["[]", /^SALVO_CONNECTORS: at least one connector$/],
    ['[{"name":"a","provider":"twilio"}]', /^SALVO_CONNECTORS\.a\.provider: Unknown SMS provider "twilio"/],
    [
      '[{"name":"a","provider":"simulator","settings":{"dlrDelayMs":-1}}]',
      /^SALVO_CONNECTORS\.a\.settings\.dlrDelayMs: /,
    ],
    [
      '[{"name":"a","provider":"simulator","settings":{"ledger":"x"}}]',
      /^SALVO_CONNECTORS\.a\.settings: .*"ledger"/,
    ],
    ['[{"name":"a","provider":"simulator","maxMps":0}]', /^SALVO_CONNECTORS\.a\.maxMps: /],
    ['[{"provider":"simulator"}]', /^SALVO_CONNECTORS\.\[0\]\.name: /],
    [
      '[{"name":"a","provider":"simulator"},{"name":"a","provider":"simulator"}]',
      /^SALVO_CONNECTORS\.a: connector 2: the name is already taken$/,
    ],
  ])("refuses %s, naming the connector and the field", (value, message) => {
    expect(() => connectors({ SALVO_CONNECTORS: value })).toThrow(message);
  });

  it("refuses both variables at once, and a file it cannot read", () => {
    expect(() => connectors({ SALVO_CONNECTORS: "[]", SALVO_CONNECTORS_FILE: "/x" })).toThrow(/not both/);
    expect(() => connectors({ SALVO_CONNECTORS_FILE: join(dir, "missing.json") })).toThrow(
      /^SALVO_CONNECTORS_FILE: cannot read/,
    );
  });

  it("open as providers sending under the connector's name, each with its own context", async () => {
    const configs = connectors({
      SALVO_CONNECTORS: JSON.stringify([
        {
          name: "fast",
          provider: "simulator",
          settings: { dlrDelayMs: 0, ledgerPath: join(dir, "l.jsonl") },
        },
        { name: "slow", provider: "simulator", settings: { dlrDelayMs: 7 }, maxMps: 2 },
      ]),
    });
    const contexts = new Map<string, ReturnType<typeof recordingContext>>();
    const [fast, slow] = await openConnectors(configs, (name) => {
      const context = recordingContext();
      contexts.set(name, context);
      return context;
    });
    expect([fast?.name, fast?.provider, fast?.maxMps]).toEqual(["fast", "simulator", undefined]);
    expect([slow?.name, slow?.provider, slow?.maxMps]).toEqual(["slow", "simulator", 2]);
    // Only a simulator with a ledger can tell what it received.
    expect(typeof fast?.received).toBe("function");
    expect("received" in slow!).toBe(false);
    await slow!.send([{ id: "m1", to: "+33612345600", from: "Salvo", body: "Hi" }]);
    expect(contexts.get("slow")?.calls.map((call) => call.delayMs)).toEqual([7]);
    expect(contexts.get("fast")?.calls).toEqual([]);
    await Promise.all([fast!.close(), slow!.close()]);
  });
});
