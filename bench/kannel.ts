// Kannel side by side: bearerbox + smsbox + fakesmsc (Kannel's test SMSC, which
// receives what bearerbox sends to it) on 127.0.0.1, fed through smsbox's
// `sendsms` HTTP interface, 100 recipients per request and then 1 per request,
// with bounded concurrency. Throughput counts what fakesmsc received.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { Agent, request } from "node:http";
import { tmpdir } from "node:os";
import path from "node:path";
import { type KannelPrograms, kannelBoxesConfig } from "@salvo/providers/testing";
import { type Child, cleanUpOnInterrupt, freePort, startChild, waitFor } from "./lib/children";
import { frenchMobiles } from "./lib/numbers";
import { cpuTable, Sampler } from "./lib/sampler";
import { count, seconds, table } from "./lib/stats";

const BODY = "Salvo benchmark: your order has shipped and will arrive tomorrow.";

interface KannelOptions {
  /** Messages pushed with `perRequest` recipients per request, then with one per request. */
  batched: number;
  single: number;
  perRequest: number;
  /** Requests in flight at once, per mode. */
  batchedConcurrency: number;
  singleConcurrency: number;
  log(line: string): void;
}

export interface KannelMode {
  name: string;
  messages: number;
  requests: number;
  concurrency: number;
  /** Connections opened during the timed run (the warm-up opens them beforehand). */
  connections: number;
  received: number;
  seconds: number;
  perSecond: number;
  errors: string[];
}

export interface KannelResults {
  version: string;
  modes: { batched: KannelMode; single: KannelMode };
  report: string;
}

export async function benchKannel(programs: KannelPrograms, options: KannelOptions): Promise<KannelResults> {
  const kannel = await startKannel(programs, options.log);
  const sockets = Math.max(options.batchedConcurrency, options.singleConcurrency);
  const agent = new Agent({ keepAlive: true, maxSockets: sockets });
  const sampler = new Sampler([
    { name: "bearerbox", pids: () => [kannel.bearerbox.pid] },
    { name: "smsbox", pids: () => [kannel.smsbox.pid] },
    { name: "fakesmsc", pids: () => [kannel.fakesmsc.pid] },
    { name: "bench (HTTP client)", pids: () => [process.pid] },
  ]);
  try {
    sampler.start();
    // Connections are opened and kept alive during the warm-up: a burst of connects
    // to smsbox can lose SYNs (retried after 1 s), which must not be timed.
    await push(kannel, agent, {
      name: "warm-up",
      messages: 2_000,
      perRequest: 1,
      concurrency: sockets,
      from: 0,
    });

    const cpu: string[] = [];
    const run = async (mode: Parameters<typeof push>[2]) => {
      options.log(
        `Kannel: ${count(mode.messages)} messages, ${mode.perRequest} per request, ${mode.concurrency} requests in flight`,
      );
      const before = sampler.mark();
      const result = await push(kannel, agent, mode);
      cpu.push(`CPU while Kannel sent ${mode.name}:`, "", cpuTable(before, sampler.mark()), "");
      options.log(`  fakesmsc received ${count(result.received)} in ${seconds(result.seconds)}`);
      return result;
    };
    const batched = await run({
      name: `${options.perRequest} recipients per request`,
      messages: options.batched,
      perRequest: options.perRequest,
      concurrency: options.batchedConcurrency,
      from: 10_000_000,
    });
    const single = await run({
      name: "1 recipient per request",
      messages: options.single,
      perRequest: 1,
      concurrency: options.singleConcurrency,
      from: 20_000_000,
    });

    const report = [
      `Kannel ${kannel.version}: bearerbox + smsbox + fakesmsc on 127.0.0.1, no DLR, no store, logs at warning level (fakesmsc at its default, one debug line per message received, which is what is counted):`,
      "",
      table(
        [
          "mode",
          "messages",
          "requests",
          "in flight",
          "new connections",
          "received by fakesmsc",
          "seconds",
          "messages/s",
          "errors",
        ],
        [batched, single].map((m) => [
          m.name,
          count(m.messages),
          count(m.requests),
          String(m.concurrency),
          String(m.connections),
          count(m.received),
          seconds(m.seconds),
          count(m.perSecond),
          String(m.errors.length),
        ]),
      ),
      "",
      ...cpu,
    ];
    for (const m of [batched, single]) {
      if (m.errors.length > 0) report.push(`${m.name}: errors (first 3): ${m.errors.slice(0, 3).join("; ")}`);
    }
    return { version: kannel.version, modes: { batched, single }, report: report.join("\n").trimEnd() };
  } catch (error) {
    for (const child of [kannel.bearerbox, kannel.smsbox, kannel.fakesmsc]) {
      options.log(`${child.name} output:\n${child.tail()}`);
    }
    throw error;
  } finally {
    agent.destroy();
    sampler.stop();
    await kannel.stop();
  }
}

