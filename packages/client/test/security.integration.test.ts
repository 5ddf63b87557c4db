import { startTestServer } from '@roster/server/testing';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createRosterClient } from '../src/index';
import { failure, useServer } from './harness';

describe('per-account lockout', () => {
  const ctx = useServer({ lockout: { threshold: 3, baseMs: 1_000, maxMs: 60_000 } });

  it('locks after the threshold with the same generic answer, escalates, and lets an admin see and clear it', async () => {
    const u = await ctx.user();
    const admin = await ctx.user({ admin: true });
    const wrong = () =>
      failure(ctx.anon.auth.login.mutate({ login: u.username, password: 'not the password' }));
    for (let i = 0; i < 3; i++) expect((await wrong()).appCode).toBe('INVALID_CREDENTIALS');
    // Locked: the right password gets the very same answer.
    const locked = await failure(ctx.anon.auth.login.mutate({ login: u.username, password: u.password }));
    expect(locked).toMatchObject({
      code: 'UNAUTHORIZED',
      appCode: 'INVALID_CREDENTIALS',
      message: 'Invalid username or password',
    });
    const status = await admin.client.users.lockout.query({ uuid: u.user.uuid });
    expect(status.locked).toBe(true);
    const firstWait = Date.parse(status.lockedUntil!) - Date.now();
    expect(firstWait).toBeGreaterThan(0);
    expect(firstWait).toBeLessThanOrEqual(1_000);

    // After the wait, three more failures lock for twice as long.
    await new Promise((r) => setTimeout(r, firstWait + 50));
    for (let i = 0; i < 3; i++) await wrong();
    const second = await admin.client.users.lockout.query({ uuid: u.user.uuid });
    expect(second.lockouts).toBe(2);
    expect(Date.parse(second.lockedUntil!) - Date.now()).toBeGreaterThan(1_000);

    expect((await admin.client.users.unlock.mutate({ uuid: u.user.uuid })).cleared).toBe(true);
    expect((await ctx.anon.auth.login.mutate({ login: u.username, password: u.password })).user.uuid).toBe(
      u.user.uuid,
    );
  });

  it('counts unknown logins too, so a lockout reveals nothing about existence', async () => {
    for (let i = 0; i < 4; i++) {
      const e = await failure(ctx.anon.auth.login.mutate({ login: 'ghost-user', password: 'whatever pw' }));
      expect(e.message).toBe('Invalid username or password');
    }
    expect(
      await ctx.server.deps.models.Lockout.countDocuments({
        _id: 'l:ghost-user',
        lockedUntil: { $ne: null },
      }),
    ).toBe(1);
  });
});

describe('lockout under parallel attempts', () => {
  // A long lock, so that a slow machine cannot let a second window open during the test.
  const ctx = useServer({ lockout: { threshold: 3, baseMs: 60_000, maxMs: 60_000 } });

  it('lets no more than the threshold of parallel attempts reach the password check', async () => {
    const u = await ctx.user();
    const stored = (await ctx.server.deps.models.User.findOne({ uuid: u.user.uuid }).lean())!.passwordHash;
    const hasher = ctx.server.deps.hasher;
    let realChecks = 0;
    const verify = hasher.verify.bind(hasher);
    // Counts checks against this user's hash (the dummy checks of refused attempts use another).
    hasher.verify = async (hash, password) => {
      if (hash === stored) realChecks += 1;
      return verify(hash, password);
    };
    try {
      const attempts = Array.from({ length: 30 }, () =>
        failure(ctx.anon.auth.login.mutate({ login: u.username, password: 'guess guess' })),
      );
      const results = await Promise.all(attempts);
      expect(new Set(results.map((r) => r.message))).toEqual(new Set(['Invalid username or password']));
      expect(realChecks).toBeLessThanOrEqual(3);
    } finally {
      hasher.verify = verify;
    }
  });
});

