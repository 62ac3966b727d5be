// A worker process in miniature, for the concurrent-ledger test: run as a script, it hands
// `count` messages to a simulator that shares its ledger with other such processes, then
// prints what it did. The test imports `runLedgerWriter`, which starts it.
import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { createProvider } from "../src/index";

interface WriterOptions {
  ledgerPath: string;
  /** Message ids are `<prefix>-<n>`; bodies start with `<prefix> <n> `. */
  prefix: string;
  count: number;
  groupSize: number;
  /** Epoch ms at which to start sending, so that several writers overlap. */
  startAt: number;
}

interface WriterSummary {
  sent: number;
  reported: number;
}

const thisFile = fileURLToPath(import.meta.url);
// The package's own tsx, whatever the working directory: the child runs TypeScript source.
const tsxLoader = import.meta.resolve("tsx");

/** Runs a writer in its own node process; rejects when it exits non-zero. */
export function runLedgerWriter(options: WriterOptions): Promise<WriterSummary> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["--import", tsxLoader, thisFile, JSON.stringify(options)], {
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk) => {
      stdout += chunk;
    });
    child.stderr.on("data", (chunk) => {
      stderr += chunk;
    });
    child.on("error", reject);
    child.on("close", (code) => {
      if (code === 0) resolve(JSON.parse(stdout) as WriterSummary);
      else reject(new Error(`ledger writer exited with ${code}: ${stderr}`));
    });
  });
}

async function write({
  ledgerPath,
  prefix,
  count,
  groupSize,
  startAt,
}: WriterOptions): Promise<WriterSummary> {
  let reported = 0;
  const provider = await createProvider(
    { name: "simulator", ledgerPath },
    {
      async reportDeliveries(reports) {
        reported += reports.length;
      },
      async reportInbound() {},
    },
  );
  await new Promise((resolve) => setTimeout(resolve, Math.max(0, startAt - Date.now())));
  for (let first = 0; first < count; first += groupSize) {
    const ns = Array.from({ length: Math.min(groupSize, count - first) }, (_, k) => first + k);
    await provider.send(
      ns.map((n) => ({
        id: `${prefix}-${n}`,
        to: `+336${String(n).padStart(8, "0")}`,
        from: "Salvo",
        // Long, uneven bodies: an append of 50 is about 10 kB, past the 4 kB PIPE_BUF
        // below which even pipe writes would be atomic.
        body: `${prefix} ${n} ${"x".repeat(n % 300)} ünïcödé`,
      })),
    );
  }
  await provider.close();
  return { sent: count, reported };
}

if (process.argv[1] === thisFile) {
  const summary = await write(JSON.parse(process.argv[2]!) as WriterOptions);
  process.stdout.write(JSON.stringify(summary));
}
