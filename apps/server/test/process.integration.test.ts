import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startEmbeddedMongo } from '@roster/embedded-mongo';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { randomBase36 } from '../src/lib/ids';
import { ADMIN, buildServer, call, loginAdmin, startServer, stopServers } from './server-process';

beforeAll(buildServer);
afterAll(stopServers);

describe('the server process', () => {
  it('finishes in-flight requests on SIGTERM, refuses new ones, and exits 0 promptly', async () => {
    const s = await startServer({
      MONGODB_URI: inject('mongoUri'),
      ROSTER_DB_NAME: `proc_${randomBase36(8)}`,
    });
    const inFlight = Array.from({ length: 8 }, () =>
      call(s.url, 'auth.login', { login: ADMIN.username, password: ADMIN.password }),
    );
    await new Promise((r) => setTimeout(r, 5));
    const t0 = Date.now();
    s.child.kill('SIGTERM');
    const results = await Promise.all(inFlight);
    expect(results.map((r) => r.status)).toEqual(Array(8).fill(200));
    expect(await s.exited).toBe(0);
    expect(Date.now() - t0).toBeLessThan(10_000);
    await expect(fetch(`${s.url}/healthz`)).rejects.toThrow();
  });

  it('after SIGKILL in the middle of unsetups and merges, a restart shows no half-applied state', async () => {
    const env = { MONGODB_URI: inject('mongoUri'), ROSTER_DB_NAME: `crash_${randomBase36(8)}` };
    const s = await startServer(env);
    const admin = await loginAdmin(s.url);
    const users: { uuid: string; token: string }[] = [];
    for (let i = 0; i < 24; i++) {
      const username = `crash${i}`;
      const created = await call(
        s.url,
        'users.create',
        { username, email: `${username}@example.com`, password: 'crash user password' },
        admin,
      );
      const login = await call(s.url, 'auth.login', { login: username, password: 'crash user password' });
      users.push({
        uuid: created.body.result!.data.uuid as string,
        token: login.body.result!.data.token as string,
      });
    }
    const unsetups = users.slice(0, 12);
    const merges = [];
    for (let i = 12; i < 24; i += 2) merges.push({ from: users[i]!, into: users[i + 1]! });
    const work = [
      ...unsetups.map((u) => call(s.url, 'users.unsetup', { uuid: u.uuid }, admin).catch(() => null)),
      ...merges.map((m) =>
        call(
          s.url,
          'users.merge',
          {
            oldUserUuid: m.from.uuid,
            newUserUuid: m.into.uuid,
            newOwnerUuid: m.into.uuid,
            redirectToNewUser: true,
          },
          admin,
        ).catch(() => null),
      ),
    ];
    // Kill as soon as the first operation answers, while the others are under way.
    await Promise.race(work);
    s.child.kill('SIGKILL');
    await Promise.all(work);
    await s.exited;

    const again = await startServer(env);
    const admin2 = await loginAdmin(again.url);
    const get = async (uuid: string) => {
      const res = await fetch(
        `${again.url}/trpc/users.get?input=${encodeURIComponent(JSON.stringify({ uuid }))}`,
        { headers: { authorization: `Bearer ${admin2}` } },
      );
      return {
        status: res.status,
        user: ((await res.json()) as { result?: { data: Record<string, unknown> } }).result?.data,
      };
    };
    const works = async (token: string) =>
      (await fetch(`${again.url}/trpc/users.current`, { headers: { authorization: `Bearer ${token}` } }))
        .status === 200;
    let unsetDone = 0;
    for (const u of unsetups) {
      const { user } = await get(u.uuid);
      // Either untouched (active, in All users, token working) or wholly unset up.
      if (user!.isActive) {
        expect(user!.groups).toHaveLength(1);
        expect(await works(u.token)).toBe(true);
      } else {
        unsetDone += 1;
        expect(user).toMatchObject({ isAdmin: false, isInvited: false, groups: [], prefs: {} });
        expect(await works(u.token)).toBe(false);
      }
    }
    let mergesDone = 0;
    for (const m of merges) {
      const old = await get(m.from.uuid);
      if (old.status === 404) {
        mergesDone += 1;
        // Merged: the old token acts as the new user.
        const res = await fetch(`${again.url}/trpc/users.current`, {
          headers: { authorization: `Bearer ${m.from.token}` },
        });
        expect(((await res.json()) as { result: { data: { uuid: string } } }).result.data.uuid).toBe(
          m.into.uuid,
        );
      } else {
        expect(old.user!.groups).toHaveLength(1);
        expect(await works(m.from.token)).toBe(true);
      }
    }
    console.info(`crash: ${unsetDone}/12 unsetups and ${mergesDone}/6 merges had completed or were resumed`);
    again.child.kill('SIGTERM');
    await again.exited;
  });

  it('answers 503 while the database is down, stays up, reconnects, and keeps every acknowledged write', async () => {
    const dataDir = mkdtempSync(path.join(tmpdir(), 'roster-outage-'));
    try {
      // Its own persistent database, on a fixed port so that it can come back at the same address.
      let db = await startEmbeddedMongo({ dataDir });
      const port = new URL(db.uri).port;
      const s = await startServer({
        MONGODB_URI: db.uri,
        ROSTER_DB_NAME: 'outage',
        // No token cache: every request needs the database, the token check included.
        ROSTER_AUTH_CACHE_MS: '0',
        ROSTER_DB_TIMEOUT_MS: '1000',
      });
      const admin = await loginAdmin(s.url);
      const acked: string[] = [];
      for (let i = 0; i < 30; i++) {
        const r = await call(
          s.url,
          'users.create',
          { username: `kept${i}`, email: `kept${i}@example.com` },
          admin,
        );
        if (r.status === 200) acked.push(r.body.result!.data.uuid as string);
      }
      expect(acked).toHaveLength(30);

      db.kill('SIGKILL');
      await db.exited;
      const t0 = Date.now();
      const during = await call(
        s.url,
        'users.create',
        { username: 'lost', email: 'lost@example.com' },
        admin,
      );
      expect(during.status, JSON.stringify(during.body)).toBe(503);
      expect(during.body.error!.data.appCode).toBe('DATABASE_UNAVAILABLE');
      const failedIn = Date.now() - t0;
      expect(failedIn).toBeLessThan(5_000);
      expect((await fetch(`${s.url}/healthz`)).status).toBe(200);
      expect((await fetch(`${s.url}/readyz`)).status).toBe(503);

      db = await startEmbeddedMongo({ dataDir, port: Number(port) });
      let back = false;
      for (let i = 0; i < 100 && !back; i++) {
        back =
          (await call(s.url, 'users.list', {}, admin).catch(() => ({ status: 0 }))).status === 405 ||
          (await fetch(`${s.url}/readyz`)).status === 200;
        if (!back) await new Promise((r) => setTimeout(r, 200));
      }
      expect(back).toBe(true);
      const res = await fetch(
        `${s.url}/trpc/users.list?input=${encodeURIComponent(JSON.stringify({ filters: [['username', 'like', 'kept%']], count: true, limit: 1 }))}`,
        {
          headers: { authorization: `Bearer ${admin}` },
        },
      );
      const kept = ((await res.json()) as { result: { data: { itemsAvailable: number } } }).result.data
        .itemsAvailable;
      expect(kept).toBe(30);
      console.info(
        `outage: a write failed with 503 in ${failedIn} ms while the database was down; ${kept}/30 acknowledged writes kept`,
      );
      s.child.kill('SIGTERM');
      await s.exited;
      await db.stop();
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
