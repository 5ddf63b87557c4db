import { cpuPerRequest } from '../cpu';
import { request, trpcQueryPath } from '../http';
import { interleave, throughput } from '../load';
import { bar, say } from '../progress';
import type { Figure } from '../report';
import { insertUsers } from '../seed';
import { type Comparison, compareRounds, ratio, type Summary, summarize } from '../stats';
import type { Bench } from './context';

/** The list every size is measured with: a filter, a sort and a page of 50. */
const LIST = {
  filters: [['isActive', '=', true]],
  order: [{ field: 'createdAt', dir: 'desc' }],
  limit: 50,
};
/** What the server asks the database for that list (services/users.ts, lib/list-query.ts). */
const DRIVER_FILTER = { redirectToUserUuid: null, $and: [{ isActive: true }] };
const DRIVER_SORT = { createdAt: -1, id: -1 } as const;

const sizeLabel = (n: number) =>
  n >= 1_000_000 ? `${n / 1_000_000}M` : n >= 1000 ? `${n / 1000}k` : String(n);

/**
 * Times each function in turn (a b c d, a b c d, …) up to `count` times each or for
 * `maxSeconds` in all, after one untimed call of each; at least 5 samples each.
 */
async function sampleInTurn<K extends string>(
  count: number,
  maxSeconds: number,
  fns: Record<K, () => Promise<void>>,
): Promise<Record<K, Summary>> {
  const keys = Object.keys(fns) as K[];
  for (const k of keys) await fns[k]();
  const samples = Object.fromEntries(keys.map((k) => [k, [] as number[]])) as Record<K, number[]>;
  const t0 = performance.now();
  for (let i = 0; i < count && (i < 5 || performance.now() - t0 < maxSeconds * 1000); i++) {
    for (const k of keys) {
      const t = performance.now();
      await fns[k]();
      samples[k].push(performance.now() - t);
    }
  }
  return Object.fromEntries(keys.map((k) => [k, summarize(samples[k])])) as Record<K, Summary>;
}

/** Inserts users directly until the directory holds `size` users. */
async function topUp(b: Bench, size: number): Promise<{ inserted: number; seconds: number }> {
  const users = b.db.collection('users');
  const missing = size - (await users.countDocuments({}));
  if (missing <= 0) return { inserted: 0, seconds: 0 };
  say(`inserting ${missing.toLocaleString('en-US')} users (+ their set-up links) directly, pre-hashed`);
  const progress = bar('insertMany', missing, 'users');
  const done = await insertUsers(
    { db: b.db, clusterId: b.clusterId, passwordHash: b.passwordHash },
    { from: b.seeded, count: missing, onProgress: (n) => progress.update(n) },
  ).finally(() => progress.stop());
  b.seeded += done.inserted;
  return done;
}

/**
 * users.list p50 and p95 at each directory size (10k and 100k users; 1M with --full), against
 * the same query sent with the driver; deep pages by cursor and by offset against the first
 * page; and bulk inserts with pre-hashed passwords against users.create.
 */
