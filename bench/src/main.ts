/**
 * `pnpm bench`: Roster's benchmark suite. Every figure is a ratio against a baseline measured in
 * the same run on the same machine; nothing here asserts anything about time. Prints a table
 * and writes results/latest.json, results/latest.md and a dated copy of the JSON.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { startEmbeddedMongo } from '@roster/embedded-mongo';
import argon2 from 'argon2';
import { MongoClient } from 'mongodb';
import { cpuMeter } from './cpu';
import { closeConnections, trpc } from './http';
import { type BenchOptions, parseOptions, USAGE, UsageError } from './options';
import { bulkApiPhase } from './phases/bulk';
import type { Bench } from './phases/context';
import { importPhase } from './phases/import';
import { listingPhase } from './phases/listing';
import { loginPhase } from './phases/login';
import { peerPhase } from './phases/peer';
import { readsPhase } from './phases/reads';
import { warmUp } from './phases/warm-up';
import { BENCH_ADMIN, startRoster } from './processes';
import { say } from './progress';
import { machine, type Results, renderTable, writeResults } from './report';
import { ratio } from './stats';

const RESULTS_DIR = fileURLToPath(new URL('../results/', import.meta.url));
/** Roster's defaults (apps/server/src/config.ts), passed explicitly so both sides surely match. */
const ARGON2 = { memoryCost: 19_456, timeCost: 2, parallelism: 1 };
const PASSWORD = 'bench-password-1';

async function main() {
  let opts: ReturnType<typeof parseOptions>;
  try {
    opts = parseOptions(process.argv.slice(2), process.env);
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    if (err.message) process.stderr.write(`${err.message}\n\n`);
    process.stderr.write(`${USAGE}\n`);
    process.exit(err.message ? 2 : 0);
  }
  const startedAt = new Date();
  const m = machine();
  say(
    `${m.cores} cores (${m.cpuModel}), ${m.memoryGiB} GiB, Node ${process.versions.node}; scale ${opts.scale}`,
  );

  const dataDir =
    !opts.mongodbUri && opts.backend === 'h2'
      ? await mkdtemp(path.join(os.tmpdir(), 'roster-bench-'))
      : undefined;
  const database = opts.mongodbUri
    ? { uri: opts.mongodbUri, description: 'MongoDB from MONGODB_URI', stop: async () => {} }
    : await startEmbeddedMongo(
        dataDir
          ? { dataDir, log: say }
          : // In memory, the 1M-user directory outgrows the JVM's default heap (a quarter of RAM).
            { inMemory: true, log: say, maxHeapMiB: inMemoryHeapMiB(opts) },
      );
  say(`database: ${database.description}`);
  const dbName = opts.mongodbUri ? `roster_bench_${Date.now().toString(36)}` : 'roster_bench';
  // The driver's server monitor gives up on a server silent for connectTimeoutMS (30 s by default)
  // and interrupts the operations in flight. Filling the in-memory database with 1M users, its
  // JVM can stop longer than that for a full collection of a heap of many GiB (it did once, at
  // some point between 100k and 1M users): the bench's own inserts wait for it instead.
  const client = await new MongoClient(database.uri, { connectTimeoutMS: 300_000 }).connect();

  try {
    say('starting Roster (node apps/server/dist/main.js)');
    const roster = await startRoster({
      uri: database.uri,
      dbName,
      env: {
        ROSTER_ARGON2_MEMORY_KIB: String(ARGON2.memoryCost),
        ROSTER_ARGON2_TIME_COST: String(ARGON2.timeCost),
        ROSTER_ARGON2_PARALLELISM: String(ARGON2.parallelism),
      },
    });
    try {
      await new Promise((r) => setTimeout(r, 1000));
      const rssIdle = roster.rss();
      const passwordHash = await argon2.hash(PASSWORD, { type: argon2.argon2id, ...ARGON2 });
      const admin = await trpc<{ token: string }>(roster.url, 'auth.login', {
        mutation: true,
        input: { login: BENCH_ADMIN.username, password: BENCH_ADMIN.password },
      });
      say(`creating ${opts.concurrency * 2} users to log in as`);
      const loginUsers: Bench['loginUsers'] = [];
      for (let i = 0; i < opts.concurrency * 2; i++) {
        const username = `login${i}`;
        const user = await trpc<{ uuid: string }>(roster.url, 'users.create', {
          mutation: true,
          token: admin.token,
          input: {
            username,
            email: `${username}@example.com`,
            password: PASSWORD,
            firstName: 'Login',
            lastName: `User${i}`,
          },
        });
        loginUsers.push({ username, uuid: user.uuid });
      }
      const reader = await trpc<{ token: string }>(roster.url, 'auth.login', {
        mutation: true,
        input: { login: loginUsers[0]!.username, password: PASSWORD },
      });
      const watched = {
        roster: { pid: roster.pid },
        rosterMain: { pid: roster.pid, tid: roster.pid },
        database: { pid: 'pid' in database ? database.pid : undefined },
      };
      const b: Bench = {
        opts,
        mongoUri: database.uri,
        db: client.db(dbName),
        roster,
        databasePid: 'pid' in database ? database.pid : undefined,
        watched,
        meter: () => cpuMeter(watched),
        clusterId: 'zzzzz',
        argon2: ARGON2,
        password: PASSWORD,
        passwordHash,
        adminToken: admin.token,
        loginUsers,
        readerToken: reader.token,
        seeded: 0,
        figures: [],
        notMeasured: [],
        details: { rssIdle },
        measured: {},
      };
      b.details.readsDirectorySize = await b.db.collection('users').countDocuments({});

      const phases: [string, (b: Bench) => Promise<void>][] = [
        ['Login', loginPhase],
        ['Authenticated reads', readsPhase],
        ['Peer: Better Auth', peerPhase],
        ['Bulk: users.create', bulkApiPhase],
        ['Bulk: roster import', importPhase],
        ['Listing and bulk inserts', listingPhase],
      ].filter(([name]) => opts.peer || name !== 'Peer: Better Auth') as [
        string,
        (b: Bench) => Promise<void>,
      ][];
      await warmUp(b);
      for (const [i, [name, run]] of phases.entries()) {
        say(`── ${i + 1}/${phases.length} ${name}`);
        await run(b);
      }
      if (!opts.peer) {
        b.notMeasured.push({
          section: 'Peer: Better Auth',
          name: 'Better Auth',
          reason: 'skipped (--no-peer)',
        });
      }
      memoryFigures(b, rssIdle);

      const results: Results = {
        meta: {
          date: startedAt.toISOString(),
          machine: m,
          node: process.versions.node,
          database: opts.mongodbUri
            ? 'MongoDB from MONGODB_URI'
            : `embedded mongo-java-server 1.47, ${opts.backend === 'h2' ? 'H2 on disk' : 'in memory'}`,
          scale: `${opts.scale} (users.list at ${opts.listSizes.map((s) => s.toLocaleString('en-US')).join(', ')} users)`,
          durationSeconds: (Date.now() - startedAt.getTime()) / 1000,
          effectiveCores: b.details.effectiveCores as [number, number] | undefined,
          settings: {
            concurrency: opts.concurrency,
            connections: opts.connections,
            secondsPerRun: opts.seconds,
            apiUsers: opts.apiUsers,
            importUsers: opts.importUsers,
            listSamples: opts.listSamples,
            argon2: ARGON2,
            roster: 'NODE_ENV=production, ROSTER_RATE_LIMIT_PER_MINUTE=0, other settings at their defaults',
          },
        },
        figures: b.figures,
        notMeasured: b.notMeasured,
        details: b.details,
      };
      const files = await writeResults(RESULTS_DIR, results);
      process.stdout.write(`\n${renderTable(results)}\n`);
      say(`written: ${files.map((f) => path.relative(process.cwd(), f)).join(', ')}`);
    } finally {
      await roster.stop();
    }
  } finally {
    closeConnections();
    if (opts.mongodbUri) {
      await client
        .db(dbName)
        .dropDatabase()
        .catch(() => {});
      await client
        .db('bench_better_auth')
        .dropDatabase()
        .catch(() => {});
    }
    await client.close();
    await database.stop();
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  }
}

