import { redisKey, workersKey } from "./keys";
import type { RedisClient } from "./redis";

/** One connector's state as one worker saw it (see publishConnectorStates). */
export interface PublishedConnectorState {
  worker: string;
  up: boolean;
  /** The provider's own figures: binds up, window in use, TPS, errors… */
  detail: Record<string, string | number | boolean | null>;
  /** Messages this worker handed to it in the last minute. */
  sentLastMinute: number;
  /** Messages it refused for now (failed over or retried) in the last minute. */
  temporaryLastMinute: number;
}

/** A connector's state over every live worker, as /readyz and `salvo connectors` show it. */
export interface ConnectorState {
  /** up: every worker reporting it has it up; down: none; partial: some; unknown: no worker reports it. */
  state: "up" | "down" | "partial" | "unknown";
  workers: number;
  workersUp: number;
  sentLastMinute: number;
  temporaryLastMinute: number;
  /** Numeric figures summed over the workers, the others as the first worker wrote them. */
  detail: Record<string, string | number | boolean | null>;
}

// One key per worker and connector, one command per key: no two keys are ever
// used together, so the layout holds on a Redis Cluster.
function stateKey(prefix: string, connector: string, worker: string): string {
  return redisKey(prefix, "connector-state", connector, worker);
}

/** Writes a worker's connectors' states, each kept `ttlMs` (a dead worker's lapse). */
export async function publishConnectorStates(
  redis: RedisClient,
  prefix: string,
  worker: string,
  states: Record<string, Omit<PublishedConnectorState, "worker">>,
  ttlMs: number,
): Promise<void> {
  await Promise.all(
    Object.entries(states).map(([connector, state]) =>
      redis.set(stateKey(prefix, connector, worker), JSON.stringify({ worker, ...state }), "PX", ttlMs),
    ),
  );
}

/** The states live workers published for these connectors, aggregated per connector. */
export async function readConnectorStates(
  redis: RedisClient,
  prefix: string,
  connectors: string[],
): Promise<Record<string, ConnectorState>> {
  const workers = await redis.zrangebyscore(workersKey(prefix), Date.now(), "+inf");
  const states: Record<string, ConnectorState> = {};
  await Promise.all(
    connectors.map(async (connector) => {
      const published = await Promise.all(
        workers.map((worker) => redis.get(stateKey(prefix, connector, worker))),
      );
      states[connector] = aggregate(
        published.flatMap((text) => (text ? [JSON.parse(text) as PublishedConnectorState] : [])),
      );
    }),
  );
  return states;
}

function aggregate(published: PublishedConnectorState[]): ConnectorState {
  const workersUp = published.filter((p) => p.up).length;
  const detail: ConnectorState["detail"] = {};
  for (const { detail: figures } of published) {
    for (const [name, value] of Object.entries(figures)) {
      const before = detail[name];
      detail[name] =
        typeof value === "number" && (typeof before === "number" || before === undefined)
          ? (before ?? 0) + value
          : (before ?? value);
    }
  }
  return {
    state:
      published.length === 0
        ? "unknown"
        : workersUp === published.length
          ? "up"
          : workersUp === 0
            ? "down"
            : "partial",
    workers: published.length,
    workersUp,
    sentLastMinute: published.reduce((sum, p) => sum + p.sentLastMinute, 0),
    temporaryLastMinute: published.reduce((sum, p) => sum + p.temporaryLastMinute, 0),
    detail,
  };
}
