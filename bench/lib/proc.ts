// What Linux says about processes, read from /proc: resident memory and CPU time.
import { execFileSync } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";

/** Clock ticks per second, the unit of CPU times in /proc/<pid>/stat. */
const CLOCK_TICKS = (() => {
  try {
    return Number(execFileSync("getconf", ["CLK_TCK"], { encoding: "utf8" }).trim()) || 100;
  } catch {
    return 100;
  }
})();

function read(path: string): string | null {
  try {
    return readFileSync(path, "utf8");
  } catch {
    return null; // the process is gone
  }
}

/** Resident set size in bytes (VmRSS), or null when the process is gone. */
export function rssBytes(pid: number): number | null {
  const match = read(`/proc/${pid}/status`)?.match(/^VmRSS:\s+(\d+) kB/m);
  return match ? Number(match[1]) * 1024 : null;
}

/** User + system CPU time in seconds, or null when the process is gone. */
export function cpuSeconds(pid: number): number | null {
  const stat = read(`/proc/${pid}/stat`);
  if (!stat) return null;
  // Fields after the command name, which is in parentheses and may hold spaces.
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS;
}

/** Busy and total CPU time of the whole machine, in seconds (from /proc/stat). */
export function machineCpu(): { busy: number; total: number } {
  const first = (read("/proc/stat") ?? "").split("\n")[0] ?? "";
  const [user, nice, system, idle, iowait, irq, softirq, steal] = first
    .split(/\s+/)
    .slice(1, 9)
    .map(Number) as number[];
  const idleAll = (idle ?? 0) + (iowait ?? 0);
  const busy = [user, nice, system, irq, softirq, steal].reduce<number>((sum, n) => sum + (n ?? 0), 0);
  return { busy: busy / CLOCK_TICKS, total: (busy + idleAll) / CLOCK_TICKS };
}

/** Every process's pid and command line (arguments joined by spaces). */
export function processes(): { pid: number; cmdline: string }[] {
  const found: { pid: number; cmdline: string }[] = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    const cmdline = read(`/proc/${entry}/cmdline`);
    if (cmdline) found.push({ pid: Number(entry), cmdline: cmdline.replaceAll("\0", " ").trim() });
  }
  return found;
}