/** Where Kannel's messages go and how many have arrived: what `push` needs. */
interface KannelTarget {
  sendsmsUrl: string;
  /** How many messages the SMSC has received so far, and a hook called when that grows. */
  received(): number;
  onReceived(listener: (() => void) | undefined): void;
}

interface RunningKannel extends KannelTarget {
  version: string;
  bearerbox: Child;
  smsbox: Child;
  fakesmsc: Child;
  stop(): Promise<void>;
}

/** Kannel with an SMSC connection of the caller's (`group = smsc`, connected to a peer of its own). */
interface KannelWithSmsc {
  version: string;
  sendsmsUrl: string;
  bearerbox: Child;
  smsbox: Child;
  stop(): Promise<void>;
}

async function startKannel(programs: KannelPrograms, log: (line: string) => void): Promise<RunningKannel> {
  let received = 0;
  let listener: (() => void) | undefined;
  let fakesmsc: Child | undefined;
  const kannel = await startKannelWithSmsc(programs, {
    smsc: (smscPort) => `
group = smsc
smsc = fake
smsc-id = fake
port = ${smscPort}
our-host = 127.0.0.1
connect-allow-ip = "127.0.0.1"
`,
    // As in Kannel's test scripts, fakesmsc plays the SMSC: it connects to bearerbox's
    // fake SMSC port and prints each message it is sent. `-m 0`: it originates none.
    startSmsc: (smscPort, env) => {
      fakesmsc = startChild(
        "fakesmsc",
        programs.fakesmsc,
        ["-H", "127.0.0.1", "-r", String(smscPort), "-i", "0", "-m", "0", "0 0 text unused"],
        {
          env,
          onLine: (line) => {
            if (line.includes("Got message ")) {
              received++;
              listener?.();
            }
          },
        },
      );
      return fakesmsc;
    },
    online: (status) => /FAKE:\d+ \(online/.test(status),
  });
  log(
    `Kannel ${kannel.version} running: bearerbox ${kannel.bearerbox.pid}, smsbox ${kannel.smsbox.pid}, fakesmsc ${fakesmsc?.pid}`,
  );
  return {
    ...kannel,
    fakesmsc: fakesmsc as Child,
    received: () => received,
    onReceived: (next) => {
      listener = next;
    },
  };
}

/**
 * Starts bearerbox with the SMSC connection `smsc` writes (given a free port for
 * it), then the SMSC peer `startSmsc` starts, if any, waits until bearerbox's
 * status.txt says it is `online`, then starts smsbox with a `sendsms` user
 * (bench/bench).
 */
export async function startKannelWithSmsc(
  programs: KannelPrograms,
  options: {
    smsc: (smscPort: number) => string;
    startSmsc?: (smscPort: number, env: Record<string, string | undefined>) => Child;
    online: (status: string) => boolean;
    /** Lines for the `group = smsbox` (e.g. its HTTP client settings). */
    smsbox?: string;
    onBearerboxLine?: (line: string) => void;
    onSmsboxLine?: (line: string) => void;
  },
): Promise<KannelWithSmsc> {
  const dir = mkdtempSync(path.join(tmpdir(), "salvo-bench-kannel-"));
  const [adminPort, smsboxPort, smscPort, sendsmsPort] = [
    await freePort(),
    await freePort(),
    await freePort(),
    await freePort(),
  ];
  const password = "bench";
  // Everything on loopback; no DLR storage beyond memory, no message store.
  const config = `${kannelBoxesConfig({
    ports: { admin: adminPort, smsbox: smsboxPort, sendsms: sendsmsPort },
    password,
    smsc: options.smsc(smscPort),
    smsbox: options.smsbox,
  })}
group = sendsms-user
username = bench
password = ${password}
`;
  const configPath = path.join(dir, "kannel.conf");
  writeFileSync(configPath, config);
  const env = { PATH: process.env.PATH };
  const children: Child[] = [];
  let stopping: Promise<void> | undefined;
  const stop = () => {
    stopping ??= (async () => {
      for (const child of children.reverse()) await child.stop("SIGTERM", 10_000);
      rmSync(dir, { recursive: true, force: true });
      release();
    })();
    return stopping;
  };
  const release = cleanUpOnInterrupt(stop);

  try {
    const bearerbox = startChild("bearerbox", programs.bearerbox, ["-v", "2", configPath], {
      env,
      onLine: options.onBearerboxLine,
    });
    children.push(bearerbox);
    const status = () =>
      fetch(`http://127.0.0.1:${adminPort}/status.txt?password=${password}`)
        .then((r) => r.text())
        .catch(() => "");
    const version = await waitFor(
      "bearerbox's admin interface",
      async () => (await status()).match(/bearerbox version `([^']+)'/)?.[1],
      15_000,
      100,
    );

    if (options.startSmsc) children.push(options.startSmsc(smscPort, env));
    await waitFor(
      "the SMSC connection to be online",
      async () => (options.online(await status()) ? true : undefined),
      15_000,
      100,
    );

    const smsbox = startChild("smsbox", programs.smsbox, ["-v", "2", configPath], {
      env,
      onLine: options.onSmsboxLine,
    });
    children.push(smsbox);
    await waitFor(
      "smsbox to connect",
      async () => (/smsbox:.*on-line/.test(await status()) ? true : undefined),
      15_000,
      100,
    );
    return {
      version,
      sendsmsUrl: `http://127.0.0.1:${sendsmsPort}/cgi-bin/sendsms`,
      bearerbox,
      smsbox,
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}

/**
 * Sends `messages` through sendsms, `perRequest` recipients per request and
 * `concurrency` requests in flight, and waits until the SMSC has received them all.
 * The time runs from the first request to the last message received.
 */
export async function push(
  kannel: KannelTarget,
  agent: Agent,
  mode: {
    name: string;
    messages: number;
    perRequest: number;
    concurrency: number;
    from: number;
    /** More sendsms parameters, already encoded: `&dlr-mask=1…`. */
    query?: string;
    /** How long to wait, after the last request, for the SMSC to receive them all (60 s). */
    drainMs?: number;
  },
): Promise<KannelMode> {
  const target = kannel.received() + mode.messages;
  const requests = Math.ceil(mode.messages / mode.perRequest);
  const errors: string[] = [];
  let connections = 0;
  let finishedAt = Number.NaN;
  const allReceived = new Promise<void>((resolve) => {
    kannel.onReceived(() => {
      if (kannel.received() >= target) {
        finishedAt = performance.now();
        resolve();
      }
    });
  });
  const text = encodeURIComponent(BODY);
  const startedAt = performance.now();
  let next = 0;
  const client = async () => {
    for (let i = next++; i < requests; i = next++) {
      const first = mode.from + i * mode.perRequest;
      const to = frenchMobiles(first, Math.min(mode.perRequest, mode.messages - i * mode.perRequest))
        .map(encodeURIComponent)
        .join("+");
      const answer = await get(
        `${kannel.sendsmsUrl}?username=bench&password=bench&from=SALVO&to=${to}&text=${text}${mode.query ?? ""}`,
        agent,
      ).catch((error: Error) => ({ status: 0, body: error.message, reused: true }));
      if (!answer.reused) connections++;
      if (answer.status !== 202 || !answer.body.startsWith("0:"))
        errors.push(`${answer.status} ${answer.body}`);
    }
  };
  await Promise.all(Array.from({ length: mode.concurrency }, client));
  const timeout = new Promise<void>((resolve) => setTimeout(resolve, mode.drainMs ?? 60_000).unref());
  await Promise.race([allReceived, timeout]);
  kannel.onReceived(undefined);
  const received = kannel.received() - (target - mode.messages);
  const elapsed = ((Number.isFinite(finishedAt) ? finishedAt : performance.now()) - startedAt) / 1000;
  return {
    name: mode.name,
    messages: mode.messages,
    requests,
    concurrency: mode.concurrency,
    connections,
    received,
    seconds: elapsed,
    perSecond: received / elapsed,
    errors,
  };
}

/** A GET; `reused` says whether it went over a connection the agent already had open. */
function get(url: string, agent: Agent): Promise<{ status: number; body: string; reused: boolean }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { agent }, (response) => {
      let body = "";
      response.setEncoding("utf8");
      response.on("data", (chunk: string) => {
        body += chunk;
      });
      response.on("end", () => resolve({ status: response.statusCode ?? 0, body, reused: req.reusedSocket }));
      response.on("error", reject);
    });
    req.on("error", reject);
    req.end();
  });
}
