// `pnpm bench:smpp`: Salvo and Kannel 1.4.5 sending the same recipients over SMPP
// to the same local SMSC sink (bench/smpp-sink.ts, a process of its own), timed
// until every delivery receipt has reached the application: for Salvo, the
// batch's `delivered` count (the DLR applied in PostgreSQL); for Kannel, its
// dlr-url called (bench/dlr-counter.ts, a process of its own). Prints both
// rates, their ratio and CPU-seconds per 1,000 messages of every process. See
// bench/README.md.
import { Agent } from "node:http";
import path from "node:path";
import { findKannel, type KannelPrograms } from "@salvo/providers/testing";
import { push, startKannelWithSmsc } from "./kannel";
import { type Child, cleanUpOnInterrupt, startChild, waitFor } from "./lib/children";
import { commandLine, integerOption, log, out, systemsToRun } from "./lib/cli";
import { describeMachine, machineTable } from "./lib/machine";
import { frenchMobiles } from "./lib/numbers";
import { startSalvoStack } from "./lib/salvo-stack";
import { cpuBetween, cpuTable, type Sample, Sampler } from "./lib/sampler";
import { count, ms, seconds, table } from "./lib/stats";
import { jsonBody, pollBatch, postBatch } from "./salvo";

const USAGE = `Usage: pnpm bench:smpp [-- options]

  --messages N            recipients sent by each system (default 1000000)
  --only salvo|kannel     run one system (default: both, Salvo first)
  --binds N               SMPP binds (transceivers) of each system (default 2)
  --window N              submit_sm outstanding per bind, each system (default 100)
  --concurrency N         sendsms requests in flight to Kannel, 100 recipients each (default 32)
  --database-url URL      default postgresql://postgres@127.0.0.1:5432/postgres
  --redis-url URL         default redis://127.0.0.1:6379`;

const WARM_UP = 3_200;
/** Longest a run may take, submits and receipts. */
const TIMEOUT_MS = 30 * 60_000;

interface Options {
  messages: number;
  salvo: boolean;
  kannel: boolean;
  binds: number;
  window: number;
  concurrency: number;
  databaseUrl: string;
  redisUrl: string;
}

function options(): Options {
  const { values, databaseUrl, redisUrl } = commandLine(
    {
      messages: { type: "string", default: "1000000" },
      only: { type: "string" },
      binds: { type: "string", default: "2" },
      window: { type: "string", default: "100" },
      concurrency: { type: "string", default: "32" },
    },
    USAGE,
  );
  return {
    messages: integerOption("messages", values.messages),
    ...systemsToRun(values.only, USAGE),
    binds: integerOption("binds", values.binds),
    window: integerOption("window", values.window),
    concurrency: integerOption("concurrency", values.concurrency),
    databaseUrl,
    redisUrl,
  };
}

/** A child that writes `listening <port>`, then `counts <n> <n>…` lines. */
interface CountingChild {
  child: Child;
  port: number;
  counts: number[];
  /** Called after each counts line. */
  onCounts?: () => void;
}

async function startCounting(name: string, script: string): Promise<CountingChild> {
  let port: number | undefined;
  const counting: Partial<CountingChild> & { counts: number[] } = { counts: [] };
  const child = startChild(
    name,
    process.execPath,
    ["--import", "tsx", path.join(import.meta.dirname, script)],
    {
      cwd: path.join(import.meta.dirname, ".."),
      env: { PATH: process.env.PATH },
      onLine: (line) => {
        const [word, ...numbers] = line.split(" ");
        if (word === "listening") port = Number(numbers[0]);
        if (word !== "counts") return;
        counting.counts = numbers.map(Number);
        counting.onCounts?.();
      },
    },
  );
  counting.child = child;
  counting.port = await waitFor(`${name} to listen`, () => port, 15_000);
  return counting as CountingChild;
}

