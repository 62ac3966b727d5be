import { type ConnectorState, closeRedis, createRedis, readConnectorStates } from "@salvo/queue";
import { Command } from "commander";
import { parseRoutingEnv } from "../env";

/** `salvo connectors` and `salvo routes`: the workers' configuration, with each connector's live state. */
export function connectorsCommands(): Command[] {
  const connectors = new Command("connectors")
    .description(
      "the configured connectors (SALVO_CONNECTORS), with their live state over the running workers",
    )
    .option("--json", "print JSON")
    .action(async (options: { json?: boolean }) => {
      const { env, states } = await loadStates();
      const rows = env.connectors.map((c) => ({
        name: c.name,
        provider: c.provider,
        maxMps: c.maxMps ?? null,
        ...liveState(states[c.name]),
      }));
      if (options.json) return printJson(rows);
      printTable(
        rows.map(({ detail, ...row }) => ({
          ...row,
          maxMps: row.maxMps ?? "-",
          workers: `${row.workersUp}/${row.workers}`,
          detail: formatDetail(detail),
        })),
        ["name", "provider", "maxMps", "state", "workers", "sentLastMinute", "temporaryLastMinute", "detail"],
      );
    });

  const routes = new Command("routes")
    .description("the configured routes, in the order they are tried, with their connectors' live state")
    .option("--json", "print JSON")
    .action(async (options: { json?: boolean }) => {
      const { env, states } = await loadStates();
      const rows = env.routes.map((route) => ({
        name: route.name,
        accounts: route.accounts ?? null,
        destinations: route.destinations ?? null,
        tiers: route.tiers.map((tier) =>
          tier.map((m) => ({ ...m, state: liveState(states[m.connector]).state })),
        ),
      }));
      if (options.json) return printJson(rows);
      printTable(
        rows.map((row) => ({
          name: row.name,
          accounts: row.accounts?.join(",") ?? "*",
          destinations: row.destinations?.join(",") ?? "*",
          // Tiers in failover order; a tier's connectors share its load by weight.
          connectors: row.tiers
            .map((tier) =>
              tier
                .map((m) => `${m.connector}${tier.length > 1 ? `*${m.weight}` : ""} (${m.state})`)
                .join(" + "),
            )
            .join(" > "),
        })),
        ["name", "accounts", "destinations", "connectors"],
      );
    });
  return [connectors, routes];
}

async function loadStates() {
  const env = parseRoutingEnv();
  const redis = createRedis(env.REDIS_URL, {
    name: "salvo-cli",
    // Queues the commands until connected (a one-shot command has nothing to do meanwhile).
    blocking: true,
    cluster: env.REDIS_CLUSTER,
    clusterNodes: env.REDIS_CLUSTER_NODES,
  });
  try {
    const names = env.connectors.map((c) => c.name);
    return { env, states: await readConnectorStates(redis, env.REDIS_PREFIX, names) };
  } finally {
    await closeRedis(redis);
  }
}

function liveState(state: ConnectorState | undefined): ConnectorState {
  return (
    state ?? {
      state: "unknown",
      workers: 0,
      workersUp: 0,
      sentLastMinute: 0,
      temporaryLastMinute: 0,
      detail: {},
    }
  );
}

function formatDetail(detail: ConnectorState["detail"]): string {
  const pairs = Object.entries(detail).map(([key, value]) => `${key}=${value}`);
  return pairs.length > 0 ? pairs.join(" ") : "-";
}

function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

/** Rows as a table: a header line, then one aligned line a row. */
function printTable(rows: Record<string, unknown>[], columns: string[]): void {
  const cells = [columns, ...rows.map((row) => columns.map((column) => String(row[column] ?? "-")))];
  const widths = columns.map((_, i) => Math.max(...cells.map((line) => (line[i] ?? "").length)));
  for (const line of cells) {
    process.stdout.write(
      `${line
        .map((cell, i) => cell.padEnd(widths[i] ?? 0))
        .join("  ")
        .trimEnd()}\n`,
    );
  }
}
