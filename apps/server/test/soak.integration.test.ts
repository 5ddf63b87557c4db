import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { randomBase36 } from '../src/lib/ids';
import { buildServer, call, loginAdmin, query, startServer, stopServers } from './server-process';

/**
 * A mixed workload against the built server for ROSTER_SOAK_SECONDS (20 s in the default run;
 * set it to hours for a real soak): sign-ins and sign-outs, reads, token create/use/revoke,
 * group membership flips, signups, listing, and a stream of wrong passwords that keeps an account
 * locked. Fails on any 5xx, any acknowledged write missing at the end, any revoked token that
 * still works, or any membership that differs from the last acknowledged change.
 */
const SECONDS = Number(process.env.ROSTER_SOAK_SECONDS ?? 20);
const WORKERS = 6;
const PASSWORD = 'soak test password';
const OUT = path.resolve(import.meta.dirname, '../test-output');

beforeAll(buildServer);
afterAll(stopServers);

const rssKiB = (pid: number) =>
  Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? Number.NaN);

describe(`soak (${SECONDS} s, ${WORKERS} workers)`, () => {
  it('serves a mixed workload with no 5xx, no lost write and consistent memberships', {
    timeout: (SECONDS + 120) * 1000,
  }, async () => {
    const s = await startServer({
      MONGODB_URI: inject('mongoUri'),
      ROSTER_DB_NAME: `soak_${randomBase36(8)}`,
      ROSTER_LOCKOUT_THRESHOLD: '3',
      ROSTER_SIGNUP_CONFLICTS_PER_HOUR: '0',
    });
    const admin = await loginAdmin(s.url);
    const ok = <T = Record<string, unknown>>(r: { status: number; body: { result?: { data: unknown } } }) => {
      expect(r.status, JSON.stringify(r.body)).toBe(200);
      return r.body.result!.data as T;
    };
    const group = ok<{ uuid: string }>(
      await call(s.url, 'groups.create', { name: `soak ${randomBase36(6)}` }, admin),
    );
    const victim = ok<{ uuid: string; username: string }>(
      await call(
        s.url,
        'users.create',
        {
          username: `victim${randomBase36(6)}`,
          email: `v${randomBase36(6)}@example.com`,
          password: PASSWORD,
        },
        admin,
      ),
    );

    const counts: Record<string, number> = {};
    const statuses: Record<number, number> = {};
    const signedUp: string[] = [];
    const revokedSecrets: string[] = [];
    const expectedMember = new Map<string, boolean>();
    const tally = (op: string, status: number) => {
      counts[op] = (counts[op] ?? 0) + 1;
      statuses[status] = (statuses[status] ?? 0) + 1;
    };
    const rssStart = rssKiB(s.child.pid!);
    const deadline = Date.now() + SECONDS * 1000;

    async function worker(w: number) {
      const me = ok<{ uuid: string; username: string }>(
        await call(
          s.url,
          'users.create',
          {
            username: `worker${w}${randomBase36(6)}`,
            email: `w${w}${randomBase36(6)}@example.com`,
            password: PASSWORD,
          },
          admin,
        ),
      );
      expectedMember.set(me.uuid, false);
      for (let i = 0; Date.now() < deadline; i++) {
        const login = await call(s.url, 'auth.login', { login: me.username, password: PASSWORD });
        tally('auth.login', login.status);
        const session = ok<{ token: string }>(login).token;

        const current = await query(s.url, 'users.current', {}, session);
        tally('users.current', current.status);
        expect(ok<{ uuid: string }>(current).uuid).toBe(me.uuid);

        const created = await call(s.url, 'tokens.create', { label: `soak ${i}` }, session);
        tally('tokens.create', created.status);
        const token = ok<{ secret: string; token: { uuid: string } }>(created);
        tally('users.current', (await query(s.url, 'users.current', {}, token.secret)).status);
        const revoked = await call(s.url, 'tokens.revoke', { uuid: token.token.uuid }, session);
        tally('tokens.revoke', revoked.status);
        ok(revoked);
        revokedSecrets.push(token.secret);
        const afterRevoke = await query(s.url, 'users.current', {}, token.secret);
        tally('users.current (revoked token)', afterRevoke.status);
        expect(afterRevoke.status, 'a revoked token still works').toBe(401);

        const isMember = expectedMember.get(me.uuid)!;
        const flip = isMember
          ? await call(s.url, 'permissions.revoke', { tailUuid: me.uuid, headUuid: group.uuid }, admin)
          : await call(
              s.url,
              'permissions.grant',
              { tailUuid: me.uuid, headUuid: group.uuid, level: 'can_read' },
              admin,
            );
        tally(isMember ? 'permissions.revoke' : 'permissions.grant', flip.status);
        ok(flip);
        expectedMember.set(me.uuid, !isMember);

        const name = `soak${w}x${i}${randomBase36(4)}`;
        const signup = await call(s.url, 'auth.signup', {
          username: name,
          email: `${name}@example.com`,
          password: PASSWORD,
        });
        tally('auth.signup', signup.status);
        signedUp.push(ok<{ uuid: string }>(signup).uuid);

        const guess = await call(s.url, 'auth.login', { login: victim.username, password: 'a wrong guess' });
        tally('auth.login (wrong)', guess.status);
        expect(guess.status).toBe(401);

        const list = await query(
          s.url,
          'users.list',
          {
            filters: [['username', 'like', 'soak%']],
            order: [{ field: 'createdAt', dir: 'desc' }],
            limit: 20,
          },
          admin,
        );
        tally('users.list', list.status);
        ok(list);

        tally('auth.logout', (await call(s.url, 'auth.logout', {}, session)).status);
      }
    }
    const t0 = Date.now();
    await Promise.all(Array.from({ length: WORKERS }, (_, w) => worker(w)));
    const elapsed = (Date.now() - t0) / 1000;
    const rssEnd = rssKiB(s.child.pid!);

    // Every acknowledged signup is there; every revoked token stays refused; memberships match.
    for (const uuid of signedUp)
      expect(ok<{ uuid: string }>(await query(s.url, 'users.get', { uuid }, admin)).uuid).toBe(uuid);
    for (const secret of revokedSecrets.slice(-20))
      expect((await query(s.url, 'users.current', {}, secret)).status).toBe(401);
    const members = ok<{ items: { memberUuid: string }[] }>(
      await query(s.url, 'groups.members', { uuid: group.uuid, limit: 1000 }, admin),
    );
    const actual = new Set(members.items.map((m) => m.memberUuid));
    for (const [uuid, member] of expectedMember)
      expect(actual.has(uuid), `membership of ${uuid}`).toBe(member);
    // The victim stayed locked, and the lockout did not spill onto anyone else.
    const lock = ok<{ locked: boolean }>(await query(s.url, 'users.lockout', { uuid: victim.uuid }, admin));
    expect(lock.locked).toBe(true);

    const total = Object.values(counts).reduce((a, b) => a + b, 0);
    const fivexx = Object.entries(statuses)
      .filter(([st]) => Number(st) >= 500)
      .reduce((a, [, n]) => a + n, 0);
    expect(fivexx).toBe(0);
    const summary = {
      seconds: Math.round(elapsed),
      workers: WORKERS,
      requests: total,
      requestsPerSecond: Math.round(total / elapsed),
      byOperation: counts,
      byStatus: statuses,
      signupsKept: `${signedUp.length}/${signedUp.length}`,
      rssKiB: { start: rssStart, end: rssEnd },
    };
    mkdirSync(OUT, { recursive: true });
    writeFileSync(path.join(OUT, 'soak.json'), `${JSON.stringify(summary, null, 2)}\n`);
    console.info(
      `soak: ${total} requests in ${summary.seconds} s by ${WORKERS} workers, 0 × 5xx, ${signedUp.length} signups all kept, ${revokedSecrets.length} revoked tokens refused, RSS ${Math.round(rssStart / 1024)} → ${Math.round(rssEnd / 1024)} MiB`,
    );
  });
});
