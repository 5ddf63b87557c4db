import argon2 from 'argon2';
import { addCpu, type CpuUse } from '../cpu';
import { closedLoop, interleave, probeLatency, throughput } from '../load';
import { say, timedBar } from '../progress';
import { compareRounds, ratio, summarize } from '../stats';
import type { Bench } from './context';

/** CPU milliseconds per operation of one process or thread over some runs. */
function msPer(cpu: CpuUse, key: string, ops: number): number | null {
  const s = cpu.cpuSeconds[key];
  return s == null || ops === 0 ? null : (s / ops) * 1000;
}

/**
 * Logins per second over HTTP against raw argon2id verifications per second in this process,
 * at the same concurrency and parameters, in alternating rounds; the CPU a login costs beyond
 * its hash; and an authenticated read's p99 while logins saturate the CPU against its p99 on
 * an idle server.
 */
export async function loginPhase(b: Bench): Promise<void> {
  const { concurrency, seconds, rounds, loginRounds } = b.opts;
  const bodies = b.loginUsers.map((u) => JSON.stringify({ login: u.username, password: b.password }));
  const login = (s: number, warmupSeconds = 0) =>
    throughput({
      label: 'auth.login',
      url: `${b.roster.url}/trpc/auth.login`,
      method: 'POST',
      bodies,
      connections: concurrency,
      seconds: s,
      warmupSeconds,
      meter: b.meter,
    });

  say(
    `auth.login over HTTP (${concurrency} connections, ${bodies.length} users in turn) against raw argon2id ` +
      `verify (m=${b.argon2.memoryCost} KiB, t=${b.argon2.timeCost}, p=${b.argon2.parallelism}, ${concurrency} at a time), ` +
      `${loginRounds} rounds`,
  );
  const runs = await interleave(loginRounds, {
    raw: async () => {
      const bar = timedBar('argon2.verify in this process', seconds);
      return closedLoop({
        concurrency,
        seconds,
        meter: b.meter,
        op: async () => {
          if (!(await argon2.verify(b.passwordHash, b.password))) throw new Error('verify failed');
        },
      }).finally(() => bar.stop());
    },
    login: (round) => login(seconds, round === 0 ? 1 : 0),
  });
  const c = compareRounds(
    runs.login.map((r) => r.rps),
    runs.raw.map((r) => r.rate),
  );
  b.measured.loginsPerSecond = c.value;
  b.measured.rawVerifyPerSecond = c.baseline;

  // Where a login's CPU goes: the hash on libuv's pool, the rest on the event loop and the database.
  const loginCpu = addCpu(runs.login.map((r) => r.cpu));
  const rawCpu = addCpu(runs.raw.map((r) => r.cpu));
  const logins = runs.login.reduce((n, r) => n + r.ok, 0);
  const verifies = runs.raw.reduce((n, r) => n + r.done, 0);
  const cpu = {
    rawVerifyMs: msPer(rawCpu, 'bench', verifies),
    loginEventLoopMs: msPer(loginCpu, 'rosterMain', logins),
    loginDatabaseMs: msPer(loginCpu, 'database', logins),
    loginWholeProcessMs: msPer(loginCpu, 'roster', logins),
  };
  const cores = runs.raw.flatMap((r) => (r.cpu ? [r.cpu.cpuSeconds.bench! / r.cpu.wallSeconds] : []));
  if (cores.length) b.details.effectiveCores = [Math.min(...cores), Math.max(...cores)];
  const outside = cpu.loginEventLoopMs === null ? null : cpu.loginEventLoopMs + (cpu.loginDatabaseMs ?? 0);

  const probe = {
    url: `${b.roster.url}/trpc/users.current`,
    headers: { authorization: `Bearer ${b.readerToken}` },
  };
  const probeSeconds = seconds + 1;
  say(`users.current latency, 25 requests/s, on an idle server and while logins run, ${rounds} rounds`);
  const probes = await interleave(rounds, {
    idle: () => probeLatency({ ...probe, perSecond: 25, seconds: probeSeconds }),
    loaded: async () => {
      const load = login(probeSeconds + 1.5);
      await new Promise((r) => setTimeout(r, 1000));
      const sample = await probeLatency({ ...probe, perSecond: 25, seconds: probeSeconds });
      await load;
      return sample;
    },
  });
  const idle = summarize(probes.idle.flatMap((p) => p.samples));
  const loaded = summarize(probes.loaded.flatMap((p) => p.samples));

  b.details.login = {
    rounds: runs,
    comparison: c,
    cpuPerOperation: cpu,
    idleProbe: idle,
    loadedProbe: loaded,
    probeFailures: [...probes.idle, ...probes.loaded].reduce((n, p) => n + p.failed, 0),
  };
  b.figures.push(
    {
      section: 'Login',
      name: `auth.login over HTTP, ${concurrency} concurrent`,
      value: c.value,
      unit: 'logins/s',
      baseline: { name: `raw argon2id verify, ${concurrency} concurrent`, value: c.baseline, unit: '/s' },
      ratio: c.ratio,
      range: c.range,
      target: { atLeast: 0.9 },
    },
    {
      section: 'Login',
      name: 'CPU per login besides its hash (Roster event loop + database)',
      value: outside,
      unit: 'ms',
      baseline: { name: 'CPU per raw argon2id verify', value: cpu.rawVerifyMs, unit: 'ms' },
      ratio: ratio(outside, cpu.rawVerifyMs),
    },
    {
      section: 'Login',
      name: 'users.current p99 while logins saturate the CPU',
      value: loaded.p99,
      unit: 'ms',
      baseline: { name: 'its p99 on an idle server', value: idle.p99, unit: 'ms' },
      ratio: ratio(loaded.p99, idle.p99),
    },
  );
  b.details.rssAfterLogins = b.roster.rss();
}
