import autocannon from 'autocannon';
import type { CpuUse } from './cpu';
import { request } from './http';
import { timedBar } from './progress';

export interface ThroughputResult {
  /** Successful (2xx) responses per second. */
  rps: number;
  ok: number;
  non2xx: number;
  errors: number;
  timeouts: number;
  seconds: number;
  connections: number;
  latencyMs: { p50: number; p99: number; mean: number };
  /** CPU used per process during the run (see cpu.ts). */
  cpu?: CpuUse;
}

/** Starts measuring CPU; the returned function ends the measurement. */
export type Meter = () => () => CpuUse;

/**
 * Requests per second from autocannon at a fixed number of connections for a fixed time, after
 * a short warm-up. `bodies` are sent in turn (one per request), for logins as many users.
 */
export async function throughput(opts: {
  label: string;
  url: string;
  method?: 'GET' | 'POST';
  headers?: Record<string, string>;
  bodies?: string[];
  connections: number;
  seconds: number;
  warmupSeconds?: number;
  meter?: Meter;
}): Promise<ThroughputResult> {
  const run = (seconds: number) => {
    let next = 0;
    const bodies = opts.bodies;
    return autocannon({
      url: opts.url,
      connections: opts.connections,
      duration: seconds,
      timeout: 30,
      requests: [
        {
          method: opts.method ?? 'GET',
          headers: { ...(bodies ? { 'content-type': 'application/json' } : {}), ...opts.headers },
          ...(bodies
            ? {
                setupRequest: (req: autocannon.Request) => {
                  const body = bodies[next++ % bodies.length]!;
                  return { ...req, body };
                },
              }
            : {}),
        },
      ],
    });
  };
  if (opts.warmupSeconds) await run(opts.warmupSeconds);
  const progress = timedBar(opts.label, opts.seconds);
  const stopMeter = opts.meter?.();
  let res: autocannon.Result;
  try {
    res = await run(opts.seconds);
  } finally {
    progress.stop();
  }
  const cpu = stopMeter?.();
  const ok = res['2xx'];
  return {
    rps: ok / res.duration,
    ok,
    non2xx: res.non2xx,
    errors: res.errors,
    timeouts: res.timeouts,
    seconds: res.duration,
    connections: opts.connections,
    latencyMs: { p50: res.latency.p50, p99: res.latency.p99, mean: res.latency.average },
    ...(cpu ? { cpu } : {}),
  };
}

export interface LoopResult {
  done: number;
  failed: number;
  seconds: number;
  /** Completed operations per second. */
  rate: number;
  firstError?: string;
  cpu?: CpuUse;
}

/**
 * `concurrency` loops each running `op` back to back, until `count` operations have started
 * or `seconds` have passed, whichever comes first.
 */
export async function closedLoop(opts: {
  concurrency: number;
  count?: number;
  seconds?: number;
  op: (i: number) => Promise<void>;
  onProgress?: (done: number) => void;
  meter?: Meter;
}): Promise<LoopResult> {
  const deadline = opts.seconds ? performance.now() + opts.seconds * 1000 : Number.POSITIVE_INFINITY;
  const limit = opts.count ?? Number.POSITIVE_INFINITY;
  let started = 0;
  let done = 0;
  let failed = 0;
  let firstError: string | undefined;
  const t0 = performance.now();
  const stopMeter = opts.meter?.();
  const worker = async () => {
    while (started < limit && performance.now() < deadline) {
      const i = started++;
      try {
        await opts.op(i);
        done++;
        opts.onProgress?.(done);
      } catch (err) {
        failed++;
        firstError ??= err instanceof Error ? err.message : String(err);
      }
    }
  };
  await Promise.all(Array.from({ length: opts.concurrency }, worker));
  const seconds = (performance.now() - t0) / 1000;
  const cpu = stopMeter?.();
  return {
    done,
    failed,
    seconds,
    rate: done / seconds,
    ...(firstError ? { firstError } : {}),
    ...(cpu ? { cpu } : {}),
  };
}

/**
 * Latency of one request sent at a steady low rate (one at a time, on a keep-alive
 * connection), for `seconds`: the reader's view while something else loads the machine.
 */
export async function probeLatency(opts: {
  url: string;
  headers?: Record<string, string>;
  perSecond: number;
  seconds: number;
}): Promise<{ samples: number[]; failed: number }> {
  const samples: number[] = [];
  let failed = 0;
  const interval = 1000 / opts.perSecond;
  const t0 = performance.now();
  for (let i = 0; performance.now() - t0 < opts.seconds * 1000; i++) {
    const due = t0 + i * interval;
    const wait = due - performance.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    try {
      const res = await request(opts.url, { headers: opts.headers ?? {} });
      if (res.status === 200) samples.push(res.ms);
      else failed++;
    } catch {
      failed++;
    }
  }
  return { samples, failed };
}

/**
 * Runs the steps in turn, `rounds` times over (a b c, a b c, …), and collects each step's
 * results in order, so that a baseline and what is compared with it are measured close
 * together in time on a machine whose speed drifts.
 */
export async function interleave<S extends Record<string, (round: number) => Promise<unknown>>>(
  rounds: number,
  steps: S,
): Promise<{ [K in keyof S]: Awaited<ReturnType<S[K]>>[] }> {
  const results: Record<string, unknown[]> = Object.fromEntries(Object.keys(steps).map((k) => [k, []]));
  for (let round = 0; round < rounds; round++) {
    for (const [key, step] of Object.entries(steps)) results[key]!.push(await step(round));
  }
  return results as { [K in keyof S]: Awaited<ReturnType<S[K]>>[] };
}
