import { once } from 'node:events';
import { createWriteStream } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Db } from 'mongodb';
import { interleave } from '../load';
import { type CliRun, runRosterCli } from '../processes';
import { bar, say } from '../progress';
import { insertUsers, type SeedTarget, userDocument } from '../seed';
import { compareRounds, ratio } from '../stats';
import { parseImportSummary, transferRecord } from '../transfer';
import type { Bench } from './context';

/** The issue's figure is for 100k users; smaller runs say how long that would take. */
const ISSUE_USERS = 100_000;

/** Writes users `from` … `from + count - 1` as JSON Lines. */
async function writeJsonl(file: string, target: SeedTarget, from: number, count: number): Promise<void> {
  const out = createWriteStream(file, { mode: 0o600 });
  const now = Date.now();
  for (let i = from; i < from + count; i++) {
    if (!out.write(`${JSON.stringify(transferRecord(userDocument(target, i, 0, now)))}\n`)) {
      await once(out, 'drain');
    }
  }
  out.end();
  await once(out, 'finish');
}

const counts = async (db: Db) => ({
  users: await db.collection('users').countDocuments({}),
  links: await db.collection('links').countDocuments({}),
});

/**
 * The product's bulk path: `roster import` (the built CLI, `node apps/server/dist/cli.js import
 * FILE`, at its default concurrency) of users with pre-hashed passwords, in the shape
 * `roster export` writes, against the same number of equivalent users inserted with the driver
 * (src/seed.ts: batches of 1000, the same set-up links), in alternating rounds. Both go to
 * databases of their own on the bench's database server, each prepared by the CLI (indexes and
 * built-in objects), and dropped at the end, so later phases see the directory they expect.
 */
