import { readFileSync } from "node:fs";
import { z } from "zod";
import type { HandoffResult, ProviderContext, SmsProvider } from "./provider";
import { findProvider } from "./registry";
import { checkRoutes, defaultRoute, type Route, routeSchema } from "./routes";

/** One connector as configured: a provider, its settings, and its own rate limit. */
export interface ConnectorConfig {
  /** Unique in the configuration; names the rate limit and the API's callback path. */
  name: string;
  provider: string;
  /** Checked against the provider's settingsSchema (defaults applied). */
  settings: unknown;
  /** Messages per second through this connector, shared by every worker; none: unlimited. */
  maxMps?: number;
}

/**
 * A connector, opened: its provider, sending under the connector's name (the name
 * that keys its rate limit). `received` is present only when the provider has it.
 */
export interface Connector extends SmsProvider {
  readonly provider: string;
  readonly maxMps?: number;
  /** Its provider's reports name the provider's id: record it for each accepted message. */
  readonly reportsByProviderId?: boolean;
}

const connectorSchema = z.strictObject({
  name: z
    .string()
    .regex(/^[A-Za-z0-9][\w.-]{0,63}$/, "1 to 64 letters, digits, _ - ., starting with a letter or digit"),
  provider: z.string().min(1),
  settings: z.record(z.string(), z.unknown()).default({}),
  maxMps: z.number().int().min(1).optional(),
});

const connectorListSchema = z.array(connectorSchema).min(1, "at least one connector");

/** The configuration with routes: connectors, and the routes that choose among them. */
const routedSchema = z.strictObject({
  connectors: connectorListSchema,
  routes: z.array(routeSchema).min(1, "at least one route (the default), or leave routes out").optional(),
});

/** The settings that configure connectors, for an app's env schema (worker and API alike). */
export const connectorEnv = {
  /**
   * A JSON array of connectors (routed in order: the first primary, the others its
   * failover), or an object `{connectors: [...], routes: [...]}` (docs/providers.md).
   */
  SALVO_CONNECTORS: z.string().min(1).optional(),
  /** …or a JSON file holding either. */
  SALVO_CONNECTORS_FILE: z.string().min(1).optional(),
  // Without either, these build the one connector Salvo had before connectors.
  SMS_PROVIDER: z.string().min(1).default("simulator"),
  /** Provider-wide messages per second, shared by every worker; unset = unlimited. */
  PROVIDER_MAX_MPS: z.coerce.number().int().min(1).optional(),
  SIMULATOR_DLR_DELAY_MS: z.coerce.number().int().min(0).max(86_400_000).default(100),
  /** Artificial latency of each simulator hand-off call, to mimic a slower provider. */
  SIMULATOR_HANDOFF_DELAY_MS: z.coerce.number().int().min(0).max(60_000).default(0),
  /** A file where the simulator appends one JSON line per hand-off (for tests and audits). */
  SIMULATOR_LEDGER: z.string().min(1).optional(),
};

type ConnectorEnv = z.output<z.ZodObject<typeof connectorEnv>>;

/** The connectors an env configures and the routes between them. */
export interface Routing {
  connectors: ConnectorConfig[];
  /** In order, the last the default (see routeFor). */
  routes: Route[];
}

/**
 * The connectors an env configures, each checked against its provider's
 * settingsSchema; for use in the env schema's transform, so that a bad one is
 * reported with the other bad settings, naming the connector and the field.
 */
export function connectorsOf(env: ConnectorEnv, issues: z.core.$RefinementCtx): ConnectorConfig[] {
  return routingOf(env, issues).connectors;
}

/** connectorsOf, with the routes (checked against the connectors' names, each problem naming the route). */
export function routingOf(env: ConnectorEnv, issues: z.core.$RefinementCtx): Routing {
  const connectors = configuredConnectors(env, issues);
  const names = connectors.configs.map((c) => c.name);
  if (connectors.routes === undefined)
    return { connectors: connectors.configs, routes: [defaultRoute(names)] };
  const routes = checkRoutes(connectors.routes, new Set(names), (path, message) =>
    issues.addIssue({ code: "custom", path: [connectors.variable, "routes", ...path], message }),
  );
  return { connectors: connectors.configs, routes };
}

function configuredConnectors(
  env: ConnectorEnv,
  issues: z.core.$RefinementCtx,
): { configs: ConnectorConfig[]; variable: string; routes?: z.output<typeof routeSchema>[] } {
  const none = { configs: [], variable: "SALVO_CONNECTORS" };
  if (env.SALVO_CONNECTORS !== undefined && env.SALVO_CONNECTORS_FILE !== undefined) {
    issues.addIssue({
      code: "custom",
      path: ["SALVO_CONNECTORS_FILE"],
      message: "set SALVO_CONNECTORS or SALVO_CONNECTORS_FILE, not both",
    });
    return none;
  }
  const [variable, text] =
    env.SALVO_CONNECTORS !== undefined
      ? ["SALVO_CONNECTORS", env.SALVO_CONNECTORS]
      : env.SALVO_CONNECTORS_FILE !== undefined
        ? ["SALVO_CONNECTORS_FILE", readConfigFile(env.SALVO_CONNECTORS_FILE, issues)]
        : [undefined, undefined];
  if (variable === undefined) return { configs: [legacyConnector(env, issues)], variable: "SMS_PROVIDER" };
  if (text === undefined) return none;

  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    issues.addIssue({ code: "custom", path: [variable], message: `not JSON: ${(error as Error).message}` });
    return none;
  }
  // Today's array, or the object with routes.
  const parsed = Array.isArray(json)
    ? connectorListSchema.transform((connectors) => ({ connectors, routes: undefined })).safeParse(json)
    : routedSchema.safeParse(json);
  if (!parsed.success) {
    for (const issue of parsed.error.issues) {
      const [head, ...tail] = issue.path;
      const path = Array.isArray(json)
        ? describePath(json, issue.path)
        : head === "connectors" || head === "routes"
          ? [head, ...describePath((json as Record<string, unknown>)[head], tail)]
          : issue.path.map(String);
      issues.addIssue({ code: "custom", path: [variable, ...path], message: issue.message });
    }
    return { configs: [], variable };
  }
  const seen = new Set<string>();
  const configs: ConnectorConfig[] = [];
  const at0 = Array.isArray(json) ? [variable] : [variable, "connectors"];
  for (const [index, entry] of parsed.data.connectors.entries()) {
    const at = [...at0, entry.name];
    if (seen.has(entry.name)) {
      issues.addIssue({
        code: "custom",
        path: at,
        message: `connector ${index + 1}: the name is already taken`,
      });
      continue;
    }
    seen.add(entry.name);
    const config = checkedConfig(entry, at, issues);
    if (config) configs.push(config);
  }
  return { configs, variable, ...(parsed.data.routes ? { routes: parsed.data.routes } : {}) };
}