function memoryFigures(b: Bench, rssIdle: number | null): void {
  const mib = (bytes: unknown) => (typeof bytes === 'number' ? bytes / 2 ** 20 : null);
  const idle = mib(rssIdle);
  const baseline = { name: 'RSS idle after start-up', value: idle, unit: 'MiB' };
  for (const [name, bytes] of [
    ['Roster RSS after sustained login load', b.details.rssAfterLogins],
    ['Roster RSS after the list runs', b.details.rssAfterList],
  ] as const) {
    const value = mib(bytes);
    b.figures.push({ section: 'Memory', name, value, unit: 'MiB', baseline, ratio: ratio(value, idle) });
  }
  const importPeak = mib(b.details.importPeakRss);
  if (importPeak !== null) {
    const perRun = Number(b.details.importUsersPerRun).toLocaleString('en-US');
    b.figures.push({
      section: 'Memory',
      name: `roster import peak RSS (the CLI process, ${perRun} users a run)`,
      value: importPeak,
      unit: 'MiB',
      baseline,
      ratio: ratio(importPeak, idle),
    });
  }
}

main().catch((err) => {
  process.stderr.write(
    `[bench] failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`,
  );
  process.exit(1);
});

/**
 * The database's heap for a run in memory: at the full scale, 60 % of the machine's memory. The
 * JVM's default (a quarter) filled up at about 600k users with their links, and the run crawled.
 */
function inMemoryHeapMiB(opts: BenchOptions): number | undefined {
  return opts.scale === 'full' ? Math.floor((os.totalmem() / 2 ** 20) * 0.6) : undefined;
}
