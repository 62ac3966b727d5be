// A CSV import of a contact list end to end, as a user drives it, on a stack of
// its own (lib/salvo-stack.ts: the API and ONE worker process): a file of
// `rows` rows (a number in national format, two fields) generated as it is
// sent, POSTed as the raw body, then polled until `completed`. Measured: the
// upload, POST → completed, rows/s, the worker's CPU-seconds and peak memory.
//
//   pnpm bench:import -- [--rows 1000000]
import { readFileSync } from "node:fs";
import { Readable } from "node:stream";
import { setTimeout as sleep } from "node:timers/promises";
import { pathToFileURL } from "node:url";
import type { ContactImportData, Salvo } from "@salvo/sdk";
import { commandLine, integerOption, log, out } from "./lib/cli";
import { describeMachine, machineTable } from "./lib/machine";
import { frenchMobiles } from "./lib/numbers";
import { startSalvoStack } from "./lib/salvo-stack";
import { cpuBetween, cpuTable } from "./lib/sampler";
import { count, megabytes, seconds, table } from "./lib/stats";

const USAGE = `pnpm bench:import -- [options]

Imports a generated CSV file of --rows rows (number + 2 fields) into a contact
list through the API and one worker, and times it.

  --rows N                default 1000000
  --database-url URL      default postgresql://postgres@127.0.0.1:5432/postgres
  --redis-url URL         default redis://127.0.0.1:6379`;

/** Rows generated at once (one chunk of the upload). */
const GENERATED_AT_ONCE = 10_000;

interface ImportOptions {
  databaseUrl: string;
  redisUrl: string;
  rows: number;
  log(line: string): void;
}

export interface ImportResults {
  rows: number;
  fileBytes: number;
  /** Seconds from the POST to its 202 (the upload), and to `completed`. */
  uploadSeconds: number;
  seconds: number;
  rowsPerSecond: number;
  workerCpuSeconds: number;
  /** The worker's resident memory just before the POST, and its peak until `completed`. */
  workerRssBefore: number;
  workerPeakRss: number;
  apiPeakRss: number;
  /** The import's counts match the file's (every row added, none invalid). */
  exact: boolean;
  /** /proc/loadavg when the import began. */
  loadAverage: string;
  /** The tables, formatted. */
  report: string;
}

/** The file: a header, then `rows` distinct French mobiles in national format with two fields. */
async function* csvFile(rows: number) {
  yield "mobile,first_name,city\n";
  for (let from = 0; from < rows; from += GENERATED_AT_ONCE) {
    const numbers = frenchMobiles(from, Math.min(GENERATED_AT_ONCE, rows - from));
    let text = "";
    numbers.forEach((number, i) => {
      text += `0${number.slice(3)},Name${from + i},City ${(from + i) % 100}\n`;
    });
    yield text;
  }
}

export async function benchContactImport(options: ImportOptions): Promise<ImportResults> {
  const stack = await startSalvoStack({ ...options, appEnv: { REQUEST_TIMEOUT_MS: "600000" } });
  try {
    const { client } = stack.big;
    const listId = (await client.contactLists.create({ name: "bench", country: "FR" })).body.data.id;
    options.log("warm-up: an import of 1,000 rows");
    const warm = await client.contactLists.imports.create(listId, Readable.from(csvFile(1_000)));
    await waitUntilDone(client, listId, warm.body.data.id);
    const bigList = (await client.contactLists.create({ name: "bench-big", country: "FR" })).body.data.id;

    const loadAverage = readFileSync("/proc/loadavg", "utf8").trim();
    options.log(`importing ${count(options.rows)} rows (load average ${loadAverage})`);
    stack.sampler.phase("upload");
    const before = stack.sampler.mark();
    const startedAt = performance.now();
    const created = await client.contactLists.imports.create(bigList, Readable.from(csvFile(options.rows)), {
      timeoutMs: 600_000,
    });
    const uploadSeconds = (performance.now() - startedAt) / 1000;
    options.log(`upload answered ${created.status} after ${seconds(uploadSeconds)}`);
    stack.sampler.phase("import");
    const done = await waitUntilDone(client, bigList, created.body.data.id, options.log);
    const elapsed = (performance.now() - startedAt) / 1000;
    const after = stack.sampler.mark();
    stack.sampler.phase("done");

    const counts = done.attributes;
    const exact =
      counts.status === "completed" &&
      counts.rows === options.rows &&
      counts.added === options.rows &&
      counts.invalid === 0 &&
      counts.duplicates === 0;
    const during = (sample: { phase: string }) => sample.phase === "upload" || sample.phase === "import";
    const results = {
      rows: options.rows,
      fileBytes: counts.size_bytes,
      uploadSeconds,
      seconds: elapsed,
      rowsPerSecond: options.rows / elapsed,
      workerCpuSeconds: cpuBetween(before, after, "worker"),
      workerRssBefore: before.rss.get("worker") ?? Number.NaN,
      workerPeakRss: stack.sampler.peak((s) => s.rss.get("worker"), during),
      apiPeakRss: stack.sampler.peak((s) => s.rss.get("api"), during),
      exact,
      loadAverage,
    };
    const report = [
      `CSV import of ${count(options.rows)} rows (${megabytes(results.fileBytes)}), raw body, one worker:\n`,
      table(
        [
          "rows",
          "upload (POST → 202)",
          "POST → completed",
          "rows/s",
          "worker CPU",
          "worker RSS before → peak",
          "API peak RSS",
          "exact counts",
          "load average before",
        ],
        [
          [
            count(results.rows),
            seconds(uploadSeconds),
            seconds(elapsed),
            count(Math.round(results.rowsPerSecond)),
            `${results.workerCpuSeconds.toFixed(1)} s`,
            `${megabytes(results.workerRssBefore)} → ${megabytes(results.workerPeakRss)}`,
            megabytes(results.apiPeakRss),
            exact ? "yes" : `**NO** (${JSON.stringify(counts)})`,
            loadAverage,
          ],
        ],
      ),
      "\nCPU from the POST to `completed` (seconds, cores, share of the machine):\n",
      cpuTable(before, after),
    ].join("\n");
    return { ...results, report };
  } finally {
    await stack.stop();
  }
}

async function waitUntilDone(
  client: Salvo,
  listId: string,
  importId: string,
  progress?: (line: string) => void,
): Promise<ContactImportData> {
  let lastLog = 0;
  for (;;) {
    const { data } = (await client.contactLists.imports.get(listId, importId)).body;
    const { status, rows } = data.attributes;
    if (status === "completed" || status === "failed") return data;
    if (progress && performance.now() - lastLog > 5_000) {
      lastLog = performance.now();
      progress(`${status}: ${count(rows)} rows read`);
    }
    await sleep(100);
  }
}

async function main(): Promise<void> {
  const { values, databaseUrl, redisUrl } = commandLine(
    { rows: { type: "string", default: "1000000" } },
    USAGE,
  );
  const machine = describeMachine();
  const results = await benchContactImport({
    databaseUrl,
    redisUrl,
    rows: integerOption("rows", values.rows),
    log,
  });
  out();
  out(results.report);
  out();
  out("## Machine\n");
  out(`${machineTable(machine, {})}\n`);
  if (!results.exact) process.exitCode = 1;
}

// Run on its own (`pnpm bench:import`); bench/run.ts imports benchContactImport instead.
if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  main().catch((error: unknown) => {
    process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exit(1);
  });
}
