// Routing and failover end to end (real API, worker, Redis and PostgreSQL): a
// provider of the test's own, whose links the test brings down and up and whose
// refusals it scripts, behind connectors chosen by route.
import { messageId } from "@salvo/core";
import { defineProvider, type HandoffResult, type OutboundMessage, registerProvider } from "@salvo/providers";
import { closeRedis, createRedis, type RedisClient, readConnectorStates } from "@salvo/queue";
import { createLogger } from "@salvo/runtime";
import { afterAll, beforeAll, expect, it } from "vitest";
import { z } from "zod";
import { parseWorkerEnv } from "../src/env";
import { startWorker } from "../src/worker";
import { messagesByStatus, type Stack, startStack, waitFor } from "./stack";

interface Link {
  up: boolean;
  /** Numbers this link refuses for now (as a throttled SMSC would). */
  refuses: (to: string) => boolean;
  got: OutboundMessage[];
  /** How often the worker looked at its state. */
  looked: number;
}
const links = new Map<string, Link>();
function link(label: string): Link {
  let found = links.get(label);
  if (!found) {
    found = { up: true, refuses: () => false, got: [], looked: 0 };
    links.set(label, found);
  }
  return found;
}

registerProvider(
  defineProvider({
    name: "test-link",
    settingsSchema: z.strictObject({ label: z.string() }),
    create(settings) {
      const state = link(settings.label);
      return {
        name: "test-link",
        state() {
          state.looked++;
          return { up: state.up, detail: { binds: state.up ? 1 : 0, window: 0 } };
        },
        async send(messages): Promise<HandoffResult[]> {
          return messages.map((m) => {
            if (!state.up || state.refuses(m.to)) return { id: m.id, accepted: false, temporary: true };
            state.got.push(m);
            return { id: m.id, accepted: true };
          });
        },
        async close() {},
      };
    },
  }),
);

const connectors = ["primary", "spare", "vip", "fr61", "be"].map((name) => ({
  name,
  provider: "test-link",
  settings: { label: name },
}));

let stack: Stack;
let vipAccount: string;
let vipClient: Awaited<ReturnType<Stack["newAccount"]>>["client"];
let redis: RedisClient;
let closeWorker: () => Promise<void>;
beforeAll(async () => {
  stack = await startStack({ workers: 0, api: { SALVO_CONNECTORS: JSON.stringify(connectors) } });
  // The route by account needs the account's id: the worker starts once it exists.
  ({ accountId: vipAccount, client: vipClient } = await stack.newAccount({
    credits: 1_000,
    apiRateLimit: 1_000,
  }));
  redis = createRedis(stack.env.REDIS_URL);
  const config = {
    connectors,
    routes: [
      { name: "vip", accounts: [vipAccount], connectors: ["vip"] },
      { name: "fr-61", destinations: ["+3361"], connectors: ["fr61"] },
      { name: "belgium", destinations: ["BE"], connectors: ["be"] },
      { name: "default", connectors: ["primary", "spare"] },
    ],
  };
  const env = parseWorkerEnv({
    DATABASE_URL: stack.env.DATABASE_URL,
    REDIS_URL: stack.env.REDIS_URL,
    REDIS_PREFIX: stack.env.REDIS_PREFIX,
    SALVO_CONNECTORS: JSON.stringify(config),
    CONNECTOR_WAIT_MS: "200",
    CONNECTOR_STATE_INTERVAL_MS: "200",
    HEARTBEAT_INTERVAL_MS: "500",
    RECONCILE_INTERVAL_MS: "1000",
    LOG_LEVEL: "warn",
  });
  const worker = await startWorker(env, createLogger("salvo-worker", "warn"));
  closeWorker = () => worker.close();
});
afterAll(async () => {
  await closeWorker();
  await closeRedis(redis);
  await stack.stopAll();
});

/** Numbers +33 6 50 xx xx xx (French, not +3361): the default route. */
const defaultRoute = (count: number, from = 0) =>
  Array.from({ length: count }, (_, i) => `+33650${String(10_000 + from + i).padStart(6, "0")}`);

/** How many of a batch's messages each connector got, and whether any got one twice. */
function handedOff(batchId: string) {
  const counts: Record<string, number> = {};
  const seen = new Set<string>();
  let twice = 0;
  const ofBatch = messageId(batchId, 0).replace(/0$/, "");
  for (const [label, { got }] of links) {
    for (const message of got.filter((m) => m.id.startsWith(ofBatch))) {
      counts[label] = (counts[label] ?? 0) + 1;
      if (seen.has(message.id)) twice++;
      seen.add(message.id);
    }
  }
  return { counts, twice };
}