export async function listingPhase(b: Bench): Promise<void> {
  const small = b.details.currentVsInfo as Comparison | undefined;
  if (small) b.figures.push(currentFigure(b, String(b.details.readsDirectorySize), small));
  const section = 'Listing';
  const inserts = { inserted: 0, seconds: 0 };
  const perSize: Record<string, unknown> = {};
  let firstP50: { size: number; p50: number } | undefined;
  const get = async (input: unknown) => {
    const res = await request(`${b.roster.url}${trpcQueryPath('users.list', input)}`, {
      headers: { authorization: `Bearer ${b.adminToken}` },
      timeoutMs: 300_000,
    });
    if (res.status !== 200) throw new Error(`users.list answered ${res.status}: ${res.body.slice(0, 200)}`);
    return JSON.parse(res.body).result.data as { items: unknown[]; nextCursor: string | null };
  };

  for (const size of b.opts.listSizes) {
    const added = await topUp(b, size);
    inserts.inserted += added.inserted;
    inserts.seconds += added.seconds;
    const label = sizeLabel(size);
    const matching = await b.db.collection('users').countDocuments(DRIVER_FILTER);
    const deepOffset = Math.floor(matching / 2 / 50) * 50;
    const deepPage = await get({ ...LIST, offset: deepOffset });
    const cursor = deepPage.nextCursor;
    if (!cursor || deepPage.items.length !== 50) throw new Error(`no full page at offset ${deepOffset}`);

    say(
      `users.list at ${label} users: first page, deep page by cursor and by offset (row ${deepOffset}), ` +
        'and the same query with the driver, in turn',
    );
    const users = b.db.collection('users');
    const { first, byCursor, byOffset, driver } = await sampleInTurn(b.opts.listSamples, 40, {
      first: async () => void (await get(LIST)),
      byCursor: async () => void (await get({ ...LIST, cursor })),
      byOffset: async () => void (await get({ ...LIST, offset: deepOffset })),
      driver: async () => void (await users.find(DRIVER_FILTER).sort(DRIVER_SORT).limit(50).toArray()),
    });
    const reads = await currentAgainstInfo(b, label);
    perSize[label] = { size, matching, deepOffset, first, byCursor, byOffset, driver, reads };
    b.figures.push(
      {
        section,
        name: `users.list, filter + sort + 50, ${label} users: p50`,
        value: first.p50,
        unit: 'ms',
        baseline: { name: 'same query with the driver, p50', value: driver.p50, unit: 'ms' },
        ratio: ratio(first.p50, driver.p50),
      },
      {
        section,
        name: `users.list, filter + sort + 50, ${label} users: p95`,
        value: first.p95,
        unit: 'ms',
        baseline: { name: 'same query with the driver, p95', value: driver.p95, unit: 'ms' },
        ratio: ratio(first.p95, driver.p95),
      },
      {
        section,
        name: `deep page by cursor (row ${deepOffset + 50}), ${label} users: p50`,
        value: byCursor.p50,
        unit: 'ms',
        baseline: { name: 'first page, p50', value: first.p50, unit: 'ms' },
        ratio: ratio(byCursor.p50, first.p50),
      },
      {
        section,
        name: `deep page by offset (row ${deepOffset}), ${label} users: p50`,
        value: byOffset.p50,
        unit: 'ms',
        baseline: { name: 'first page, p50', value: first.p50, unit: 'ms' },
        ratio: ratio(byOffset.p50, first.p50),
      },
    );
    b.figures.push(currentFigure(b, label, reads.comparison));
    if (firstP50) {
      b.figures.push({
        section,
        name: `users.list first page p50, ${label} users`,
        value: first.p50,
        unit: 'ms',
        baseline: { name: `at ${sizeLabel(firstP50.size)} users`, value: firstP50.p50, unit: 'ms' },
        ratio: ratio(first.p50, firstP50.p50),
      });
    } else {
      firstP50 = { size, p50: first.p50 };
    }
  }
  b.details.rssAfterList = b.roster.rss();

  // The database's share of an authenticated read, which grows with the links it scans.
  const largest = sizeLabel(b.opts.listSizes[b.opts.listSizes.length - 1]!);
  const atLargest = (perSize[largest] as { reads: Awaited<ReturnType<typeof currentAgainstInfo>> }).reads;
  const dbMs = cpuPerRequest(atLargest.rounds.current, ['database']);
  const smallDbMs = b.details.currentDatabaseCpuMs as number | null | undefined;
  b.figures.push({
    section,
    name: `database CPU per users.current at ${largest} users`,
    value: dbMs,
    unit: 'ms',
    baseline: { name: `at ${b.details.readsDirectorySize} users`, value: smallDbMs ?? null, unit: 'ms' },
    ratio: ratio(dbMs, smallDbMs),
  });

  const insertRate = inserts.seconds > 0 ? inserts.inserted / inserts.seconds : null;
  b.figures.push({
    section: 'Bulk',
    name: `direct insertMany, pre-hashed, with set-up links (${inserts.inserted.toLocaleString('en-US')} users)`,
    value: insertRate,
    unit: 'users/s',
    baseline: {
      name: 'users.create through the API',
      value: b.measured.apiCreatesPerSecond ?? null,
      unit: 'users/s',
    },
    ratio: ratio(insertRate, b.measured.apiCreatesPerSecond),
  });
  b.details.listing = { perSize, inserts };
}

/**
 * users.current per second against auth.info per second (the same stack without a token or a
 * database) in alternating rounds: how the cost of an authenticated read grows with the
 * directory.
 */
async function currentAgainstInfo(b: Bench, label: string) {
  const { connections, seconds, rounds } = b.opts;
  say(`users.current against auth.info at ${label} users: ${connections} connections, ${rounds} rounds`);
  const run =
    (name: string, path: string, headers: Record<string, string> = {}) =>
    (round: number) =>
      throughput({
        label: `${name} at ${label}`,
        url: `${b.roster.url}${path}`,
        headers,
        connections,
        seconds,
        warmupSeconds: round === 0 ? 1 : 0,
        meter: b.meter,
      });
  const r = await interleave(rounds, {
    info: run('auth.info', trpcQueryPath('auth.info')),
    current: run('users.current', trpcQueryPath('users.current'), {
      authorization: `Bearer ${b.readerToken}`,
    }),
  });
  return {
    rounds: r,
    comparison: compareRounds(
      r.current.map((x) => x.rps),
      r.info.map((x) => x.rps),
    ),
  };
}

function currentFigure(b: Bench, label: string, c: Comparison): Figure {
  return {
    section: 'Listing',
    name: `users.current at ${label} users, ${b.opts.connections} connections`,
    value: c.value,
    unit: 'req/s',
    baseline: { name: 'auth.info (no token, no database), same rounds', value: c.baseline, unit: 'req/s' },
    ratio: c.ratio,
    range: c.range,
  };
}