describe('password confirmations of a signed-in user', () => {
  const ctx = useServer({ lockout: { threshold: 3, baseMs: 60_000, maxMs: 60_000 } });

  it('count toward the account lockout, so a stolen session cannot guess the password', async () => {
    const u = await ctx.user();
    const admin = await ctx.user({ admin: true });
    for (const guess of ['guess one', 'guess two'])
      expect(
        await failure(
          u.client.users.changePassword.mutate({ oldPassword: guess, newPassword: 'whatever pw 1' }),
        ),
      ).toMatchObject({ appCode: 'INVALID_CREDENTIALS', field: 'oldPassword' });
    expect(await failure(u.client.users.deleteSelf.mutate({ password: 'guess three' }))).toMatchObject({
      appCode: 'INVALID_CREDENTIALS',
      field: 'password',
    });
    // Locked: the right password is refused too, here and at sign-in, until an admin clears it.
    expect(await failure(u.client.users.deleteSelf.mutate({ password: u.password }))).toMatchObject({
      appCode: 'INVALID_CREDENTIALS',
    });
    expect(
      await failure(ctx.anon.auth.login.mutate({ login: u.username, password: u.password })),
    ).toMatchObject({
      appCode: 'INVALID_CREDENTIALS',
    });
    expect((await admin.client.users.lockout.query({ uuid: u.user.uuid })).locked).toBe(true);
    await admin.client.users.unlock.mutate({ uuid: u.user.uuid });
    await u.client.users.changePassword.mutate({ oldPassword: u.password, newPassword: 'my new password 1' });
  });
});

describe('per-address rate limits', () => {
  const ctx = useServer({ rateLimitPerMinute: 4 });

  it('answers 429 RATE_LIMITED past the limit on signup, and leaves other procedures alone', async () => {
    const outcomes: string[] = [];
    for (let i = 0; i < 6; i++) {
      const r = await ctx.anon.auth.signup
        .mutate({ username: `limited${i}`, email: `limited${i}@example.com`, password: 'long enough pw' })
        .then(
          () => 'ok',
          (e: { data?: { appCode?: string; httpStatus?: number } }) =>
            `${e.data?.httpStatus} ${e.data?.appCode}`,
        );
      outcomes.push(r);
    }
    expect(outcomes.slice(0, 4)).toEqual(['ok', 'ok', 'ok', 'ok']);
    expect(outcomes.slice(4)).toEqual(['429 RATE_LIMITED', '429 RATE_LIMITED']);
    const u = await ctx.user();
    for (let i = 0; i < 6; i++) await u.client.users.current.query();
  });
});

describe('"taken" answers to self-registration', () => {
  const ctx = useServer({ signupConflictsPerHour: 3 });

  it('are rationed per address, in parallel too, while free names still register', async () => {
    const owner = await ctx.user();
    const probe = (i: number) =>
      failure(
        ctx.anon.auth.signup.mutate({
          username: i % 2 ? owner.username.toUpperCase() : `probe${i}x`,
          email: i % 2 ? `probe${i}@example.com` : owner.user.email!,
          password: 'long enough pw',
        }),
      ).then((e) => e.appCode);
    expect(await probe(1)).toBe('USERNAME_TAKEN');
    // A free name is not a probe: it registers and leaves the budget as it was.
    await ctx.anon.auth.signup.mutate({
      username: 'freshname',
      email: 'fresh@example.com',
      password: 'long enough pw',
    });

    // Ten probes at once: two more are told (three in all), the rest are refused unread.
    const answers = await Promise.all(Array.from({ length: 10 }, (_, i) => probe(i)));
    const told = answers.filter((a) => a === 'USERNAME_TAKEN' || a === 'EMAIL_TAKEN');
    expect(told).toHaveLength(2);
    expect(answers.filter((a) => a === 'RATE_LIMITED')).toHaveLength(8);
    console.info(`signup probes: 11 sent for a taken account, 3 answered "taken", 8 refused unread`);

    // Spent: the address gets no more answers for the hour, over REST either.
    const rest = await fetch(`${ctx.url}/api/v1/users/`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        username: owner.username,
        email: 'other@example.com',
        password: 'long enough pw',
        confirmPassword: 'long enough pw',
      }),
    });
    expect(rest.status).toBe(429);
    expect(JSON.stringify(await rest.json())).not.toMatch(/taken|exists/i);
  });
});

