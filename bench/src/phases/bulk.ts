import argon2 from 'argon2';
import { request } from '../http';
import { closedLoop, interleave } from '../load';
import { bar, say, timedBar } from '../progress';
import { compareRounds } from '../stats';
import type { Bench } from './context';

/**
 * Users created per second through users.create as an admin (each hashes its password),
 * against raw argon2id hashes per second at the same concurrency, in alternating rounds. The
 * direct inserts with pre-hashed passwords are measured by the listing phase, which needs them.
 */
export async function bulkApiPhase(b: Bench): Promise<void> {
  const { concurrency, seconds, rounds, apiUsers } = b.opts;
  const perRound = Math.ceil(apiUsers / rounds);
  say(
    `users.create as admin with passwords, ${apiUsers} users, ${concurrency} at a time, against raw argon2id hash; ${rounds} rounds`,
  );
  let next = 0;
  const r = await interleave(rounds, {
    rawHash: () => {
      const progress = timedBar('argon2.hash in this process', seconds);
      return closedLoop({
        concurrency,
        seconds,
        meter: b.meter,
        op: async (i) =>
          void (await argon2.hash(`${b.password}-${i}`, { type: argon2.argon2id, ...b.argon2 })),
      }).finally(() => progress.stop());
    },
    create: () => {
      const progress = bar('users.create', perRound, 'users');
      return closedLoop({
        concurrency,
        count: perRound,
        meter: b.meter,
        onProgress: (n) => progress.update(n),
        op: async () => {
          const i = next++;
          const res = await request(`${b.roster.url}/trpc/users.create`, {
            method: 'POST',
            headers: { authorization: `Bearer ${b.adminToken}` },
            body: JSON.stringify({
              username: `api${i}`,
              email: `api${i}@example.com`,
              password: b.password,
              firstName: 'Api',
              lastName: `User${i}`,
            }),
          });
          if (res.status !== 200)
            throw new Error(`users.create answered ${res.status}: ${res.body.slice(0, 200)}`);
        },
      }).finally(() => progress.stop());
    },
  });
  const failed = r.create.reduce((n, x) => n + x.failed, 0);
  const created = r.create.reduce((n, x) => n + x.done, 0);
  if (failed) say(`  ${failed} creations failed; first: ${r.create.find((x) => x.firstError)?.firstError}`);
  const c = compareRounds(
    r.create.map((x) => x.rate),
    r.rawHash.map((x) => x.rate),
  );
  b.details.bulkApi = { rounds: r, comparison: c, created, failed };
  b.measured.apiCreatesPerSecond = c.value;
  b.figures.push({
    section: 'Bulk',
    name: `users.create as admin, with password, ${concurrency} concurrent (${created} users)`,
    value: c.value,
    unit: 'users/s',
    baseline: { name: `raw argon2id hash, ${concurrency} concurrent`, value: c.baseline, unit: '/s' },
    ratio: c.ratio,
    range: c.range,
  });
}
