// The test SMSC in a process of its own, so that a test can SIGKILL it mid-batch
// and start it again: spawnSmsc() runs this file, which starts TestSmsc on the
// port asked and keeps the SMSC's own log. Every submit_sm is written to the log
// synchronously before it is answered, so the log holds every message the SMSC
// took, whatever a SIGKILL cuts short.
import { spawn } from "node:child_process";
import { openSync, readFileSync, writeSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { TestSmsc } from "../src/smpp/test-smsc";

/** One line of the SMSC's log: it started, a bind it took (written within 50 ms), or a submit_sm it took. */
export type SmscLogLine =
  | { kind: "start" }
  | { kind: "bind"; systemId: string }
  | { kind: "submit"; to: string; part?: number };

export interface SmscProcess {
  port: number;
  /** SIGKILL: no unbind, no goodbye; resolves once the process is gone. */
  kill(): Promise<void>;
}

const script = fileURLToPath(import.meta.url);

/** Starts the SMSC in a child process on `port` (0: a free one), appending to the log at `logPath`. */
export function spawnSmsc(logPath: string, port = 0): Promise<SmscProcess> {
  const child = spawn(process.execPath, ["--import", "tsx", script, String(port), logPath], {
    cwd: path.dirname(script),
    env: { PATH: process.env.PATH },
    // Its stdin is how it knows the test is gone (it exits when it ends).
    stdio: ["pipe", "pipe", "inherit"],
  });
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  return new Promise((resolve, reject) => {
    child.once("exit", (code, signal) => reject(new Error(`the test SMSC exited (${code ?? signal})`)));
    // Its one line of output, once it listens: the port.
    let output = "";
    child.stdout.setEncoding("utf8");
    child.stdout.on("data", (chunk: string) => {
      output += chunk;
      if (!output.endsWith("\n")) return;
      resolve({
        port: Number(output.trim()),
        async kill() {
          if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
          await exited;
        },
      });
    });
  });
}

/** The SMSC's log, line by line. */
export function readSmscLog(logPath: string): SmscLogLine[] {
  let text: string;
  try {
    text = readFileSync(logPath, "utf8");
  } catch {
    return [];
  }
  return text
    .split("\n")
    .filter(Boolean)
    .map((line) => JSON.parse(line) as SmscLogLine);
}

async function main(port: number, logPath: string): Promise<void> {
  const log = openSync(logPath, "a");
  const write = (line: SmscLogLine) => writeSync(log, `${JSON.stringify(line)}\n`);
  write({ kind: "start" });
  const smsc = await TestSmsc.start(port);
  // Ids unlike those of an earlier run of the SMSC: a reused id would point its receipts elsewhere.
  smsc.idStyle = "uuid";
  // Called for each submit_sm before its answer is sent.
  smsc.answer = (submit) => {
    write({ kind: "submit", to: submit.to, ...(submit.part ? { part: submit.part.number } : {}) });
    return {};
  };
  let logged = 0;
  setInterval(() => {
    for (const bind of smsc.binds.slice(logged)) write({ kind: "bind", systemId: bind.systemId });
    logged = smsc.binds.length;
  }, 50);
  process.stdin.on("end", () => process.exit(0)).resume();
  process.stdout.write(`${smsc.port}\n`);
}

if (process.argv[1] === script) await main(Number(process.argv[2]), process.argv[3] ?? "");
