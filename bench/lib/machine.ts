// The machine a benchmark ran on, printed with its figures.
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import os from "node:os";
import { table } from "./stats";

function firstLine(command: string, args: string[]): string | null {
  try {
    const output = execFileSync(command, args, { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
    return output.trim().split("\n")[0] ?? null;
  } catch {
    return null;
  }
}

export interface Machine {
  date: string;
  cpus: number;
  cpuModel: string;
  memory: string;
  kernel: string;
  node: string;
  /** HEAD when the run started (uncommitted changes in the working tree are not reflected). */
  commit: string;
  loadAverage: string;
}

export function describeMachine(): Machine {
  const model = readFileSync("/proc/cpuinfo", "utf8").match(/^model name\s*:\s*(.+)$/m)?.[1];
  return {
    date: new Date().toISOString().replace(/\.\d+Z$/, "Z"),
    cpus: Number(firstLine("nproc", [])) || os.availableParallelism(),
    cpuModel: model ?? os.cpus()[0]?.model ?? "unknown",
    memory: `${(os.totalmem() / 1024 ** 3).toFixed(1)} GiB`,
    kernel: `${os.type()} ${os.release()}`,
    node: process.version,
    commit: firstLine("git", ["log", "-1", "--format=%h %s"]) ?? "unknown",
    loadAverage: os
      .loadavg()
      .map((n) => n.toFixed(2))
      .join(" "),
  };
}

/** Versions of the servers the run used, as they report themselves. */
export function machineTable(machine: Machine, versions: Record<string, string>): string {
  return table(
    ["", ""],
    [
      ["date (UTC)", machine.date],
      ["CPUs (nproc)", `${machine.cpus} × ${machine.cpuModel}`],
      ["memory", machine.memory],
      ["kernel", machine.kernel],
      ["node", machine.node],
      ["git HEAD", machine.commit],
      ...Object.entries(versions),
      ["load average before the run", machine.loadAverage],
    ],
  );
}
