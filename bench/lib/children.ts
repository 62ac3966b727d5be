// Child processes the benchmarks start: their last output lines are kept to
// explain a failure, and stopping one waits for it to exit (bounded).
import { type ChildProcess, spawn } from "node:child_process";
import path from "node:path";

// One freePort for the tests and the benchmarks.
export { freePort } from "@salvo/providers/testing";

export interface Child {
  name: string;
  pid: number;
  process: ChildProcess;
  /** The last lines it wrote (stdout and stderr). */
  tail(): string;
  /** Resolves when it has exited. */
  exited: Promise<number | null>;
  /** SIGTERM (or `signal`), then SIGKILL after `graceMs`; resolves once it has exited. */
  stop(signal?: NodeJS.Signals, graceMs?: number): Promise<void>;
}

const TAIL_LINES = 40;

export function startChild(
  name: string,
  command: string,
  args: string[],
  options: {
    cwd?: string;
    env?: Record<string, string | undefined>;
    onLine?: (line: string) => void;
    /** Run as this user (and group): PostgreSQL refuses to run as root. */
    uid?: number;
    gid?: number;
  } = {},
): Child {
  const child = spawn(command, args, {
    cwd: options.cwd,
    env: options.env,
    uid: options.uid,
    gid: options.gid,
    stdio: ["ignore", "pipe", "pipe"],
  });
  if (child.pid === undefined) throw new Error(`could not start ${name} (${command})`);
  const lines: string[] = [];
  const collect = (stream: NodeJS.ReadableStream) => {
    let partial = "";
    stream.setEncoding("utf8");
    stream.on("data", (chunk: string) => {
      const parts = (partial + chunk).split("\n");
      partial = parts.pop() ?? "";
      for (const line of parts) {
        options.onLine?.(line);
        lines.push(line);
        if (lines.length > TAIL_LINES) lines.shift();
      }
    });
  };
  collect(child.stdout);
  collect(child.stderr);
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  const pid = child.pid;
  return {
    name,
    pid,
    process: child,
    exited,
    tail: () => lines.join("\n"),
    async stop(signal = "SIGTERM", graceMs = 15_000) {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill(signal);
      const timer = setTimeout(() => child.kill("SIGKILL"), graceMs);
      await exited;
      clearTimeout(timer);
    },
  };
}

let built: Promise<void> | undefined;

/**
 * Builds the API and worker bundles (`pnpm build`: apps/<app>/dist/main.js),
 * once per benchmark process: the apps run as `pnpm start` runs them in
 * production, with plain node.
 */
export function buildApps(): Promise<void> {
  built ??= (async () => {
    const build = startChild(
      "build",
      "pnpm",
      ["--silent", "--filter", "@salvo/api", "--filter", "@salvo/worker", "run", "build"],
      { cwd: path.join(import.meta.dirname, "../.."), env: process.env },
    );
    if ((await build.exited) !== 0) throw new Error(`pnpm build failed:\n${build.tail()}`);
  })();
  return built;
}

/**
 * The node arguments that run an app's bundle (started in `apps/<app>`, after
 * `buildApps`), after any of BENCH_NODE_ARGS, e.g. "--cpu-prof
 * --cpu-prof-dir=/tmp/prof" to profile it.
 */
export function appNodeArgs(): string[] {
  const extra = process.env.BENCH_NODE_ARGS?.split(/\s+/).filter(Boolean) ?? [];
  return [...extra, "dist/main.js"];
}

/** Polls `check` every `everyMs` until it returns a value (not undefined); throws after `timeoutMs`. */
export async function waitFor<T>(
  what: string,
  check: () => Promise<T | undefined> | T | undefined,
  timeoutMs: number,
  everyMs = 50,
): Promise<T> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (performance.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
}

/** Cleanups of what is running now, in the order they were registered. */
const running: (() => Promise<void>)[] = [];
let interrupted = false;

// `on`, not `once`: Ctrl-C reaches this process twice (from the terminal and
// relayed by tsx), and the second must not kill it in the middle of cleaning up.
function onInterrupt(signal: NodeJS.Signals): void {
  if (interrupted) return;
  interrupted = true;
  process.stderr.write(`\n${signal}: cleaning up\n`);
  // Latest first: a stack is stopped before the servers it runs on.
  void (async () => {
    for (const cleanup of [...running].reverse()) await cleanup().catch(() => {});
  })().finally(() => process.exit(signal === "SIGINT" ? 130 : 143));
}

/**
 * Runs `cleanup`, then exits, if the benchmark is interrupted (Ctrl-C, SIGTERM)
 * before the returned function is called: nothing is left running or behind.
 * Cleanups registered later run first.
 */
export function cleanUpOnInterrupt(cleanup: () => Promise<void>): () => void {
  if (running.length === 0) {
    process.on("SIGINT", onInterrupt);
    process.on("SIGTERM", onInterrupt);
  }
  running.push(cleanup);
  return () => {
    const index = running.indexOf(cleanup);
    if (index >= 0) running.splice(index, 1);
    // While cleaning up, the handlers stay: a second Ctrl-C must not kill the process.
    if (running.length === 0 && !interrupted) {
      process.off("SIGINT", onInterrupt);
      process.off("SIGTERM", onInterrupt);
    }
  };
}