/** The sink's counts: submits accepted, receipts sent, deliver_sm_resp received, binds that receive. */
const sinkCounts = (sink: CountingChild) => {
  const [submits = 0, receipts = 0, answers = 0, receivers = 0] = sink.counts;
  return { submits, receipts, answers, receivers };
};

interface Run {
  system: string;
  version: string;
  /** From the first request to the sink having accepted every submit, and to the last DLR applied. */
  submitsSeconds: number;
  dlrSeconds: number;
  sink: ReturnType<typeof sinkCounts>;
  cpu: { before: Sample; after: Sample };
  notes: string[];
  versions: Record<string, string>;
}

async function runSalvo(options: Options): Promise<Run> {
  const sink = await startCounting("smpp-sink", "smpp-sink.ts");
  const release = cleanUpOnInterrupt(() => sink.child.stop());
  const connectors = [
    {
      name: "sink",
      provider: "smpp",
      settings: {
        host: "127.0.0.1",
        port: sink.port,
        systemId: "bench",
        password: "bench",
        binds: options.binds,
        window: options.window,
      },
    },
  ];
  try {
    const stack = await startSalvoStack({
      databaseUrl: options.databaseUrl,
      redisUrl: options.redisUrl,
      log,
      appEnv: { SALVO_CONNECTORS: JSON.stringify(connectors) },
      sampled: [{ name: "smpp sink", pids: () => [sink.child.pid] }],
    });
    try {
      let next = 0;
      const takeNumbers = (n: number) => {
        const numbers = frenchMobiles(next, n);
        next += n;
        return numbers;
      };
      const delivered = (n: number) => (a: { delivered: number }) => a.delivered >= n;
      log(`Salvo: warm-up, ${count(WARM_UP)} recipients`);
      const warm = await postBatch(stack, jsonBody(takeNumbers(WARM_UP)));
      await pollBatch(stack.big.client, warm.id, { timeoutMs: 120_000, until: delivered(WARM_UP) });

      const body = jsonBody(takeNumbers(options.messages));
      const before = stack.sampler.mark();
      stack.sampler.phase("sending");
      let submitsAt = Number.NaN;
      sink.onCounts = () => {
        if (Number.isNaN(submitsAt) && sinkCounts(sink).submits >= WARM_UP + options.messages) {
          submitsAt = performance.now();
        }
      };
      const started = performance.now();
      const posted = await postBatch(stack, body, 300_000);
      log(`Salvo: POST of ${count(options.messages)} answered in ${ms(posted.ms)}`);
      let logged = performance.now();
      const done = await pollBatch(stack.big.client, posted.id, {
        timeoutMs: TIMEOUT_MS,
        everyMs: 250,
        until: delivered(options.messages),
        onPoll: (a) => {
          if (performance.now() - logged < 5_000) return;
          logged = performance.now();
          log(
            `  sent ${count(a.sent)}, delivered ${count(a.delivered)} (sink: ${sinkCounts(sink).submits - WARM_UP})`,
          );
        },
      });
      const finished = performance.now();
      const after = stack.sampler.mark();
      const notes = [
        `batch: ${count(done.sent)} sent, ${count(done.delivered)} delivered, ${count(done.failed)} failed; POST answered in ${ms(posted.ms)}, completed (every message handed off) ${seconds((Date.parse(done.completed_at ?? "") - posted.startedAt) / 1000)} after the POST`,
      ];
      return {
        system: "Salvo",
        version: "API + 1 worker",
        submitsSeconds: (submitsAt - started) / 1000,
        dlrSeconds: (finished - started) / 1000,
        sink: sinkCounts(sink),
        cpu: { before, after },
        notes,
        versions: stack.versions,
      };
    } catch (error) {
      log(`API output:\n${stack.api.tail()}\nworker output:\n${stack.worker.tail()}`);
      throw error;
    } finally {
      await stack.stop();
    }
  } finally {
    await sink.child.stop();
    release();
  }
}