describe('two server processes on one database', () => {
  const uri = () => inject('mongoUri');
  let a: Awaited<ReturnType<typeof startTestServer>>;
  let b: Awaited<ReturnType<typeof startTestServer>>;
  const config = {
    authCacheMs: 500,
    lockout: { threshold: 4, baseMs: 60_000, maxMs: 60_000 },
    rateLimitPerMinute: 6,
  };
  beforeAll(async () => {
    a = await startTestServer({ uri: uri(), config });
    // Same database, separate process state (its own caches and models).
    b = await startTestServer({ uri: uri(), config, dbName: a.dbName });
  });
  afterAll(async () => {
    await b.close();
    await a.close();
  });

  it('stops a token revoked through one within the documented cache bound on the other', async () => {
    const { makeUser } = await import('@roster/server/testing');
    const u = await makeUser(a.deps);
    const onA = createRosterClient({ url: a.url, token: u.token, batch: false });
    const onB = createRosterClient({ url: b.url, token: u.token, batch: false });
    expect((await onB.users.current.query()).uuid).toBe(u.user.uuid);
    const revokedAt = Date.now();
    await onA.auth.logout.mutate({});
    let stillWorking = true;
    while (stillWorking && Date.now() - revokedAt < 5_000) {
      stillWorking = await onB.users.current.query().then(
        () => true,
        () => false,
      );
      if (stillWorking) await new Promise((r) => setTimeout(r, 50));
    }
    expect(stillWorking).toBe(false);
    expect(Date.now() - revokedAt).toBeLessThanOrEqual(config.authCacheMs + 300);
  });

  it('shows a membership granted through one in the other within the same bound', async () => {
    const { makeUser } = await import('@roster/server/testing');
    const u = await makeUser(a.deps);
    const admin = await makeUser(a.deps, { admin: true });
    const onB = createRosterClient({ url: b.url, token: u.token, batch: false });
    const adminOnA = createRosterClient({ url: a.url, token: admin.token, batch: false });
    // B caches the group list and u's groups; then A creates a group and adds u to it.
    const before = (await onB.users.current.query()).groups ?? [];
    await new Promise((r) => setTimeout(r, config.authCacheMs / 2));
    const group = await adminOnA.groups.create.mutate({ name: `cache bound ${Date.now()}` });
    const grantedAt = Date.now();
    await adminOnA.permissions.grant.mutate({
      tailUuid: u.user.uuid,
      headUuid: group.uuid,
      level: 'can_read',
    });
    const { id } = await adminOnA.groups.get.query({ uuid: group.uuid });
    let seen = false;
    while (!seen && Date.now() - grantedAt < 5_000) {
      seen = ((await onB.users.current.query()).groups ?? []).includes(id);
      if (!seen) await new Promise((r) => setTimeout(r, 50));
    }
    expect(before).not.toContain(id);
    expect(seen).toBe(true);
    expect(Date.now() - grantedAt).toBeLessThanOrEqual(config.authCacheMs + 300);
  });

  it('holds the lockout and the rate limit across both', async () => {
    const { makeUser } = await import('@roster/server/testing');
    const u = await makeUser(a.deps);
    const servers = [a, b].map((s) => createRosterClient({ url: s.url, batch: false }));
    for (let i = 0; i < 4; i++)
      await failure(servers[i % 2]!.auth.login.mutate({ login: u.username, password: 'wrong wrong' }));
    for (const s of servers) {
      expect((await failure(s.auth.login.mutate({ login: u.username, password: u.password }))).appCode).toBe(
        'INVALID_CREDENTIALS',
      );
    }
    // 4 + 2 logins so far from this address: the seventh on either server is over the limit of 6.
    const over = await failure(servers[1]!.auth.login.mutate({ login: u.username, password: u.password }));
    expect(over).toMatchObject({ status: 429, appCode: 'RATE_LIMITED' });
  });
});

