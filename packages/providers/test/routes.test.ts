import { describe, expect, it } from "vitest";
import { z } from "zod";
import { connectorEnv, connectorOrder, type Route, routeFor, routingOf } from "../src/index";

const schema = z.object(connectorEnv).transform((env, issues) => routingOf(env, issues));

function routing(config: unknown) {
  const parsed = schema.safeParse({ SALVO_CONNECTORS: JSON.stringify(config) });
  if (parsed.success) return parsed.data;
  throw new Error(parsed.error.issues.map((issue) => `${issue.path.join(".")}: ${issue.message}`).join("\n"));
}

const sims = ["a", "b", "c"].map((name) => ({ name, provider: "simulator" }));

/** A deterministic generator (mulberry32), so that draws by weight are the same every run. */
function seeded(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

describe("routes in the configuration", () => {
  it("without routes (today's array, or the object without them), are one default route through every connector in order", () => {
    const expected = [
      {
        name: "default",
        tiers: [
          [{ connector: "a", weight: 1 }],
          [{ connector: "b", weight: 1 }],
          [{ connector: "c", weight: 1 }],
        ],
      },
    ];
    expect(routing(sims).routes).toEqual(expected);
    expect(routing({ connectors: sims }).routes).toEqual(expected);
    expect(routing({ connectors: sims }).connectors.map((c) => c.name)).toEqual(["a", "b", "c"]);
  });

  it("take tiers as names or lists of names and weighted connectors", () => {
    const { routes } = routing({
      connectors: sims,
      routes: [
        { name: "vip", accounts: ["acc-1"], connectors: ["c", "a"] },
        { name: "fr", destinations: ["FR", "+3361"], connectors: [[{ name: "a", weight: 3 }, "b"], "c"] },
        { name: "rest", connectors: ["a"] },
      ],
    });
    expect(routes).toEqual([
      {
        name: "vip",
        accounts: ["acc-1"],
        tiers: [[{ connector: "c", weight: 1 }], [{ connector: "a", weight: 1 }]],
      },
      {
        name: "fr",
        destinations: ["FR", "+3361"],
        tiers: [
          [
            { connector: "a", weight: 3 },
            { connector: "b", weight: 1 },
          ],
          [{ connector: "c", weight: 1 }],
        ],
      },
      { name: "rest", tiers: [[{ connector: "a", weight: 1 }]] },
    ]);
  });

  it.each([
    [
      "an unknown connector",
      [{ name: "r", connectors: ["a", "zz"] }],
      /^SALVO_CONNECTORS\.routes\.r\.connectors\.1: no connector is named zz$/,
    ],
    [
      "a connector twice in one route",
      [{ name: "r", connectors: ["a", ["b", "a"]] }],
      /^SALVO_CONNECTORS\.routes\.r\.connectors\.1: a is already in this route$/,
    ],
    [
      "a duplicate route name",
      [
        { name: "r", accounts: ["x"], connectors: ["a"] },
        { name: "r", connectors: ["b"] },
      ],
      /^SALVO_CONNECTORS\.routes\.r: route 2: the name is already taken$/,
    ],
    [
      "no default route",
      [{ name: "r", accounts: ["x"], connectors: ["a"] }],
      /^SALVO_CONNECTORS\.routes: no default route: the last route must have neither accounts nor destinations$/,
    ],
    [
      "a default route before others",
      [
        { name: "all", connectors: ["a"] },
        { name: "fr", destinations: ["FR"], connectors: ["b"] },
      ],
      /^SALVO_CONNECTORS\.routes\.all: the default route .* must be the last/,
    ],
    [
      "a destination that is neither a prefix nor a country",
      [
        { name: "r", destinations: ["33"], connectors: ["a"] },
        { name: "d", connectors: ["a"] },
      ],
      /^SALVO_CONNECTORS\.routes\.r\.destinations\.0: an E\.164 prefix/,
    ],
    [
      "an unknown country",
      [
        { name: "r", destinations: ["ZZ"], connectors: ["a"] },
        { name: "d", connectors: ["a"] },
      ],
      /^SALVO_CONNECTORS\.routes\.r\.destinations\.0: not a country libphonenumber knows$/,
    ],
    [
      "a zero weight",
      [{ name: "d", connectors: [[{ name: "a", weight: 0 }]] }],
      /^SALVO_CONNECTORS\.routes\.d\.connectors\.0/,
    ],
    ["an empty route list", [], /^SALVO_CONNECTORS\.routes: at least one route/],
  ])("are refused at boot with %s, naming the route and the field", (_case, routes, message) => {
    expect(() => routing({ connectors: sims, routes })).toThrow(message);
  });

  it("are refused with an unknown field, naming it", () => {
    expect(() => routing({ connectors: sims, route: [] })).toThrow(
      /^SALVO_CONNECTORS: Unrecognized key: "route"$/,
    );
    expect(() => routing({ connectors: [{ name: "a", provider: "nope" }] })).toThrow(
      /^SALVO_CONNECTORS\.connectors\.a\.provider: Unknown SMS provider "nope"/,
    );
  });
});

describe("route selection", () => {
  const routes: Route[] = routing({
    connectors: sims,
    routes: [
      { name: "vip", accounts: ["acc-vip"], connectors: ["c"] },
      { name: "fr-mobile", destinations: ["+3361", "+3362"], connectors: ["b"] },
      { name: "fr", destinations: ["FR"], connectors: ["a", "b"] },
      { name: "be", accounts: ["acc-be"], destinations: ["BE"], connectors: ["b"] },
      {
        name: "default",
        connectors: [
          [
            { name: "a", weight: 3 },
            { name: "b", weight: 1 },
          ],
          "c",
        ],
      },
    ],
  }).routes;

  it.each([
    ["acc-vip", "+33712345678", "vip"],
    ["acc-1", "+33612345678", "fr-mobile"],
    ["acc-1", "+33712345678", "fr"],
    // A French overseas number is its own region to libphonenumber.
    ["acc-1", "+590690123456", "default"],
    ["acc-be", "+32470123456", "be"],
    ["acc-1", "+32470123456", "default"],
    ["acc-1", "+14155550100", "default"],
  ])("takes the first route that matches: %s to %s → %s", (account, to, name) => {
    expect(routeFor(routes, account, to).name).toBe(name);
  });

  it("orders the connectors of a tier by weight, then the next tiers in order", () => {
    const route = routeFor(routes, "acc-1", "+14155550100");
    const random = seeded(13);
    const firsts = new Map<string, number>();
    const draws = 10_000;
    for (let i = 0; i < draws; i++) {
      const order = connectorOrder(route, random);
      expect(order.toSorted()).toEqual(["a", "b", "c"]);
      expect(order[2]).toBe("c");
      const first = order[0] as string;
      firsts.set(first, (firsts.get(first) ?? 0) + 1);
    }
    // Weight 3 against 1: three quarters of the messages go to a first.
    expect((firsts.get("a") ?? 0) / draws).toBeGreaterThan(0.73);
    expect((firsts.get("a") ?? 0) / draws).toBeLessThan(0.77);
    expect(connectorOrder(routeFor(routes, "acc-1", "+33712345678"))).toEqual(["a", "b"]);
  });
});
