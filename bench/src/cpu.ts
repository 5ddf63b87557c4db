import { cpuSecondsOf } from './processes';

/** A process to watch, or one thread of it (`tid`; a Node process's main thread has tid = pid). */
export interface Watched {
  pid: number | undefined;
  tid?: number;
}

/**
 * Where the CPU went during a measurement: CPU seconds used by the bench process and each
 * watched process or thread. On this 2-core machine the load generator, the server and the
 * database share the cores, which these figures make visible.
 */
export function cpuMeter(watched: Record<string, Watched>) {
  const t0 = performance.now();
  const self0 = process.cpuUsage();
  const read = (w: Watched) => (w.pid === undefined ? null : cpuSecondsOf(w.pid, w.tid));
  const start = Object.fromEntries(Object.entries(watched).map(([name, w]) => [name, read(w)]));
  return (): CpuUse => {
    const self = process.cpuUsage(self0);
    const seconds: Record<string, number | null> = { bench: (self.user + self.system) / 1e6 };
    for (const [name, w] of Object.entries(watched)) {
      const before = start[name];
      const after = read(w);
      seconds[name] = before == null || after == null ? null : after - before;
    }
    const use = { wallSeconds: (performance.now() - t0) / 1000, cpuSeconds: seconds };
    return use;
  };
}

export interface CpuUse {
  wallSeconds: number;
  /**
   * CPU seconds per process or thread; /proc counts in hundredths of a second.
   */
  cpuSeconds: Record<string, number | null>;
}

/** Adds up CPU use over several runs. */
export function addCpu(uses: readonly (CpuUse | undefined)[]): CpuUse {
  const total: CpuUse = { wallSeconds: 0, cpuSeconds: {} };
  for (const u of uses) {
    if (!u) continue;
    total.wallSeconds += u.wallSeconds;
    for (const [k, v] of Object.entries(u.cpuSeconds)) {
      const prev = total.cpuSeconds[k];
      total.cpuSeconds[k] = v == null || prev === null ? null : (prev ?? 0) + v;
    }
  }
  return total;
}

/** CPU milliseconds per successful request, summed over the given processes and runs. */
export function cpuPerRequest(runs: { ok: number; cpu?: CpuUse }[], processes: string[]): number | null {
  const cpu = addCpu(runs.map((x) => x.cpu));
  const ok = runs.reduce((n, x) => n + x.ok, 0);
  let seconds = 0;
  for (const p of processes) {
    const s = cpu.cpuSeconds[p];
    if (s == null) return null;
    seconds += s;
  }
  return ok ? (seconds / ok) * 1000 : null;
}
