import { PasswordHasher } from '@roster/server/testing';
import { describe, expect, it } from 'vitest';
import { createRosterClient } from '../src/index';
import { failure, useServer } from './harness';

const ctx = useServer();

describe('auth.signup', () => {
  it('registers a user who can then sign in by username or by email, whatever its case', async () => {
    const user = await ctx.anon.auth.signup.mutate({
      username: 'Dakota',
      email: 'Dakota@Example.com',
      password: 'long enough pw',
    });
    expect(user).toMatchObject({
      username: 'Dakota',
      email: 'Dakota@Example.com',
      isActive: true,
      isAdmin: false,
    });
    expect(user.uuid).toMatch(/^zzzzz-tpzed-[a-z0-9]{15}$/);
    expect(user.groups?.length).toBe(1); // the "All users" group, Dioptra's public group

    const byName = await ctx.anon.auth.login.mutate({ login: 'dakota', password: 'long enough pw' });
    const byEmail = await ctx.anon.auth.login.mutate({
      login: 'DAKOTA@example.COM',
      password: 'long enough pw',
    });
    expect(byName.user.uuid).toBe(user.uuid);
    expect(byEmail.user.uuid).toBe(user.uuid);
    expect(byName.token).toMatch(/^v2\/zzzzz-gj3su-[a-z0-9]{15}\/[a-z0-9]{50}$/);
    expect(byName.user.lastLoginAt).not.toBeNull();

    const me = await ctx.client(byName.token).users.current.query();
    expect(me.uuid).toBe(user.uuid);
    expect(JSON.stringify(me)).not.toMatch(/argon2|passwordHash/);
  });

  it('rejects a second user with the same username or email, whatever its case, naming the field', async () => {
    await ctx.anon.auth.signup.mutate({
      username: 'taken',
      email: 'taken@example.com',
      password: 'long enough pw',
    });
    const byName = await failure(
      ctx.anon.auth.signup.mutate({
        username: 'TAKEN',
        email: 'other@example.com',
        password: 'long enough pw',
      }),
    );
    expect(byName).toMatchObject({
      code: 'CONFLICT',
      appCode: 'USERNAME_TAKEN',
      field: 'username',
      status: 409,
    });
    const byEmail = await failure(
      ctx.anon.auth.signup.mutate({
        username: 'other',
        email: 'TAKEN@example.com',
        password: 'long enough pw',
      }),
    );
    expect(byEmail).toMatchObject({ code: 'CONFLICT', appCode: 'EMAIL_TAKEN', field: 'email' });
  });

  it('lists every failing field of a bad signup and writes nothing', async () => {
    const before = await ctx.server.deps.models.User.countDocuments();
    const err = await failure(
      ctx.anon.auth.signup.mutate({ username: '1bad', email: 'not-an-email', password: 'short' }),
    );
    expect(err.code).toBe('BAD_REQUEST');
    expect(err.appCode).toBe('VALIDATION_FAILED');
    expect(Object.keys(err.fieldErrors ?? {}).sort()).toEqual(['email', 'password', 'username']);
    expect(await ctx.server.deps.models.User.countDocuments()).toBe(before);
  });

  it('answers operator objects where strings belong with a 400, not a query', async () => {
    const res = await fetch(`${ctx.url}/trpc/auth.login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ login: { $gt: '' }, password: { $gt: '' } }),
    });
    expect(res.status).toBe(400);
    const body = (await res.json()) as { error: { data: { fieldErrors: Record<string, string[]> } } };
    expect(Object.keys(body.error.data.fieldErrors).sort()).toEqual(['login', 'password']);
  });

  it('gives exactly one account when many signups race for one username in different cases', async () => {
    const names = [
      'raceName',
      'RACENAME',
      'racename',
      'RaceName',
      'rACEnAME',
      'raceNAME',
      'RACEname',
      'racEName',
    ];
    const results = await Promise.allSettled(
      names.map((username, i) =>
        ctx.anon.auth.signup.mutate({ username, email: `race${i}@example.com`, password: 'long enough pw' }),
      ),
    );
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    const rejected = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
    for (const r of rejected) expect(r.reason.data).toMatchObject({ code: 'CONFLICT', field: 'username' });
    expect(await ctx.server.deps.models.User.countDocuments({ usernameKey: 'racename' })).toBe(1);
  });
});

describe('auth.login', () => {
  it('fails the same way for an unknown user, a wrong password and a deactivated user', async () => {
    const u = await ctx.user({ username: 'loginfail' });
    const inactive = await ctx.user({ username: 'inactivelogin' });
    const admin = await ctx.user({ admin: true });
    await admin.client.users.update.mutate({ uuid: inactive.user.uuid, patch: { isActive: false } });
    const attempts = [
      ctx.anon.auth.login.mutate({ login: 'nobody-here', password: 'whatever pw' }),
      ctx.anon.auth.login.mutate({ login: u.username, password: 'wrong password' }),
      ctx.anon.auth.login.mutate({ login: inactive.username, password: inactive.password }),
      ctx.anon.auth.login.mutate({ login: u.username, password: '' }),
    ];
    const errors = await Promise.all(attempts.map(failure));
    for (const e of errors) {
      expect(e).toMatchObject({
        code: 'UNAUTHORIZED',
        appCode: 'INVALID_CREDENTIALS',
        message: 'Invalid username or password',
      });
    }
  });

  it('refuses an expired password with its own code, and lets it be changed with the old one', async () => {
    const u = await ctx.user({ username: 'expiring' });
    const admin = await ctx.user({ admin: true });
    await admin.client.users.update.mutate({
      uuid: u.user.uuid,
      patch: { passwordExpiresAt: new Date(Date.now() - 1000).toISOString() },
    });
    const err = await failure(ctx.anon.auth.login.mutate({ login: u.username, password: u.password }));
    expect(err).toMatchObject({ code: 'UNAUTHORIZED', appCode: 'PASSWORD_EXPIRED' });
    // The wrong old password is still the generic failure.
    const wrong = await failure(
      ctx.anon.auth.changeExpiredPassword.mutate({
        login: u.username,
        oldPassword: 'nope nope',
        newPassword: 'a brand new pw',
      }),
    );
    expect(wrong.appCode).toBe('INVALID_CREDENTIALS');
    await ctx.anon.auth.changeExpiredPassword.mutate({
      login: u.username,
      oldPassword: u.password,
      newPassword: 'a brand new pw',
    });
    const ok = await ctx.anon.auth.login.mutate({ login: u.username, password: 'a brand new pw' });
    expect(ok.user.passwordExpiresAt).toBeNull();
  });

  it('replaces a hash made with other argon2 parameters at the next successful login', async () => {
    const u = await ctx.user({ username: 'rehashme' });
    const weak = await new PasswordHasher({ memoryCost: 2048, timeCost: 1, parallelism: 1 }).hash(u.password);
    await ctx.server.deps.models.User.updateOne({ uuid: u.user.uuid }, { $set: { passwordHash: weak } });
    await ctx.anon.auth.login.mutate({ login: u.username, password: u.password });
    const stored = await ctx.server.deps.models.User.findOne({ uuid: u.user.uuid }).lean();
    expect(stored?.passwordHash).not.toBe(weak);
    expect(stored?.passwordHash).toMatch(/^\$argon2id\$v=19\$m=1024,t=1,p=1\$/);
  });
});

describe('auth.logout', () => {
  it('ends only this session, or every session and token with everywhere', async () => {
    const u = await ctx.user();
    const second = await ctx.anon.auth.login.mutate({ login: u.username, password: u.password });
    const api = await u.client.tokens.create.mutate({ label: 'ci' });

    await ctx.client(second.token).auth.logout.mutate({});
    expect((await failure(ctx.client(second.token).users.current.query())).code).toBe('UNAUTHORIZED');
    expect((await u.client.users.current.query()).uuid).toBe(u.user.uuid);

    const res = await u.client.auth.logout.mutate({ everywhere: true });
    expect(res.revoked).toBe(2);
    expect((await failure(u.client.users.current.query())).code).toBe('UNAUTHORIZED');
    expect((await failure(ctx.client(api.secret).users.current.query())).code).toBe('UNAUTHORIZED');
  });
});

describe('browser sessions', () => {
  it('sets an HttpOnly SameSite cookie and demands the CSRF header on cookie-authenticated mutations', async () => {
    const u = await ctx.user();
    const res = await fetch(`${ctx.url}/trpc/auth.login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ login: u.username, password: u.password }),
    });
    const setCookie = res.headers.get('set-cookie') ?? '';
    expect(setCookie).toMatch(/roster_session=v2%2F/);
    expect(setCookie).toMatch(/HttpOnly/);
    expect(setCookie).toMatch(/SameSite=Lax/);
    const body = (await res.json()) as { result: { data: { csrfToken: string } } };
    const cookie = setCookie.split(';')[0]!;

    const withCookie = (csrf?: string) =>
      createRosterClient({
        url: ctx.url,
        batch: false,
        headers: { cookie, ...(csrf ? { 'x-csrf-token': csrf } : {}) },
      });
    expect((await withCookie().users.current.query()).uuid).toBe(u.user.uuid);
    const denied = await failure(
      withCookie().users.update.mutate({ uuid: u.user.uuid, patch: { firstName: 'X' } }),
    );
    expect(denied).toMatchObject({ code: 'FORBIDDEN', appCode: 'CSRF_FAILED' });
    const wrong = await failure(
      withCookie('0'.repeat(40)).users.update.mutate({ uuid: u.user.uuid, patch: { firstName: 'X' } }),
    );
    expect(wrong.appCode).toBe('CSRF_FAILED');
    const ok = await withCookie(body.result.data.csrfToken).users.update.mutate({
      uuid: u.user.uuid,
      patch: { firstName: 'X' },
    });
    expect(ok.firstName).toBe('X');
    const session = await withCookie().auth.session.query();
    expect(session.csrfToken).toBe(body.result.data.csrfToken);
  });
});

describe('self-registration turned off', () => {
  const closed = useServer({ signupEnabled: false });
  it('refuses signup with SIGNUP_DISABLED', async () => {
    const err = await failure(
      closed.anon.auth.signup.mutate({
        username: 'nope',
        email: 'nope@example.com',
        password: 'long enough pw',
      }),
    );
    expect(err).toMatchObject({ code: 'FORBIDDEN', appCode: 'SIGNUP_DISABLED' });
    expect((await closed.anon.auth.info.query()).signupEnabled).toBe(false);
  });
});
