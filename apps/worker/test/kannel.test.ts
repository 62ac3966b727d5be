// Salvo through a real Kannel 1.4.5: a batch goes out through smsbox's sendsms to
// bearerbox and fakesmsc (Kannel's test SMSC), Kannel's DLRs come back through the
// signed dlr-url to the API and are applied by the worker, and MOs that fakesmsc
// hands to bearerbox reach Salvo through smsbox's sms-service (a STOP blacklists).
import { findKannel, freePort, type KannelPeer, startKannel } from "@salvo/providers/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Stack, startStack, waitFor } from "./stack";

const SECRET = "worker-test-kannel-secret";
const kannel = findKannel();
if ("missing" in kannel) console.warn(`Kannel end-to-end test skipped: ${kannel.missing}`);

describe.skipIf("missing" in kannel)("a kannel connector", () => {
  let peer: KannelPeer;
  let stack: Stack;

  beforeAll(async () => {
    if ("missing" in kannel) return;
    // Each side's address is in the other's configuration: both ports are picked first.
    const [apiPort, sendsmsPort] = [await freePort(), await freePort()];
    const callbackBaseUrl = `http://127.0.0.1:${apiPort}`;
    peer = await startKannel(kannel, {
      sendsmsPort,
      getUrl: `${callbackBaseUrl}/v1/providers/kannel-eu/inbound?token=${SECRET}&from=%p&to=%P&text=%a`,
    });
    const connectors = JSON.stringify([
      {
        name: "kannel-eu",
        provider: "kannel",
        settings: {
          sendsmsUrl: peer.sendsmsUrl,
          username: peer.username,
          password: peer.password,
          smsc: peer.smsc,
          callbackBaseUrl,
          callbackSecret: SECRET,
        },
      },
    ]);
    stack = await startStack({
      api: { PORT: String(apiPort), SALVO_CONNECTORS: connectors },
      worker: { SALVO_CONNECTORS: connectors },
    });
  }, 60_000);
  afterAll(async () => {
    await stack?.stopAll();
    await peer?.stop();
  });

  it("sends a batch through Kannel, applies its DLRs, and takes replies and STOPs from its sms-service", async () => {
    const { client } = await stack.newAccount({ credits: 1_000, apiRateLimit: 1_000 });
    const recipients = Array.from({ length: 25 }, (_, n) => `+336123450${String(n).padStart(2, "0")}`);
    const { body } = await client.batches.create({
      from: "SALVO",
      body: "Your parcel ships today",
      recipients,
    });
    const batchId = body.data.batch_id;

    // fakesmsc plays the SMSC; bearerbox reports each message it took as delivered
    // (DLR type 1), through the dlr-url, which the API enqueues and the worker applies.
    const delivered = await waitFor(
      "every message delivered",
      async () => {
        const { body: batch } = await client.batches.get(batchId);
        return batch.data.attributes.delivered === recipients.length ? batch.data.attributes : undefined;
      },
      30_000,
    ).catch((error: Error) => {
      throw new Error(`${error.message}\n${peer.logs()}`);
    });
    expect(delivered).toMatchObject({ total: 25, sent: 25, delivered: 25, failed: 0, pending: 0 });
    // Each recipient received the message exactly once, according to fakesmsc.
    const lines = peer.received.filter((line) => line.endsWith(" text Your parcel ships today"));
    expect(lines.map((line) => line.split(" ")[1]).sort()).toEqual(recipients);

    // A handset answers, another sends STOP: through bearerbox and smsbox's get-url.
    await peer.sendMo(recipients[0]!.slice(1), "SALVO", "Thanks a lot");
    await peer.sendMo(recipients[1]!.slice(1), "SALVO", "STOP");
    const replies = await waitFor("both replies", async () => {
      const { body: page } = await client.replies.list();
      return page.data.length === 2 ? page.data : undefined;
    });
    expect(
      replies
        .map((r) => [r.attributes.from, r.attributes.body, r.attributes.stop, r.attributes.batch_id])
        .sort(),
    ).toEqual([
      [recipients[0], "Thanks a lot", false, batchId],
      [recipients[1], "STOP", true, batchId],
    ]);
    expect((await client.blacklist.list()).body.data.map((entry) => entry.number)).toEqual([recipients[1]]);

    // The next batch skips the number that said STOP.
    const next = await client.batches.create({
      from: "SALVO",
      body: "Second notice",
      recipients: recipients.slice(0, 3),
    });
    const done = await client.batches.wait(next.body.data.batch_id, { timeoutMs: 30_000 });
    expect(done.attributes).toMatchObject({ total: 3, blacklisted: 1 });
    await waitFor("the second batch at fakesmsc", () =>
      peer.received.filter((line) => line.endsWith(" text Second notice")).length === 2 ? true : undefined,
    );
  });
});
