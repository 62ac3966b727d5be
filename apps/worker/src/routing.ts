import { type Connector, connectorOrder, type Route, routeFor } from "@salvo/providers";
import type { PublishedConnectorState } from "@salvo/queue";
import type { Logger } from "@salvo/runtime";

/** How this worker chooses a connector for each message, and what it has seen of them. */
export interface Router {
  connector(name: string): Connector;
  /** The connectors a message is offered to, in order (see connectorOrder), with its route's name. */
  orderFor(accountId: string, to: string): { route: string; order: string[] };
  /** The connector can take messages now (its state says so); logs when that changes. */
  usable(name: string): boolean;
  /** Logs, once until one of its connectors is used again, that a route has none usable. */
  stuck(route: string): void;
  /** Counts what a connector took and what it refused for now, for the last minute's figures. */
  count(name: string, sent: number, temporary: number): void;
  /** Each connector's state and last minute, as the worker publishes it. */
  states(): Record<string, Omit<PublishedConnectorState, "worker">>;
}

const MINUTE_MS = 60_000;

export function createRouter(connectors: Connector[], routes: Route[], logger: Logger): Router {
  const byName = new Map(connectors.map((c) => [c.name, c]));
  const wasUp = new Map<string, boolean>();
  const stuckRoutes = new Set<string>();
  const routeOf = new Map<string, string[]>();
  for (const route of routes)
    routeOf.set(
      route.name,
      route.tiers.flat().map((m) => m.connector),
    );
  const fixedOrders = new Map<Route, string[]>();
  for (const route of routes)
    if (route.tiers.every((tier) => tier.length === 1)) fixedOrders.set(route, connectorOrder(route));
  const byAccount = routes.some((route) => route.destinations !== undefined)
    ? undefined
    : new Map<string, { route: string; order: string[] }>();
  // One bucket a second: [second, sent, temporary].
  const recent = new Map<string, [number, number, number][]>();

  const usable = (name: string) => {
    const state = byName.get(name)?.state?.();
    const up = state?.up !== false;
    if (wasUp.get(name) !== up) {
      if (up && wasUp.has(name)) logger.info({ connector: name }, "connector is up again");
      else if (!up)
        logger.warn({ connector: name, detail: state?.detail }, "connector is down; its routes fail over");
      wasUp.set(name, up);
    }
    if (up) {
      for (const route of stuckRoutes) if (routeOf.get(route)?.includes(name)) stuckRoutes.delete(route);
    }
    return up;
  };

  return {
    connector(name) {
      const connector = byName.get(name);
      if (!connector) throw new Error(`no connector is named ${name}`);
      return connector;
    },
    orderFor(accountId, to) {
      // Without routes by destination, an account's messages all take one route:
      // with a fixed order, its answer is kept (a chunk asks once per message).
      const known = byAccount?.get(accountId);
      if (known) return known;
      const route = routeFor(routes, accountId, to);
      // A route without a weighted tier has one order: drawn once, shared (never changed).
      const fixed = fixedOrders.get(route);
      const answer = { route: route.name, order: fixed ?? connectorOrder(route) };
      if (fixed && byAccount) {
        if (byAccount.size >= 10_000) byAccount.clear();
        byAccount.set(accountId, answer);
      }
      return answer;
    },
    usable,
    stuck(route) {
      if (stuckRoutes.has(route)) return;
      stuckRoutes.add(route);
      logger.warn(
        { route, connectors: routeOf.get(route) },
        "no connector of this route is up or taking messages; its messages wait",
      );
    },
    count(name, sent, temporary) {
      const second = Math.floor(Date.now() / 1_000);
      const buckets = recent.get(name) ?? [];
      const last = buckets.at(-1);
      if (last && last[0] === second) {
        last[1] += sent;
        last[2] += temporary;
      } else buckets.push([second, sent, temporary]);
      while (buckets[0] && buckets[0][0] <= second - MINUTE_MS / 1_000) buckets.shift();
      recent.set(name, buckets);
    },
    states() {
      const since = Math.floor((Date.now() - MINUTE_MS) / 1_000);
      const states: ReturnType<Router["states"]> = {};
      for (const connector of connectors) {
        const state = connector.state?.() ?? { up: true };
        const buckets = (recent.get(connector.name) ?? []).filter(([second]) => second > since);
        states[connector.name] = {
          up: state.up,
          detail: state.detail ?? {},
          sentLastMinute: buckets.reduce((sum, [, sent]) => sum + sent, 0),
          temporaryLastMinute: buckets.reduce((sum, [, , temporary]) => sum + temporary, 0),
        };
      }
      return states;
    },
  };
}
