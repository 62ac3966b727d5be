import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll } from "vitest";
import type { DeliveryReport, InboundMessage, OutboundMessage, ProviderContext } from "../src/index";

/** The seam between a provider and Salvo's DLR and MO paths, faked: it only records what it is given. */
export function recordingContext(): ProviderContext & {
  calls: { reports: DeliveryReport[]; delayMs: number }[];
  inbound: InboundMessage[];
} {
  const calls: { reports: DeliveryReport[]; delayMs: number }[] = [];
  const inbound: InboundMessage[] = [];
  return {
    calls,
    inbound,
    async reportDeliveries(reports, delayMs) {
      calls.push({ reports, delayMs });
    },
    async reportInbound(messages) {
      inbound.push(...messages);
    },
  };
}

/** A fresh directory for this test file, removed when the file's tests are done. */
export function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), "salvo-providers-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** `count` messages with ids `<prefix>-<n>`, every number ending in `suffix`. */
export function messages(prefix: string, count: number, suffix = "00"): OutboundMessage[] {
  return Array.from({ length: count }, (_, n) => ({
    id: `${prefix}-${n}`,
    to: `+336${String(n).padStart(6, "0")}${suffix}`,
    from: "Salvo",
    body: `Hello ${n}`,
  }));
}
