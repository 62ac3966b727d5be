// A PostgreSQL cluster and a Redis server of a benchmark's own, in a temporary
// directory, on free ports: the chaos benchmark crashes and restarts them, which
// it must never do to servers other people's tests use. Stopping them removes
// their data; so does this process's exit, however it happens.
import { execFileSync, spawnSync } from "node:child_process";
import {
  chmodSync,
  chownSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  realpathSync,
  rmSync,
} from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { type Child, freePort, startChild, waitFor } from "./children";

export interface PrivateServer {
  /** What it is, with its port, for logs and tables. */
  label: string;
  url: string;
  /** The worst stop: Redis SHUTDOWN NOSAVE; PostgreSQL's immediate shutdown (a crash, recovered from its WAL). */
  crash(): Promise<void>;
  /** Starts it again (same port, same data directory) and waits until it answers. */
  start(): Promise<void>;
}

export interface PrivateServers {
  redis: PrivateServer;
  postgres: PrivateServer;
  /** The temporary directory (also a place for the benchmark's own files). */
  dir: string;
  /** Stops both and removes the directory. */
  stop(): Promise<void>;
}

const READY_TIMEOUT_MS = 30_000;

export async function startPrivateServers(log: (line: string) => void): Promise<PrivateServers> {
  const dir = mkdtempSync(path.join(tmpdir(), "salvo-chaos-"));
  // PostgreSQL runs as `postgres` when this runs as root: it must reach its directory.
  chmodSync(dir, 0o755);
  const running = new Set<Child>();
  // Whatever ends this process (an error, process.exit, a signal handler), the
  // servers go with it: nothing is left listening, nothing left on disk.
  const onExit = () => {
    for (const child of running) {
      try {
        process.kill(child.pid, child.name === "postgres" ? "SIGQUIT" : "SIGKILL");
      } catch {
        // already gone
      }
    }
    for (const child of running) {
      if (child.name === "postgres")
        spawnSync("sh", ["-c", `while kill -0 ${child.pid} 2>/dev/null; do sleep 0.05; done`], {
          timeout: 5_000,
        });
    }
    rmSync(dir, { recursive: true, force: true });
  };
  process.on("exit", onExit);

  const track = (child: Child) => {
    running.add(child);
    void child.exited.then(() => running.delete(child));
    return child;
  };

  const redis = await privateRedis(path.join(dir, "redis"), track);
  const postgres = await privatePostgres(path.join(dir, "postgres"), track).catch(async (error) => {
    await redis.stop();
    throw error;
  });
  log(`private servers in ${dir}: ${redis.label}, ${postgres.label}`);
  return {
    redis,
    postgres,
    dir,
    async stop() {
      await Promise.allSettled([redis.stop(), postgres.stop()]);
      process.off("exit", onExit);
      rmSync(dir, { recursive: true, force: true });
      log(`private servers stopped; ${dir} removed`);
    },
  };
}

/** Redis without persistence (`save ""`, no AOF): a restart loses everything, the worst case. */
async function privateRedis(dir: string, track: (child: Child) => Child) {
  mkdirSync(dir);
  const port = await freePort();
  const args = [
    "--port",
    String(port),
    "--bind",
    "127.0.0.1",
    "--dir",
    dir,
    "--save",
    "",
    "--appendonly",
    "no",
  ];
  let child: Child | undefined;
  const ping = () =>
    spawnSync("redis-cli", ["-p", String(port), "ping"], { encoding: "utf8" }).stdout?.trim();
  const start = async () => {
    child = track(startChild("redis-server", "redis-server", [...args, "--maxmemory-policy", "noeviction"]));
    const started = child;
    await waitFor(
      `redis-server on port ${port}`,
      () => {
        if (started.process.exitCode !== null) throw new Error(`redis-server exited:\n${started.tail()}`);
        return ping() === "PONG" ? true : undefined;
      },
      READY_TIMEOUT_MS,
    );
  };
  const shutdownNoSave = async () => {
    const current = child;
    if (!current || current.process.exitCode !== null || current.process.signalCode !== null) return;
    spawnSync("redis-cli", ["-p", String(port), "shutdown", "nosave"], { encoding: "utf8" });
    await current.stop("SIGKILL", 5_000); // only if SHUTDOWN did not end it
  };
  await start();
  return {
    label: `redis-server on 127.0.0.1:${port} (save "", appendonly no)`,
    url: `redis://127.0.0.1:${port}`,
    crash: shutdownNoSave,
    start,
    stop: shutdownNoSave,
  };
}