describe('login timing', () => {
  const ctx = useServer({ argon2: { memoryCost: 19_456, timeCost: 2, parallelism: 1 } });

  it.each([
    { what: 'a wrong password', password: 'definitely wrong' },
    { what: 'an empty password', password: '' },
  ])(
    'takes the same time for an unknown user as for a known one with $what (medians within 15 percent)',
    async ({ what, password }) => {
      const u = await ctx.user();
      const time = async (login: string) => {
        const t0 = performance.now();
        await failure(ctx.anon.auth.login.mutate({ login, password }));
        return performance.now() - t0;
      };
      const unknown: number[] = [];
      const known: number[] = [];
      await time(u.username);
      for (let i = 0; i < 25; i++) {
        unknown.push(await time(`nobody${i}`));
        known.push(await time(u.username));
      }
      const median = (xs: number[]) => [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)]!;
      const [mu, mk] = [median(unknown), median(known)];
      console.info(
        `timing: median ${mu.toFixed(1)} ms for unknown users vs ${mk.toFixed(1)} ms for ${what} over 25 each`,
      );
      expect(
        Math.abs(mu - mk) / Math.max(mu, mk),
        `unknown ${mu.toFixed(1)} ms vs ${what} ${mk.toFixed(1)} ms`,
      ).toBeLessThan(0.15);
    },
  );
});

describe('HTTP hardening', () => {
  const ctx = useServer({ corsOrigins: ['https://console.example'] });

  it('answers CORS only for allowlisted origins', async () => {
    const preflight = (origin: string) =>
      fetch(`${ctx.url}/trpc/users.current`, {
        method: 'OPTIONS',
        headers: { origin, 'access-control-request-method': 'GET' },
      });
    expect((await preflight('https://console.example')).headers.get('access-control-allow-origin')).toBe(
      'https://console.example',
    );
    expect((await preflight('https://evil.example')).headers.get('access-control-allow-origin')).toBeNull();
  });

  it('rejects every wrong type, operator object, huge string and bad prefs key with a 4xx and writes nothing', async () => {
    const admin = await ctx.user({ admin: true });
    const before = await ctx.server.deps.models.User.countDocuments();
    const bodies: unknown[] = [
      { email: { $gt: '' } },
      { email: 'a@b.c', username: ['x'] },
      { email: 'a@b.c', username: 'x'.repeat(100_000) },
      { email: 'a@b.c', prefs: { 'a.b': 1 } },
      { email: 'a@b.c', prefs: { $set: 1 } },
      { email: 'a@b.c', prefs: { deep: [[1]] } },
      { email: 'a@b.c', isAdmin: 'yes' },
      { email: 'a@b.c', firstName: 'nul\u0000byte' },
      'not an object',
      null,
    ];
    for (const body of bodies) {
      const res = await fetch(`${ctx.url}/trpc/users.create`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${admin.token}` },
        body: JSON.stringify(body),
      });
      expect([400, 413], JSON.stringify(body).slice(0, 80)).toContain(res.status);
    }
    const invalidUtf8 = await fetch(`${ctx.url}/trpc/auth.login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: Buffer.from([0x7b, 0x22, 0x6c, 0x6f, 0x67, 0x69, 0x6e, 0x22, 0x3a, 0x22, 0xff, 0xfe, 0x22, 0x7d]),
    });
    expect(invalidUtf8.status).toBeGreaterThanOrEqual(400);
    expect(invalidUtf8.status).toBeLessThan(500);
    expect(await ctx.server.deps.models.User.countDocuments()).toBe(before);
  });
});