export async function importPhase(b: Bench): Promise<void> {
  const section = 'Bulk';
  const { rounds } = b.opts;
  const perRound = Math.ceil(b.opts.importUsers / rounds);
  const importDbName = `${b.db.databaseName}_import`;
  const driverDbName = `${b.db.databaseName}_import_driver`;
  const ourDbs = [importDbName, driverDbName].flatMap((n) => [n, `${n}_selfcheck`]);
  const client = b.db.client;
  const importDb = client.db(importDbName);
  const driverDb = client.db(driverDbName);
  const target: SeedTarget = { db: driverDb, clusterId: b.clusterId, passwordHash: b.passwordHash };
  const dir = await mkdtemp(path.join(os.tmpdir(), 'roster-bench-import-'));
  const cliEnv = (dbName: string): Record<string, string> => ({
    NODE_ENV: 'production',
    MONGODB_URI: b.mongoUri,
    ROSTER_DB_NAME: dbName,
    ROSTER_CLUSTER_ID: b.clusterId,
    ROSTER_ARGON2_MEMORY_KIB: String(b.argon2.memoryCost),
    ROSTER_ARGON2_TIME_COST: String(b.argon2.timeCost),
    ROSTER_ARGON2_PARALLELISM: String(b.argon2.parallelism),
  });
  const cli = (file: string, dbName: string, onPoll?: () => void) =>
    runRosterCli(['import', file], cliEnv(dbName), {
      timeoutMs: 120_000 + perRound * 50,
      ...(onPoll ? { onPoll } : {}),
    });
  const failed = (what: string, run: CliRun) =>
    new Error(`${what}: exit code ${run.code}; ${run.stdout.trim().split('\n')[0] ?? ''}\n${run.stderr}`);

  try {
    for (const n of ourDbs) await client.db(n).dropDatabase();
    say(
      `roster import (the built CLI) of ${(perRound * rounds).toLocaleString('en-US')} users with pre-hashed ` +
        `passwords, against insertMany with the driver; ${rounds} rounds of ${perRound.toLocaleString('en-US')}`,
    );
    const files: string[] = [];
    for (let r = 0; r < rounds; r++) {
      const file = path.join(dir, `users-${r}.jsonl`);
      await writeJsonl(file, target, r * perRound, perRound);
      files.push(file);
    }
    // Both databases get their indexes and built-in objects from the CLI, untimed: an empty import.
    const empty = path.join(dir, 'empty.jsonl');
    await writeFile(empty, '');
    for (const dbName of [importDbName, driverDbName]) {
      const prepared = await cli(empty, dbName);
      if (prepared.code !== 0) throw failed('roster import of an empty file', prepared);
    }

    const r = await interleave(rounds, {
      driver: async (round: number) => {
        const progress = bar('insertMany with the driver', perRound, 'users');
        const stopMeter = b.meter();
        const done = await insertUsers(target, {
          from: round * perRound,
          count: perRound,
          onProgress: (n) => progress.update(n),
        }).finally(() => progress.stop());
        return { ...done, rate: done.inserted / done.seconds, cpu: stopMeter() };
      },
      cli: async (round: number) => {
        const before = await counts(importDb);
        const progress = bar('roster import', perRound, 'users');
        let counting = false;
        let lastCount = performance.now();
        const onPoll = () => {
          if (counting || performance.now() - lastCount < 2000) return;
          counting = true;
          lastCount = performance.now();
          void importDb
            .collection('users')
            .estimatedDocumentCount()
            .then((n) => progress.update(Math.max(0, Math.min(perRound, n - before.users))))
            .catch(() => {})
            .finally(() => {
              counting = false;
            });
        };
        const stopMeter = b.meter();
        const run = await cli(files[round]!, importDbName, onPoll).finally(() => progress.stop());
        const cpu = stopMeter();
        const after = await counts(importDb);
        const summary = parseImportSummary(run.stdout);
        say(
          `  roster import: ${run.stdout.trim().split('\n')[0] ?? '(no summary)'}; ` +
            `${run.wallSeconds.toFixed(1)} s with start-up; ${after.users - before.users} users and ` +
            `${after.links - before.links} links in the database; CLI CPU ${run.cpuSeconds?.toFixed(1) ?? '?'} s, ` +
            `peak RSS ${run.peakRss === null ? '?' : `${(run.peakRss / 2 ** 20).toFixed(0)} MiB`}`,
        );
        if (run.code !== 0 || !summary) throw failed('roster import', run);
        const { created, skipped, rejected } = summary;
        if (created !== perRound || skipped || rejected || after.users - before.users !== perRound) {
          throw new Error(
            `roster import created ${created}, skipped ${skipped}, rejected ${rejected} of ${perRound} users ` +
              `(${after.users - before.users} in the database)`,
          );
        }
        if (after.links - before.links !== 2 * perRound) {
          throw new Error(
            `roster import made ${after.links - before.links} set-up links for ${perRound} users`,
          );
        }
        return {
          created: perRound,
          wallSeconds: run.wallSeconds,
          importSeconds: summary.seconds,
          rate: perRound / run.wallSeconds,
          cliCpuSeconds: run.cpuSeconds,
          peakRss: run.peakRss,
          cpu,
        };
      },
    });

    const total = perRound * rounds;
    const c = compareRounds(
      r.cli.map((x) => x.rate),
      r.driver.map((x) => x.rate),
    );
    const sum = (xs: (number | null | undefined)[]) =>
      xs.some((x) => x == null) ? null : xs.reduce<number>((a, x) => a + (x as number), 0);
    const dbCpu = (runs: { cpu: { cpuSeconds: Record<string, number | null> } }[]) =>
      sum(runs.map((x) => x.cpu.cpuSeconds.database));
    const withDb = b.databasePid !== undefined;
    const perUserMs = (own: number | null, db: number | null) =>
      own === null || (withDb && db === null) ? null : ((own + (withDb ? db! : 0)) / total) * 1000;
    const cliCpuMs = perUserMs(sum(r.cli.map((x) => x.cliCpuSeconds)), dbCpu(r.cli));
    const driverCpuMs = perUserMs(sum(r.driver.map((x) => x.cpu.cpuSeconds.bench)), dbCpu(r.driver));
    const peakRss = Math.max(...r.cli.map((x) => x.peakRss ?? 0)) || null;
    const importSeconds = r.cli.reduce((a, x) => a + x.importSeconds, 0);
    b.details.importCli = { perRound, rounds: r, comparison: c, cliCpuMsPerUser: cliCpuMs, driverCpuMs };
    b.details.importPeakRss = peakRss;
    b.details.importUsersPerRun = perRound;
    b.figures.push(
      {
        section,
        name: `roster import (CLI) of pre-hashed users, as exported: ${total.toLocaleString('en-US')} users in ${rounds} runs, with start-up`,
        value: c.value,
        unit: 'users/s',
        baseline: {
          name: 'driver insertMany of the same users + set-up links, batches of 1000',
          value: c.baseline,
          unit: 'users/s',
        },
        ratio: c.ratio,
        range: c.range,
        note:
          `${Math.round(total / importSeconds)} users/s by the CLI's own summary, without start-up` +
          (total < ISSUE_USERS && c.value > 0
            ? `; not the issue's ${ISSUE_USERS / 1000}k, which would take about ` +
              `${Math.round(ISSUE_USERS / c.value / 60)} min at this rate (--full imports it)`
            : ''),
      },
      {
        section,
        name: `CPU per user through roster import (CLI process${withDb ? ' + database' : ''})`,
        value: cliCpuMs,
        unit: 'ms',
        baseline: {
          name: `driver insertMany (bench process${withDb ? ' + database' : ''})`,
          value: driverCpuMs,
          unit: 'ms',
        },
        ratio: ratio(cliCpuMs, driverCpuMs),
      },
    );
    say(
      `  roster import: ${c.value.toFixed(0)} users/s with start-up (${(total / importSeconds).toFixed(0)} users/s ` +
        `by its own summary) against ${c.baseline.toFixed(0)} users/s with the driver`,
    );
  } catch (err) {
    const reason = err instanceof Error ? err.message.split('\n')[0]! : String(err);
    say(`roster import not measured: ${reason}`);
    if (err instanceof Error && err.message.includes('\n')) process.stderr.write(`${err.message}\n`);
    b.notMeasured.push({ section, name: 'roster import (CLI), pre-hashed users', reason });
  } finally {
    for (const n of ourDbs)
      await client
        .db(n)
        .dropDatabase()
        .catch(() => {});
    await rm(dir, { recursive: true, force: true });
  }
}