/** The directory of PostgreSQL's server binaries: where `postgres` on PATH lives, or Debian's newest. */
function postgresBinDir(): string {
  const found = spawnSync("sh", ["-c", "command -v postgres"], { encoding: "utf8" }).stdout?.trim();
  if (found) return path.dirname(realpathSync(found));
  const versions = existsSync("/usr/lib/postgresql")
    ? readdirSync("/usr/lib/postgresql")
        .filter((v) => /^\d+$/.test(v))
        .sort((a, b) => Number(b) - Number(a))
    : [];
  if (versions[0]) return `/usr/lib/postgresql/${versions[0]}/bin`;
  throw new Error(
    "PostgreSQL's server binaries (initdb, postgres) were not found on PATH nor in /usr/lib/postgresql",
  );
}

/** A fresh cluster (initdb), fsync on, its socket in its own directory, trust authentication on loopback. */
async function privatePostgres(dir: string, track: (child: Child) => Child) {
  const bin = postgresBinDir();
  mkdirSync(dir);
  // PostgreSQL refuses to run as root: then it runs as the `postgres` user.
  let owner: { uid: number; gid: number } | undefined;
  if (process.getuid?.() === 0) {
    const id = (flag: string) => Number(execFileSync("id", [flag, "postgres"], { encoding: "utf8" }).trim());
    owner = { uid: id("-u"), gid: id("-g") };
    chownSync(dir, owner.uid, owner.gid);
  }
  const data = path.join(dir, "data");
  const initdb = startChild(
    "initdb",
    path.join(bin, "initdb"),
    ["-D", data, "-U", "postgres", "-A", "trust", "-E", "UTF8", "--no-sync"],
    {
      ...owner,
    },
  );
  if ((await initdb.exited) !== 0) throw new Error(`initdb failed:\n${initdb.tail()}`);

  const port = await freePort();
  const settings = {
    listen_addresses: "127.0.0.1",
    unix_socket_directories: dir,
    fsync: "on",
    max_connections: "200",
    logging_collector: "off",
  };
  const args = [
    "-D",
    data,
    "-p",
    String(port),
    ...Object.entries(settings).flatMap(([k, v]) => ["-c", `${k}=${v}`]),
  ];
  let child: Child | undefined;
  const start = async () => {
    child = track(startChild("postgres", path.join(bin, "postgres"), args, { ...owner }));
    const started = child;
    await waitFor(
      `postgres on port ${port}`,
      () => {
        if (started.process.exitCode !== null) throw new Error(`postgres exited:\n${started.tail()}`);
        const ready = spawnSync(path.join(bin, "pg_isready"), ["-q", "-h", "127.0.0.1", "-p", String(port)]);
        return ready.status === 0 ? true : undefined;
      },
      READY_TIMEOUT_MS,
      100,
    );
  };
  // SIGQUIT: immediate shutdown, no checkpoint: the next start replays the WAL, as after a crash.
  // SIGINT: fast shutdown, for the end of the run.
  const stopWith = async (signal: NodeJS.Signals) => {
    const current = child;
    if (!current || current.process.exitCode !== null || current.process.signalCode !== null) return;
    await current.stop(signal, 10_000);
  };
  await start();
  return {
    label: `PostgreSQL on 127.0.0.1:${port} (fsync on)`,
    url: `postgresql://postgres@127.0.0.1:${port}/postgres`,
    crash: () => stopWith("SIGQUIT"),
    start,
    stop: () => stopWith("SIGINT"),
  };
}