/** Today's env (`SMS_PROVIDER`, `SIMULATOR_*`, `PROVIDER_MAX_MPS`), as one connector named after its provider. */
function legacyConnector(env: ConnectorEnv, issues: z.core.$RefinementCtx): ConnectorConfig {
  const settings =
    env.SMS_PROVIDER === "simulator"
      ? {
          dlrDelayMs: env.SIMULATOR_DLR_DELAY_MS,
          handoffDelayMs: env.SIMULATOR_HANDOFF_DELAY_MS,
          ...(env.SIMULATOR_LEDGER !== undefined ? { ledgerPath: env.SIMULATOR_LEDGER } : {}),
        }
      : {};
  const entry = {
    name: env.SMS_PROVIDER,
    provider: env.SMS_PROVIDER,
    settings,
    maxMps: env.PROVIDER_MAX_MPS,
  };
  return checkedConfig(entry, ["SMS_PROVIDER"], issues) ?? entry;
}

function checkedConfig(
  entry: z.output<typeof connectorSchema>,
  at: string[],
  issues: z.core.$RefinementCtx,
): ConnectorConfig | undefined {
  let definition: ReturnType<typeof findProvider>;
  try {
    definition = findProvider(entry.provider);
  } catch (error) {
    issues.addIssue({ code: "custom", path: [...at, "provider"], message: (error as Error).message });
    return undefined;
  }
  const settings = definition.settingsSchema.safeParse(entry.settings);
  if (!settings.success) {
    for (const issue of settings.error.issues) {
      issues.addIssue({
        code: "custom",
        path: [...at, "settings", ...issue.path.map(String)],
        message: issue.message,
      });
    }
    return undefined;
  }
  const config: ConnectorConfig = { name: entry.name, provider: entry.provider, settings: settings.data };
  if (entry.maxMps !== undefined) config.maxMps = entry.maxMps;
  return config;
}

function readConfigFile(path: string, issues: z.core.$RefinementCtx): string | undefined {
  try {
    return readFileSync(path, "utf8");
  } catch (error) {
    issues.addIssue({
      code: "custom",
      path: ["SALVO_CONNECTORS_FILE"],
      message: `cannot read ${path}: ${(error as Error).message}`,
    });
    return undefined;
  }
}

/** An issue's path with each connector's (or route's) index replaced by its name, when it has one. */
function describePath(json: unknown, path: PropertyKey[]): string[] {
  const [index, ...rest] = path;
  const entry = Array.isArray(json) && typeof index === "number" ? (json[index] as unknown) : undefined;
  const name =
    typeof entry === "object" && entry !== null && "name" in entry && typeof entry.name === "string"
      ? entry.name
      : index === undefined
        ? undefined
        : `[${String(index)}]`;
  return [...(name === undefined ? [] : [name]), ...rest.map(String)];
}

/**
 * Opens every connector of `connectorsOf` (its provider's `create`, with the context `contextOf`
 * gives for its name), in order; if one fails, those already open are closed.
 */
export async function openConnectors(
  configs: ConnectorConfig[],
  contextOf: (connector: string) => ProviderContext,
): Promise<Connector[]> {
  const open: Connector[] = [];
  try {
    for (const config of configs) {
      const definition = findProvider(config.provider);
      // Settings were parsed by connectorsOf, at boot.
      const provider = await definition.create(config.settings, contextOf(config.name));
      open.push(asConnector(config, provider, definition.reportsByProviderId === true));
    }
  } catch (error) {
    await Promise.allSettled(open.map((connector) => connector.close()));
    throw error;
  }
  return open;
}

function asConnector(
  config: ConnectorConfig,
  provider: SmsProvider,
  reportsByProviderId: boolean,
): Connector {
  const connector: { -readonly [K in keyof Connector]: Connector[K] } = {
    name: config.name,
    provider: config.provider,
    send: (messages, options) => provider.send(messages, options),
    close: () => provider.close(),
  };
  if (config.maxMps !== undefined) connector.maxMps = config.maxMps;
  if (reportsByProviderId) connector.reportsByProviderId = true;
  if (provider.validityMs !== undefined) connector.validityMs = provider.validityMs;
  const state = provider.state?.bind(provider);
  if (state) connector.state = () => state();
  const received = provider.received?.bind(provider);
  if (received) connector.received = (ids): Promise<Map<string, HandoffResult>> => received(ids);
  return connector;
}
