// SMPP over TLS, end to end, against the test SMSC serving TLS with a throwaway
// self-signed certificate: a connector that trusts it (tlsCaFile) binds, sends and
// applies the receipt; one that does not (the system's CAs) never binds, stays
// down saying why in its published state and the worker's log, and its route
// fails over to the first instead of the worker crashing.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { TestSmsc, testCertificate } from "@salvo/providers/test-smsc";
import { afterAll, beforeAll, expect, it } from "vitest";
import { type Stack, startStack, waitFor } from "./stack";

const dir = mkdtempSync(join(tmpdir(), "salvo-smpp-tls-"));
let smsc: TestSmsc;
let stack: Stack;

beforeAll(async () => {
  const certificate = testCertificate(dir);
  smsc = await TestSmsc.start(0, { tls: certificate });
  const smpp = { host: "127.0.0.1", port: smsc.port, systemId: "salvo", password: "secret", tls: true };
  const connectors = JSON.stringify([
    { name: "smsc-untrusted", provider: "smpp", settings: { ...smpp, reconnectMaxMs: 500 } },
    { name: "smsc-tls", provider: "smpp", settings: { ...smpp, tlsCaFile: certificate.certFile } },
  ]);
  stack = await startStack({
    api: { SALVO_CONNECTORS: connectors },
    worker: { SALVO_CONNECTORS: connectors, CONNECTOR_STATE_INTERVAL_MS: "200" },
  });
});
afterAll(async () => {
  await stack?.stopAll();
  await smsc?.close();
  rmSync(dir, { recursive: true, force: true });
});

it("sends over TLS with the SMSC's CA, and keeps the untrusted connector down, reported, without crashing", async () => {
  const { client } = await stack.newAccount({ credits: 1_000, apiRateLimit: 1_000 });
  const { body } = await client.batches.create({
    from: "Salvo",
    body: "Over TLS",
    recipients: ["+33612391001"],
  });
  await smsc.waitFor(() => smsc.submits.length === 1, 20_000);
  expect(smsc.binds).toHaveLength(1);
  expect(await smsc.receipt(smsc.submits[0]!.messageId!, { stat: "DELIVRD" })).toBe(0);
  const done = await client.batches.wait(body.data.batch_id, {
    timeoutMs: 20_000,
    until: (batch) => batch.attributes.delivered === 1,
  });
  expect(done.attributes).toMatchObject({ total: 1, sent: 1, delivered: 1, failed: 0 });

  const connectors = await waitFor("both connectors' states published", async () => {
    const { body: ready } = await stack
      .client()
      .call<{ connectors: Record<string, { state: string; detail: Record<string, unknown> }> }>(
        "GET",
        "/readyz",
      );
    return ready.connectors["smsc-untrusted"] && ready.connectors["smsc-tls"] ? ready.connectors : undefined;
  });
  expect(connectors["smsc-tls"]).toMatchObject({ state: "up", detail: { bindsUp: 1, lastError: null } });
  expect(connectors["smsc-untrusted"]).toMatchObject({
    state: "down",
    detail: { bindsUp: 0, lastError: expect.stringContaining("SELF_SIGNED") },
  });

  // A worker process of its own logs the reason once, naming the connector.
  const child = stack.spawnWorker();
  const logged = await waitFor("the untrusted connector's problem logged", () =>
    stack.workerLogs.find((line) => line.msg === "connector problem" && line.connector === "smsc-untrusted"),
  );
  expect(logged.err).toMatch(/DEPTH_ZERO_SELF_SIGNED_CERT/);
  expect(child.exitCode).toBeNull();
});