async function runKannel(programs: KannelPrograms, options: Options): Promise<Run> {
  const sink = await startCounting("smpp-sink", "smpp-sink.ts");
  const counter = await startCounting("dlr-counter", "dlr-counter.ts");
  const release = cleanUpOnInterrupt(async () => {
    await sink.child.stop();
    await counter.child.stop();
  });
  let unmatched = 0;
  const warnings: string[] = [];
  const kannel = await startKannelWithSmsc(programs, {
    // msg-id-type 0x00: the sink writes decimal ids in submit_sm_resp and in its receipts.
    smsc: () => `
group = smsc
smsc = smpp
smsc-id = sink
host = 127.0.0.1
port = ${sink.port}
transceiver-mode = true
smsc-username = bench
smsc-password = bench
system-type = ""
msg-id-type = 0x00
max-pending-submits = ${options.window}
instances = ${options.binds}
`,
    online: (status) => (status.match(/SMPP:[^\n]*\(online/g) ?? []).length >= options.binds,
    onBearerboxLine: (line) => {
      if (/DLR.*not found/i.test(line)) unmatched++;
      else if (warnings.length < 5 && /WARNING|ERROR/.test(line)) warnings.push(line);
    },
    onSmsboxLine: (line) => {
      if (warnings.length < 5 && /WARNING|ERROR/.test(line)) warnings.push(line);
    },
  });
  const sampler = new Sampler([
    { name: "bearerbox", pids: () => [kannel.bearerbox.pid] },
    { name: "smsbox", pids: () => [kannel.smsbox.pid] },
    { name: "smpp sink", pids: () => [sink.child.pid] },
    { name: "dlr-url counter", pids: () => [counter.child.pid] },
    { name: "bench (HTTP client)", pids: () => [process.pid] },
  ]);
  const agent = new Agent({ keepAlive: true, maxSockets: options.concurrency });
  const dlrUrl = `http://127.0.0.1:${counter.port}/dlr?type=%d`;
  const target = {
    sendsmsUrl: kannel.sendsmsUrl,
    received: () => sinkCounts(sink).submits,
    onReceived: (listener: (() => void) | undefined) => {
      sink.onCounts = listener;
    },
  };
  const mode = (name: string, messages: number, from: number) => ({
    name,
    messages,
    perRequest: 100,
    concurrency: options.concurrency,
    from,
    query: `&dlr-mask=1&dlr-url=${encodeURIComponent(dlrUrl)}`,
    drainMs: TIMEOUT_MS,
  });
  const dlrs = () => counter.counts[1] ?? 0;
  try {
    sampler.start();
    log(`Kannel: warm-up, ${count(WARM_UP)} recipients`);
    await push(target, agent, mode("warm-up", WARM_UP, 0));
    await waitFor("the warm-up's DLRs", () => (dlrs() >= WARM_UP ? true : undefined), 120_000, 50);

    const before = sampler.mark();
    log(
      `Kannel: ${count(options.messages)} recipients, 100 per sendsms request, ${options.concurrency} in flight`,
    );
    const started = performance.now();
    let logged = performance.now();
    const progress = setInterval(() => {
      if (performance.now() - logged < 5_000) return;
      logged = performance.now();
      log(
        `  sink accepted ${count(sinkCounts(sink).submits - WARM_UP)}, dlr-url called ${count(dlrs() - WARM_UP)}`,
      );
    }, 500);
    const pushed = await push(
      target,
      agent,
      mode(`${count(options.messages)}`, options.messages, 10_000_000),
    );
    const submitsSeconds = pushed.seconds;
    await waitFor(
      "every DLR at the dlr-url",
      () => (dlrs() >= WARM_UP + options.messages ? true : undefined),
      TIMEOUT_MS,
      20,
    );
    const finished = performance.now();
    clearInterval(progress);
    const after = sampler.mark();
    const notes = [
      `sendsms errors: ${pushed.errors.length}${pushed.errors.length > 0 ? ` (first: ${pushed.errors[0]})` : ""}; DLRs Kannel could not match (bearerbox "not found"): ${count(unmatched)}; dlr-url requests ${count((counter.counts[0] ?? 0) - WARM_UP)}, of which delivered (type 1) ${count(dlrs() - WARM_UP)}`,
      ...warnings.map((line) => `Kannel said: ${line}`),
    ];
    return {
      system: "Kannel",
      version: kannel.version,
      submitsSeconds,
      dlrSeconds: (finished - started) / 1000,
      sink: sinkCounts(sink),
      cpu: { before, after },
      notes,
      versions: { Kannel: kannel.version },
    };
  } catch (error) {
    for (const child of [kannel.bearerbox, kannel.smsbox, sink.child, counter.child]) {
      log(`${child.name} output:\n${child.tail()}`);
    }
    throw error;
  } finally {
    agent.destroy();
    sampler.stop();
    await kannel.stop();
    await sink.child.stop();
    await counter.child.stop();
    release();
  }
}

/** CPU-seconds per 1,000 messages of each process between two samples. */
function cpuPerThousand(run: Run, messages: number): string[][] {
  const { before, after } = run.cpu;
  return [...after.cpu.keys()].map((group) => {
    const used = cpuBetween(before, after, group);
    return [run.system, group, used.toFixed(1), ((1000 * used) / messages).toFixed(3)];
  });
}

async function main(): Promise<void> {
  const settings = options();
  const machine = describeMachine();
  const found = settings.kannel ? findKannel() : undefined;
  if (found && "missing" in found) throw new Error(`Kannel: ${found.missing}; or run --only salvo`);
  const programs = found;
  out(
    `bench:smpp: ${count(settings.messages)} recipients per system, SMPP to a local sink, ${settings.binds} transceiver bind(s) × window ${settings.window}`,
  );
  const runs: Run[] = [];
  if (settings.salvo) runs.push(await runSalvo(settings));
  if (settings.kannel && programs) runs.push(await runKannel(programs, settings));

  const n = settings.messages;
  out();
  out(
    `${count(n)} messages each, SMPP to the same sink (${settings.binds} transceiver bind(s), window ${settings.window} per bind), until every delivery receipt reached the application:`,
  );
  out();
  out(
    table(
      [
        "system",
        "sink accepted every submit after",
        "every DLR applied after",
        "msg/s (to every DLR)",
        "sink: submits / receipts / deliver_sm_resp",
      ],
      runs.map((r) => [
        `${r.system} (${r.version})`,
        seconds(r.submitsSeconds),
        seconds(r.dlrSeconds),
        count(n / r.dlrSeconds),
        `${count(r.sink.submits - WARM_UP)} / ${count(r.sink.receipts - WARM_UP)} / ${count(r.sink.answers - WARM_UP)}`,
      ]),
    ),
  );
  const [salvo, kannel] = [runs.find((r) => r.system === "Salvo"), runs.find((r) => r.system === "Kannel")];
  if (salvo && kannel) {
    out();
    out(
      `Salvo ÷ Kannel (msg/s to every DLR): ${(kannel.dlrSeconds / salvo.dlrSeconds).toFixed(2)}; to every submit accepted: ${(kannel.submitsSeconds / salvo.submitsSeconds).toFixed(2)}`,
    );
  }
  out();
  out("CPU from the first request to the last DLR, per process:");
  out();
  out(
    table(
      ["system", "process", "CPU s", "CPU s per 1,000 messages"],
      runs.flatMap((r) => cpuPerThousand(r, n)),
    ),
  );
  for (const r of runs) {
    out();
    out(`${r.system}: how the machine's CPU was shared (${seconds(r.dlrSeconds)}):`);
    out();
    out(cpuTable(r.cpu.before, r.cpu.after));
    out();
    for (const note of r.notes) out(`${r.system}: ${note}`);
  }
  out();
  out(machineTable(machine, Object.assign({}, ...runs.map((r) => r.versions))));
}

main().catch((error: Error) => {
  process.stderr.write(`${error.stack ?? error.message}\n`);
  process.exit(1);
});
