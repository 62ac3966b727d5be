// Samples, every ~250 ms, the resident memory and CPU time of named groups of
// processes and Redis's used_memory (summed over a cluster's primaries), each
// sample labelled with the benchmark's current phase: peaks per phase, CPU
// between two instants, a timeline.
import type { RedisClient } from "@salvo/queue";
import { cpuSeconds, machineCpu, rssBytes } from "./proc";
import { table } from "./stats";

export interface ProcessGroup {
  name: string;
  /** The group's processes now (asked at every sample: processes come and go). */
  pids(): number[];
  /** Sample this group's resident memory (the sum over its processes). */
  rss?: boolean;
}

export interface Sample {
  /** performance.now() when taken. */
  at: number;
  phase: string;
  /** Resident memory in bytes, per group that asked for it. */
  rss: Map<string, number>;
  /** Cumulative CPU seconds per group (of every process it ever had). */
  cpu: Map<string, number>;
  machine: { busy: number; total: number };
  /** Redis used_memory in bytes; filled in when INFO answers. */
  redis?: number;
}

export class Sampler {
  readonly samples: Sample[] = [];
  private currentPhase = "start";
  private readonly lastCpu = new Map<string, Map<number, number>>();
  private timer: NodeJS.Timeout | undefined;
  private redisBusy = false;

  constructor(
    private readonly groups: ProcessGroup[],
    private readonly redis?: RedisClient,
    private readonly intervalMs = 250,
  ) {
    for (const group of groups) this.lastCpu.set(group.name, new Map());
  }

  start(): void {
    this.sample();
    this.timer = setInterval(() => this.sample(), this.intervalMs);
  }

  stop(): void {
    clearInterval(this.timer);
    this.sample();
  }

  /** Labels the samples that follow. */
  phase(name: string): void {
    this.sample();
    this.currentPhase = name;
  }

  /** Phases in the order they began. */
  phases(): string[] {
    return [...new Set(this.samples.map((s) => s.phase))];
  }

  /** Takes a sample now and returns it (to measure CPU between two instants). */
  mark(): Sample {
    return this.sample();
  }

  /** Highest value of `metric` over the samples `which` keeps (NaN when none has one). */
  peak(
    metric: (sample: Sample) => number | undefined,
    which: (sample: Sample) => boolean = () => true,
  ): number {
    let peak = Number.NaN;
    for (const sample of this.samples) {
      const value = which(sample) ? metric(sample) : undefined;
      if (value !== undefined && !(value <= peak)) peak = value;
    }
    return peak;
  }

  private sample(): Sample {
    const sample: Sample = {
      at: performance.now(),
      phase: this.currentPhase,
      rss: new Map(),
      cpu: new Map(),
      machine: machineCpu(),
    };
    for (const group of this.groups) {
      const byPid = this.lastCpu.get(group.name) as Map<number, number>;
      let rss = 0;
      for (const pid of group.pids()) {
        const cpu = cpuSeconds(pid);
        if (cpu !== null) byPid.set(pid, cpu);
        if (group.rss) rss += rssBytes(pid) ?? 0;
      }
      if (group.rss) sample.rss.set(group.name, rss);
      let cpu = 0;
      for (const seconds of byPid.values()) cpu += seconds;
      sample.cpu.set(group.name, cpu);
    }
    this.samples.push(sample);
    if (this.redis && !this.redisBusy) {
      this.redisBusy = true;
      const servers = "nodes" in this.redis ? this.redis.nodes("master") : [this.redis];
      void Promise.all(servers.map((server) => server.info("memory")))
        .then((infos) => {
          sample.redis = infos.reduce((sum, info) => sum + Number(info.match(/^used_memory:(\d+)/m)?.[1]), 0);
        })
        .catch(() => {})
        .finally(() => {
          this.redisBusy = false;
        });
    }
    return sample;
  }
}

/** CPU seconds a group used between two samples. */
export function cpuBetween(from: Sample, to: Sample, group: string): number {
  return (to.cpu.get(group) ?? 0) - (from.cpu.get(group) ?? 0);
}

/** How the CPU was shared between two samples: one row per group, then the rest of the machine. */
export function cpuTable(from: Sample, to: Sample): string {
  const wall = (to.at - from.at) / 1000;
  const machineTotal = to.machine.total - from.machine.total;
  const rows: string[][] = [];
  let accounted = 0;
  const row = (name: string, seconds: number) => [
    name,
    seconds.toFixed(1),
    (seconds / wall).toFixed(2),
    `${((100 * seconds) / machineTotal).toFixed(0)}%`,
  ];
  for (const group of to.cpu.keys()) {
    const seconds = cpuBetween(from, to, group);
    accounted += seconds;
    rows.push(row(group, seconds));
  }
  const busy = to.machine.busy - from.machine.busy;
  rows.push(row("everything else (other processes, kernel)", Math.max(0, busy - accounted)));
  rows.push(row("idle", Math.max(0, machineTotal - busy)));
  return table(["process", "CPU s", "cores", "share of machine"], rows);
}
