// Kannel 1.4.5 as a real peer for tests: bearerbox and smsbox on 127.0.0.1 with a
// generated configuration, as Kannel's own test scripts run them, in front of either
// fakesmsc (Kannel's test SMSC) or an SMPP SMSC such as TestSmsc (bearerbox is then
// its SMPP client). bench/kannel.ts starts the fakesmsc setup for the benchmark.
import { type ChildProcess, spawn } from "node:child_process";
import { accessSync, constants, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";

export interface KannelPrograms {
  bearerbox: string;
  smsbox: string;
  fakesmsc: string;
}

const SEARCH_PATH = [...(process.env.PATH ?? "").split(":"), "/usr/sbin", "/usr/lib/kannel/test"];

function findProgram(name: string): string | undefined {
  for (const dir of SEARCH_PATH) {
    const candidate = path.join(dir, name);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here
    }
  }
  return undefined;
}

/** bearerbox and smsbox: all Kannel needs in front of an SMPP SMSC. */
export type KannelBoxPrograms = Omit<KannelPrograms, "fakesmsc">;

/**
 * Kannel's programs (with fakesmsc, unless only `"boxes"` are needed), or why they
 * cannot run here (the test prints it and skips).
 */
export function findKannel(): KannelPrograms | { missing: string };
export function findKannel(needs: "boxes"): KannelBoxPrograms | { missing: string };
export function findKannel(
  needs: "boxes" | "fakesmsc" = "fakesmsc",
): KannelPrograms | KannelBoxPrograms | { missing: string } {
  const bearerbox = findProgram("bearerbox");
  const smsbox = findProgram("smsbox");
  if (!bearerbox || !smsbox)
    return { missing: "bearerbox/smsbox not found (Debian: apt-get install kannel)" };
  if (needs === "boxes") return { bearerbox, smsbox };
  const fakesmsc = findProgram("fakesmsc");
  if (!fakesmsc)
    return { missing: "fakesmsc not found in /usr/lib/kannel/test (Debian: apt-get install kannel-extras)" };
  return { bearerbox, smsbox, fakesmsc };
}

