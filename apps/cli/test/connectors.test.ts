// `salvo connectors` and `salvo routes`: the workers' configuration read from the
// same env, with the live state a worker published to Redis (here published as a
// worker does, with its heartbeat, by the functions the worker uses).
import { publishConnectorStates, workersKey } from "@salvo/queue";
import { testRedisUrl, useTestRedis } from "@salvo/queue/testing";
import { beforeAll, expect, it } from "vitest";
import { type Run, runSalvo } from "./run-salvo";

const test = useTestRedis();

const config = {
  connectors: [
    { name: "smsc-a", provider: "simulator", maxMps: 50 },
    { name: "smsc-b", provider: "simulator" },
    { name: "backup", provider: "simulator" },
  ],
  routes: [
    {
      name: "france",
      destinations: ["FR", "+3361"],
      connectors: [["smsc-a", { name: "smsc-b", weight: 3 }], "backup"],
    },
    { name: "default", connectors: ["backup"] },
  ],
};

function salvo(...args: string[]): Promise<Run> {
  return salvoWith({}, ...args);
}

/** `salvo` on this file's Redis prefix, with `config` unless `env` says otherwise. */
function salvoWith(env: Record<string, string>, ...args: string[]): Promise<Run> {
  const base = {
    REDIS_URL: testRedisUrl,
    REDIS_PREFIX: test.prefix,
    SALVO_CONNECTORS: JSON.stringify(config),
  };
  return runSalvo({ ...base, ...env }, ...args);
}

beforeAll(async () => {
  // One live worker, which has smsc-a down and smsc-b up; none reports backup.
  await test.redis.zadd(workersKey(test.prefix), Date.now() + 60_000, "worker-1");
  await publishConnectorStates(
    test.redis,
    test.prefix,
    "worker-1",
    {
      "smsc-a": { up: false, detail: { binds: 0, window: 0 }, sentLastMinute: 12, temporaryLastMinute: 4 },
      "smsc-b": { up: true, detail: { binds: 2, window: 7 }, sentLastMinute: 30, temporaryLastMinute: 0 },
    },
    60_000,
  );
});

it("salvo connectors prints each configured connector with its live state, as a table or JSON", async () => {
  const table = await salvo("connectors");
  expect(table.stderr).toBe("");
  expect(table.code).toBe(0);
  expect(table.stdout.split("\n").map((line) => line.split(/\s{2,}/))).toEqual([
    ["name", "provider", "maxMps", "state", "workers", "sentLastMinute", "temporaryLastMinute", "detail"],
    ["smsc-a", "simulator", "50", "down", "0/1", "12", "4", "binds=0 window=0"],
    ["smsc-b", "simulator", "-", "up", "1/1", "30", "0", "binds=2 window=7"],
    ["backup", "simulator", "-", "unknown", "0/0", "0", "0", "-"],
    [""],
  ]);

  const json = await salvo("connectors", "--json");
  expect(json.code).toBe(0);
  expect(JSON.parse(json.stdout)).toEqual([
    {
      name: "smsc-a",
      provider: "simulator",
      maxMps: 50,
      state: "down",
      workers: 1,
      workersUp: 0,
      sentLastMinute: 12,
      temporaryLastMinute: 4,
      detail: { binds: 0, window: 0 },
    },
    {
      name: "smsc-b",
      provider: "simulator",
      maxMps: null,
      state: "up",
      workers: 1,
      workersUp: 1,
      sentLastMinute: 30,
      temporaryLastMinute: 0,
      detail: { binds: 2, window: 7 },
    },
    {
      name: "backup",
      provider: "simulator",
      maxMps: null,
      state: "unknown",
      workers: 0,
      workersUp: 0,
      sentLastMinute: 0,
      temporaryLastMinute: 0,
      detail: {},
    },
  ]);
});

it("salvo routes prints the routes in the order they are tried, tiers and weights, with each connector's state", async () => {
  const table = await salvo("routes");
  expect(table.stderr).toBe("");
  expect(table.stdout.split("\n").map((line) => line.split(/\s{2,}/))).toEqual([
    ["name", "accounts", "destinations", "connectors"],
    ["france", "*", "FR,+3361", "smsc-a*1 (down) + smsc-b*3 (up) > backup (unknown)"],
    ["default", "*", "*", "backup (unknown)"],
    [""],
  ]);
  const json = await salvo("routes", "--json");
  expect(JSON.parse(json.stdout)).toEqual([
    {
      name: "france",
      accounts: null,
      destinations: ["FR", "+3361"],
      tiers: [
        [
          { connector: "smsc-a", weight: 1, state: "down" },
          { connector: "smsc-b", weight: 3, state: "up" },
        ],
        [{ connector: "backup", weight: 1, state: "unknown" }],
      ],
    },
    {
      name: "default",
      accounts: null,
      destinations: null,
      tiers: [[{ connector: "backup", weight: 1, state: "unknown" }]],
    },
  ]);
});

it("refuses a configuration with a bad route, naming it", async () => {
  const run = await salvoWith(
    { SALVO_CONNECTORS: JSON.stringify({ ...config, routes: [{ name: "default", connectors: ["nope"] }] }) },
    "routes",
  );
  expect(run.code).toBe(1);
  expect(run.stderr).toContain("SALVO_CONNECTORS.routes.default.connectors.0: no connector is named nope");
});