async function send(asVip: boolean, recipients: string[]) {
  const { client, accountId } = asVip
    ? { client: vipClient, accountId: vipAccount }
    : await stack.newAccount({ credits: 10_000, apiRateLimit: 1_000 });
  // Belgian numbers too (an account sends to its own country's only, by default).
  await stack.store.accounts.update(accountId, { allowedCountries: ["BE", "FR"] });
  const { body } = await client.batches.create({ from: "ROUTE", body: "hello", recipients });
  return { client, batchId: body.data.batch_id };
}

function reset() {
  for (const state of links.values()) Object.assign(state, { up: true, refuses: () => false });
}

it("sends through the next connector of the route while the first is down: none failed, none twice", async () => {
  reset();
  link("primary").up = false;
  const { client, batchId } = await send(false, defaultRoute(40));
  const done = await client.batches.wait(batchId, { timeoutMs: 20_000 });
  expect(done.attributes).toMatchObject({ total: 40, sent: 40, failed: 0, pending: 0 });
  expect(handedOff(batchId)).toEqual({ counts: { spare: 40 }, twice: 0 });
  expect(await messagesByStatus(stack, batchId)).toEqual({ sent: 40 });
});

it("offers what a connector refuses for now to the next one, and only that", async () => {
  reset();
  const refused = new Set(defaultRoute(30, 100).filter((_, i) => i % 3 === 0));
  link("primary").refuses = (to) => refused.has(to);
  const { client, batchId } = await send(false, defaultRoute(30, 100));
  const done = await client.batches.wait(batchId, { timeoutMs: 20_000 });
  expect(done.attributes).toMatchObject({ total: 30, sent: 30, failed: 0 });
  expect(handedOff(batchId)).toEqual({ counts: { primary: 20, spare: 10 }, twice: 0 });
  const spare = link("spare").got.filter((m) => m.id.startsWith(messageId(batchId, 0).replace(/0$/, "")));
  expect(new Set(spare.map((m) => m.to))).toEqual(refused);
});

it("waits while every connector of the route is down, failing nothing, and completes once one is back", async () => {
  reset();
  link("primary").up = false;
  link("spare").up = false;
  const { client, batchId } = await send(false, defaultRoute(25, 200));
  // The chunk has come back to the links several times (it waits CONNECTOR_WAIT_MS between).
  const looked = link("spare").looked;
  await waitFor("the worker to try the down links again", () => link("spare").looked >= looked + 3);
  expect(await messagesByStatus(stack, batchId)).toEqual({});
  expect((await client.batches.get(batchId)).body.data.attributes).toMatchObject({ pending: 25, failed: 0 });
  // Live state, as every worker publishes it.
  const states = await readConnectorStates(redis, stack.env.REDIS_PREFIX, ["primary", "spare", "vip"]);
  expect(states.primary).toMatchObject({ state: "down", workers: 1, workersUp: 0, detail: { binds: 0 } });
  expect(states.vip).toMatchObject({ state: "up", workers: 1, workersUp: 1, detail: { binds: 1 } });
  // /readyz reports them, and stays ready: a connector down is waited for, not a fault of the API.
  const { status, body } = await stack
    .client()
    .call<{ status: string; connectors: Record<string, unknown> }>("GET", "/readyz");
  expect(status).toBe(200);
  expect(body.status).toBe("ready");
  expect(body.connectors.primary).toMatchObject({ state: "down", workersUp: 0, detail: { binds: 0 } });
  expect(body.connectors.spare).toMatchObject({ state: "down" });
  expect(body.connectors.be).toMatchObject({ state: "up", workers: 1, sentLastMinute: 0 });

  link("spare").up = true;
  const done = await client.batches.wait(batchId, { timeoutMs: 20_000 });
  expect(done.attributes).toMatchObject({ total: 25, sent: 25, failed: 0, pending: 0 });
  expect(handedOff(batchId)).toEqual({ counts: { spare: 25 }, twice: 0 });
  await waitFor("the spare's last minute published", async () => {
    const { spare } = await readConnectorStates(redis, stack.env.REDIS_PREFIX, ["spare"]);
    return (spare?.sentLastMinute ?? 0) >= 25;
  });
});

it("routes by account first, then by destination prefix and country, else by the default route", async () => {
  reset();
  const mixed = ["+33612345001", "+33612345002", "+32470123401", "+33650000001"];
  const vip = await send(true, mixed);
  await vip.client.batches.wait(vip.batchId, { timeoutMs: 20_000 });
  expect(handedOff(vip.batchId)).toEqual({ counts: { vip: 4 }, twice: 0 });

  const other = await send(false, mixed);
  const done = await other.client.batches.wait(other.batchId, { timeoutMs: 20_000 });
  expect(done.attributes).toMatchObject({ total: 4, sent: 4 });
  expect(handedOff(other.batchId)).toEqual({ counts: { fr61: 2, be: 1, primary: 1 }, twice: 0 });
});