/** A TCP port nobody listens on right now, on 127.0.0.1. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() => (typeof address === "object" && address ? resolve(address.port) : reject()));
    });
  });
}

/** Polls `check` until it gives a value (not undefined); fails after `timeoutMs`. */
export async function until<T>(
  what: string,
  check: () => Promise<T | undefined> | T | undefined,
  timeoutMs = 15_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** A running process whose output lines are kept (the last ones explain a failure). */
interface Child {
  process: ChildProcess;
  lines: string[];
  stop(): Promise<void>;
}

function start(command: string, args: string[], onLine?: (line: string) => void): Child {
  const child = spawn(command, args, { env: { PATH: process.env.PATH }, stdio: ["ignore", "pipe", "pipe"] });
  const lines: string[] = [];
  for (const stream of [child.stdout, child.stderr]) {
    let partial = "";
    stream.setEncoding("utf8");
    stream.on("data", (chunk: string) => {
      const parts = (partial + chunk).split("\n");
      partial = parts.pop() ?? "";
      for (const line of parts) {
        onLine?.(line);
        lines.push(line);
        if (lines.length > 200) lines.shift();
      }
    });
  }
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  return {
    process: child,
    lines,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill("SIGTERM");
      const timer = setTimeout(() => child.kill("SIGKILL"), 10_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

/** bearerbox and smsbox running, in front of whichever SMSC bearerbox was given. */
export interface KannelGateway {
  version: string;
  /** smsbox's sendsms interface, and its sendsms-user. */
  sendsmsUrl: string;
  username: string;
  password: string;
  /** The smsc-id of the SMSC connection that receives what is sent. */
  smsc: string;
  /** bearerbox's status page (status.txt), e.g. to read an SMSC connection's counters. */
  status(): Promise<string>;
  /** The last lines of each program's output, to explain a failure. */
  logs(): string;
  stop(): Promise<void>;
}

/** Kannel in front of two fakesmsc connections: one it sends to, one that sends MOs. */
export interface KannelPeer extends KannelGateway {
  /**
   * What fakesmsc received, one line per SMS as it prints them:
   * `<from> <to> text <text>` (or `data <urlencoded>`, or `udh <udh> <data>` for a part).
   */
  received: string[];
  /**
   * An SMS from a handset, as an SMSC hands it to bearerbox: a second fakesmsc sends
   * it and exits; smsbox's sms-service then calls its get-url. Resolves when sent.
   */
  sendMo(from: string, to: string, text: string): Promise<void>;
}

export interface KannelPeerOptions {
  /** The sms-service's get-url (Kannel's escapes: `%p` from, `%P` to, `%a` the text); none: no service. */
  getUrl?: string;
  /** smsbox's sendsms port, when the caller must know it before Kannel starts. */
  sendsmsPort?: number;
}

/** An SMPP SMSC for bearerbox to bind to, as one transceiver. */
export interface SmppSmscOptions {
  host?: string;
  port: number;
  /** Sent as the bind's system_id and password. */
  username: string;
  password: string;
  /**
   * How bearerbox reads message ids (Kannel's `msg-id-type`): bit 0x01 set, the
   * submit_sm_resp's id is hex, else decimal; bit 0x02 the same for the receipt's id;
   * both are then compared as numbers. Left out: ids are compared as strings, as sent.
   */
  msgIdType?: 0 | 1 | 2 | 3;
  /** Seconds between bearerbox's enquire_links (Kannel's default: 30). */
  enquireLinkInterval?: number;
}

/** Starts bearerbox (two fake SMSCs: one for MT, one for MO), smsbox and the MT fakesmsc. */
export async function startKannel(
  programs: KannelPrograms,
  options: KannelPeerOptions = {},
): Promise<KannelPeer> {
  const [mtPort, moPort] = await Promise.all([freePort(), freePort()]);
  // `allowed-smsc-id` keeps MT traffic off the MO connection.
  const smscs = [mtPort, moPort].map(
    (port, n) => `
group = smsc
smsc = fake
smsc-id = ${n === 0 ? "fake" : "mo"}
allowed-smsc-id = ${n === 0 ? "fake" : "mo"}
port = ${port}
our-host = 127.0.0.1
connect-allow-ip = "127.0.0.1"
`,
  );
  const received: string[] = [];
  // status.txt's line for a fake connection: `FAKE:<port> (online 3s, rcvd: sms 1 …`.
  const moReceived = new RegExp(`FAKE:${moPort} \\([^,]*, rcvd: sms (\\d+)`);
  const gateway = await startGateway(programs, smscs.join(""), options, async ({ status, children }) => {
    // fakesmsc prints `Got message <n>: <<from> <to> <type> …>` for each SMS bearerbox sends it.
    children.push(
      start(
        programs.fakesmsc,
        ["-H", "127.0.0.1", "-r", String(mtPort), "-m", "0", "0 0 text unused"],
        (line) => {
          const message = line.match(/Got message \d+: <(.*)>$/)?.[1];
          if (message !== undefined) received.push(message);
        },
      ),
    );
    await until("fakesmsc to connect", async () =>
      new RegExp(`FAKE:${mtPort} \\(online`).test(await status()) ? true : undefined,
    );
  });
  return {
    ...gateway,
    smsc: "fake",
    received,
    async sendMo(from, to, text) {
      const count = async () => Number((await gateway.status()).match(moReceived)?.[1] ?? Number.NaN);
      const before = await count();
      const mo = start(programs.fakesmsc, [
        ...["-H", "127.0.0.1", "-r", String(moPort), "-i", "0", "-m", "1"],
        `${from} ${to} text ${text}`,
      ]);
      // fakesmsc stays connected after its last message: stopped once bearerbox counts it.
      try {
        await until("bearerbox to receive the MO", async () => ((await count()) > before ? true : undefined));
      } finally {
        await mo.stop();
      }
    },
  };
}

/**
 * Starts bearerbox as the SMPP client of the SMSC at `smsc` (a transceiver bind),
 * then smsbox; resolves once bearerbox is bound. MOs come from that SMSC.
 */
export async function startKannelOnSmpp(
  programs: KannelBoxPrograms,
  smsc: SmppSmscOptions,
  options: KannelPeerOptions = {},
): Promise<KannelGateway> {
  // reconnect-delay 1: after a dropped connection bearerbox binds again within a
  // second instead of Kannel's default 10.
  const config = `
group = smsc
smsc = smpp
smsc-id = smpp
host = ${smsc.host ?? "127.0.0.1"}
port = ${smsc.port}
smsc-username = "${smsc.username}"
smsc-password = "${smsc.password}"
system-type = "VMA"
transceiver-mode = true
enquire-link-interval = ${smsc.enquireLinkInterval ?? 30}
reconnect-delay = 1
${smsc.msgIdType === undefined ? "" : `msg-id-type = ${smsc.msgIdType}`}
`;
  const gateway = await startGateway(programs, config, options, async ({ status }) => {
    // status.txt's line for it: `smpp[smpp] SMPP:127.0.0.1:<port>/<port>:<user>:… (online 1s, …`.
    await until("bearerbox to bind to the SMPP SMSC", async () =>
      /\[smpp\]\s+SMPP:\S+ \(online/.test(await status()) ? true : undefined,
    );
  });
  return { ...gateway, smsc: "smpp" };
}

/**
 * Kannel's `core` group (admin interface and the smsbox link on loopback, DLRs
 * kept in memory), then `smsc`'s SMSC groups, then the `smsbox` group with its
 * sendsms interface: the configuration both the tests' peer and the benchmark
 * (bench/kannel.ts) start from, before their own sendsms-user and services.
 */
export function kannelBoxesConfig(options: {
  ports: { admin: number; smsbox: number; sendsms: number };
  password: string;
  /** More lines for the core group. */
  core?: string;
  smsc: string;
  /** More lines for the smsbox group. */
  smsbox?: string;
}): string {
  const { ports, password } = options;
  return `
group = core
admin-port = ${ports.admin}
admin-interface = 127.0.0.1
admin-password = ${password}
admin-allow-ip = "127.0.0.1"
smsbox-port = ${ports.smsbox}
smsbox-interface = 127.0.0.1
box-allow-ip = "127.0.0.1"
dlr-storage = internal
${options.core ?? ""}
${options.smsc}
group = smsbox
bearerbox-host = 127.0.0.1
bearerbox-port = ${ports.smsbox}
sendsms-port = ${ports.sendsms}
sendsms-interface = 127.0.0.1
${options.smsbox ?? ""}
`;
}

/**
 * bearerbox with `smscConfig`'s SMSC groups, then `connect` (whatever bearerbox's
 * SMSCs need before traffic), then smsbox; stops all of it when a step fails.
 */
async function startGateway(
  programs: KannelBoxPrograms,
  smscConfig: string,
  options: KannelPeerOptions,
  connect: (started: { status: () => Promise<string>; children: Child[] }) => Promise<void>,
): Promise<Omit<KannelGateway, "smsc">> {
  const dir = mkdtempSync(path.join(tmpdir(), "salvo-kannel-"));
  const [adminPort, smsboxPort] = await Promise.all([freePort(), freePort()]);
  const sendsmsPort = options.sendsmsPort ?? (await freePort());
  const password = "kannel-test";
  // A message an SMSC failed temporarily (ESME_RTHROTTLED) is sent again after
  // sms-resend-freq: 1 second, not Kannel's default 60. The sendsms-user lets smsbox
  // split long messages into up to 10 concatenated parts (UDH); the service answers
  // nothing to the handset (max-messages 0): Salvo's answer is for Kannel.
  const config = `${kannelBoxesConfig({
    ports: { admin: adminPort, smsbox: smsboxPort, sendsms: sendsmsPort },
    password,
    core: "sms-resend-freq = 1",
    smsc: smscConfig,
  })}
group = sendsms-user
username = salvo
password = ${password}
concatenation = true
max-messages = 10
${
  options.getUrl === undefined
    ? ""
    : `
group = sms-service
keyword = default
catch-all = true
max-messages = 0
get-url = "${options.getUrl}"
`
}`;
  const configPath = path.join(dir, "kannel.conf");
  writeFileSync(configPath, config);
  const children: Child[] = [];
  const stop = async () => {
    for (const child of children.reverse()) await child.stop();
    rmSync(dir, { recursive: true, force: true });
  };
  const status = () =>
    fetch(`http://127.0.0.1:${adminPort}/status.txt?password=${password}`)
      .then((r) => r.text())
      .catch(() => "");
  try {
    const bearerbox = start(programs.bearerbox, ["-v", "1", configPath]);
    children.push(bearerbox);
    const version = await until("bearerbox's admin interface", async () => {
      // A configuration bearerbox refuses makes it exit at once (a PANIC line says why).
      if (bearerbox.process.exitCode !== null) throw new Error("bearerbox exited");
      return (await status()).match(/bearerbox version `([^']+)'/)?.[1];
    });
    await connect({ status, children });
    children.push(start(programs.smsbox, ["-v", "1", configPath]));
    await until("smsbox to connect", async () =>
      /smsbox:.*on-line/.test(await status()) ? true : undefined,
    );
    return {
      version,
      sendsmsUrl: `http://127.0.0.1:${sendsmsPort}/cgi-bin/sendsms`,
      username: "salvo",
      password,
      status,
      logs: () =>
        children
          .map((child) => `${child.process.spawnfile}:\n${child.lines.slice(-30).join("\n")}`)
          .join("\n\n"),
      stop,
    };
  } catch (error) {
    const logs = children.map((child) => child.lines.slice(-20).join("\n")).join("\n---\n");
    await stop();
    throw new Error(`${(error as Error).message}\n${logs}`);
  }
}
