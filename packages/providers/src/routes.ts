import { countryOfNumber, isCountryCode } from "@salvo/core";
import { z } from "zod";

/**
 * A route: which messages it takes (by account, by destination) and the
 * connectors it offers them to. Routes are tried in order and the first that
 * matches wins; the last is the default (neither accounts nor destinations).
 */
export interface Route {
  name: string;
  /** Account ids; none: every account. */
  accounts?: string[];
  /** E.164 prefixes (`+33`, `+3361`) or countries (`FR`); none: every destination. */
  destinations?: string[];
  /**
   * Tiers of connectors, in failover order: a message goes to a connector of the
   * first tier (drawn by weight), then, if that one is down or refuses it for
   * now, to the next connector of its tier, then to the next tier.
   */
  tiers: { connector: string; weight: number }[][];
}

const NAME = /^[A-Za-z0-9][\w.-]{0,63}$/;
const NAME_RULE = "1 to 64 letters, digits, _ - ., starting with a letter or digit";

const memberSchema = z.union([
  z.string().regex(NAME, NAME_RULE),
  z.strictObject({ name: z.string().regex(NAME, NAME_RULE), weight: z.number().int().min(1).max(1_000) }),
]);

/** A route as written in the configuration. */
export const routeSchema = z.strictObject({
  name: z.string().regex(NAME, NAME_RULE),
  accounts: z.array(z.string().min(1)).min(1, "at least one account, or leave it out").optional(),
  destinations: z
    .array(
      z
        .string()
        .regex(/^(\+[1-9]\d{0,14}|[A-Z]{2})$/, "an E.164 prefix (+33, +3361) or a country (FR)")
        .refine((d) => d.startsWith("+") || isCountryCode(d), "not a country libphonenumber knows"),
    )
    .min(1, "at least one destination, or leave it out")
    .optional(),
  /** Each entry is a tier: one connector's name, or a list of names / `{name, weight}` sharing its load. */
  connectors: z
    .array(z.union([z.string().regex(NAME, NAME_RULE), z.array(memberSchema).min(1)]))
    .min(1, "at least one connector"),
});

/** The route of a configuration without routes: every connector in order, the first primary. */
export function defaultRoute(connectors: string[]): Route {
  return { name: "default", tiers: connectors.map((connector) => [{ connector, weight: 1 }]) };
}

/**
 * Checks routes against the connectors' names and turns them into Routes; each
 * problem is reported as `report(path, message)`, the path naming the route.
 */
export function checkRoutes(
  written: z.output<typeof routeSchema>[],
  connectors: Set<string>,
  report: (path: string[], message: string) => void,
): Route[] {
  const routes: Route[] = [];
  const names = new Set<string>();
  for (const [index, entry] of written.entries()) {
    const at = [entry.name];
    if (names.has(entry.name)) report(at, `route ${index + 1}: the name is already taken`);
    names.add(entry.name);
    const isDefault = entry.accounts === undefined && entry.destinations === undefined;
    if (isDefault && index !== written.length - 1) {
      report(
        at,
        "the default route (neither accounts nor destinations) must be the last: routes after it never match",
      );
    }
    const seen = new Set<string>();
    const tiers = entry.connectors.map((tier, t) =>
      (typeof tier === "string" ? [tier] : tier).map((member) => {
        const [connector, weight] = typeof member === "string" ? [member, 1] : [member.name, member.weight];
        if (!connectors.has(connector)) {
          report([...at, "connectors", String(t)], `no connector is named ${connector}`);
        } else if (seen.has(connector)) {
          report([...at, "connectors", String(t)], `${connector} is already in this route`);
        }
        seen.add(connector);
        return { connector, weight };
      }),
    );
    const route: Route = { name: entry.name, tiers };
    if (entry.accounts) route.accounts = entry.accounts;
    if (entry.destinations) route.destinations = entry.destinations;
    routes.push(route);
  }
  const last = written.at(-1);
  if (last && (last.accounts !== undefined || last.destinations !== undefined)) {
    report([], "no default route: the last route must have neither accounts nor destinations");
  }
  return routes;
}

/** The first route that takes a message from `accountId` to `to` (E.164). */
export function routeFor(routes: Route[], accountId: string, to: string): Route {
  let country: string | null | undefined;
  const matches = (destination: string) => {
    if (destination.startsWith("+")) return to.startsWith(destination);
    country ??= countryOfNumber(to) ?? null;
    return country === destination;
  };
  const route = routes.find(
    (r) =>
      (r.accounts === undefined || r.accounts.includes(accountId)) &&
      (r.destinations === undefined || r.destinations.some(matches)),
  );
  // checkRoutes makes the last route the default, which takes everything.
  if (!route) throw new Error("no route matches: the configuration has no default route");
  return route;
}

/**
 * The connectors a message of this route is offered to, in order: each tier's
 * connectors in a random order drawn by weight (a connector of weight 3 comes
 * first three times as often as one of weight 1), then the next tier's.
 */
export function connectorOrder(route: Route, random: () => number = Math.random): string[] {
  const order: string[] = [];
  for (const tier of route.tiers) {
    const left = [...tier];
    while (left.length > 1) {
      const draw = random() * left.reduce((sum, m) => sum + m.weight, 0);
      let index = 0;
      for (let below = 0; index < left.length - 1; index++) {
        below += left[index]?.weight ?? 0;
        if (draw < below) break;
      }
      const [picked] = left.splice(index, 1);
      if (picked) order.push(picked.connector);
    }
    if (left[0]) order.push(left[0].connector);
  }
  return order;
}
