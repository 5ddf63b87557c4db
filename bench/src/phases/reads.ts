import { cpuMeter, cpuPerRequest } from '../cpu';
import { request, trpcQueryPath } from '../http';
import { interleave, throughput } from '../load';
import { startBare } from '../processes';
import { say } from '../progress';
import { compareRounds, ratio } from '../stats';
import type { Bench } from './context';

/**
 * Authenticated reads per second (users.current, users.get with a Bearer token) against a bare
 * node:http server answering the same JSON bytes, both driven by autocannon from this process,
 * in alternating rounds. auth.info and /healthz show where the rest of the gap lies.
 */
export async function readsPhase(b: Bench): Promise<void> {
  const auth = { authorization: `Bearer ${b.readerToken}` };
  const paths = {
    current: trpcQueryPath('users.current'),
    get: trpcQueryPath('users.get', { uuid: b.loginUsers[1]!.uuid }),
  };
  const bodies: Record<string, string> = {};
  for (const [name, path] of Object.entries(paths)) {
    const res = await request(`${b.roster.url}${path}`, { headers: auth });
    if (res.status !== 200) throw new Error(`${path} answered ${res.status}: ${res.body.slice(0, 200)}`);
    bodies[`/${name}`] = res.body;
  }
  const bare = await startBare(bodies);
  const meter = () => cpuMeter({ ...b.watched, bare: { pid: bare.pid } });
  try {
    const { connections, seconds, rounds } = b.opts;
    say(`${connections} connections, ${seconds} s per run, ${rounds} rounds`);
    const run =
      (label: string, url: string, headers: Record<string, string> = {}) =>
      (round: number) =>
        throughput({
          label,
          url,
          headers,
          connections,
          seconds,
          warmupSeconds: round === 0 ? 1 : 0,
          meter,
        });
    const r = await interleave(rounds, {
      bareCurrent: run('bare node:http, users.current JSON', `${bare.url}/current`),
      current: run('users.current', `${b.roster.url}${paths.current}`, auth),
      bareGet: run('bare node:http, users.get JSON', `${bare.url}/get`),
      get: run('users.get', `${b.roster.url}${paths.get}`, auth),
      info: run('auth.info (no token, no database)', `${b.roster.url}${trpcQueryPath('auth.info')}`),
      expressCurrent: run('Express alone, users.current JSON', `${bare.expressUrl}/current`),
      healthz: run('/healthz (Express, no middleware)', `${b.roster.url}/healthz`),
    });
    const rps = (runs: { rps: number }[]) => runs.map((x) => x.rps);
    const current = compareRounds(rps(r.current), rps(r.bareCurrent));
    const get = compareRounds(rps(r.get), rps(r.bareGet));
    const info = compareRounds(rps(r.info), rps(r.bareCurrent));
    const healthz = compareRounds(rps(r.healthz), rps(r.bareCurrent));
    const expressAlone = compareRounds(rps(r.expressCurrent), rps(r.bareCurrent));
    b.measured.currentPerSecond = current.value;
    b.details.currentVsInfo = compareRounds(rps(r.current), rps(r.info));
    b.details.reads = {
      rounds: r,
      comparisons: { current, get, info, healthz, expressAlone },
      bodyBytes: { current: bodies['/current']!.length, get: bodies['/get']!.length },
    };
    const bareName = 'bare node:http, same JSON';
    const bareCurrentName = 'bare node:http, users.current JSON';
    const figure = (name: string, c: typeof current, baselineName: string, target?: { atLeast: number }) => ({
      section: 'Authenticated reads',
      name,
      value: c.value,
      unit: 'req/s',
      baseline: { name: baselineName, value: c.baseline, unit: 'req/s' },
      ratio: c.ratio,
      range: c.range,
      ...(target ? { target } : {}),
    });
    const cpuMs = cpuPerRequest(r.current, ['roster', 'database']);
    const bareCpuMs = cpuPerRequest(r.bareCurrent, ['bare']);
    b.details.currentDatabaseCpuMs = cpuPerRequest(r.current, ['database']);
    b.figures.push(
      figure(`users.current, Bearer token, ${connections} connections`, current, bareName, { atLeast: 0.5 }),
      {
        section: 'Authenticated reads',
        name: 'CPU per users.current (Roster + database)',
        value: cpuMs,
        unit: 'ms',
        baseline: { name: 'CPU per request of the bare server', value: bareCpuMs, unit: 'ms' },
        ratio: ratio(cpuMs, bareCpuMs),
      },
      figure(`users.get, Bearer token, ${connections} connections`, get, bareName, { atLeast: 0.5 }),
      figure('auth.info: every middleware and tRPC, no token, no database', info, bareCurrentName),
      figure('/healthz: Express with no middleware', healthz, bareCurrentName),
      figure(
        'Express 5 alone answering the same JSON (the framework by itself)',
        expressAlone,
        bareCurrentName,
      ),
    );
  } finally {
    await bare.stop();
  }
}
