import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { makeUser, startTestServer, type TestServer } from '../../src/testing';
import { ensureVenv, runClient } from './python';
import { expectNoSecretsLeft } from './secrets';

/**
 * Roster's Dioptra dialect (/api/v1), proven by Dioptra's own Python client from
 * `dioptra-platform`, unchanged, in a venv the test builds once (see ensure-venv.sh).
 */

let server: TestServer;
let python: string;
const logLines: string[] = [];
beforeAll(async () => {
  const venv = await ensureVenv();
  python = venv.python;
  console.log(`[compat] Python venv ready in ${venv.ms} ms`);
  server = await startTestServer({ uri: inject('mongoUri'), logLines });
}, 15 * 60_000);
afterAll(() => server?.close());

const url = (path: string) => `${server.url}${path}`;

describe("Dioptra's Python client against /api/v1", () => {
  const username = `dio${Date.now().toString(36)}`;
  // biome-ignore lint/suspicious/noExplicitAny: the script prints free-form JSON, asserted field by field
  let out: Record<string, any>;
  let expired: Awaited<ReturnType<typeof makeUser>>;

  beforeAll(async () => {
    expired = await makeUser(server.deps, { password: 'expired password' });
    await server.deps.models.User.updateOne(
      { uuid: expired.user.uuid },
      { $set: { passwordExpiresAt: new Date(Date.now() - 1000) } },
    );
    const run = await runClient(python, 'dioptra_client.py', {
      ROSTER_URL: server.url,
      USERNAME: username,
      EXPIRED_ID: String(expired.user.id),
      EXPIRED_USERNAME: expired.username,
      EXPIRED_PASSWORD: 'expired password',
    });
    out = run.out;
    console.log(`[compat] dioptra_client.py ran ${Object.keys(out).length} steps in ${run.ms} ms`);
  }, 5 * 60_000);

  it('registers a user with its groups, and refuses the same username in another case with a 409', () => {
    expect(out.create).toMatchObject({ username, email: `${username}@example.com`, lastLoginOn: null });
    expect(out.create.id).toEqual(expect.any(Number));
    expect(out.create.groups).toEqual([
      { id: expect.any(Number), name: 'All users', url: expect.stringMatching(/^\/api\/v1\/groups\/\d+$/) },
    ]);
    expect(out.duplicate.status).toBe(409);
    expect(out.duplicate.body).toMatchObject({
      error: 'EntityExistsError',
      message: 'Conflict - username is already taken',
      detail: { field: 'username' },
      originating_path: '/api/v1/users',
    });
  });

  it('logs in with the session cookie and reads the current user, by id, by search and by page', () => {
    expect(out.anonymous_current.status).toBe(401);
    expect(out.anonymous_current.body.error).toBe('NoCurrentUserError');
    expect(out.bad_login).toMatchObject({ status: 401, body: { error: 'UserAuthenticationError' } });
    expect(out.login).toEqual({ username, status: 'Login successful' });
    expect(out.current).toMatchObject({ id: out.create.id, username, groups: out.create.groups });
    expect(Date.parse(out.current.lastLoginOn)).not.toBeNaN();
    expect(out.by_id).toEqual({ id: out.create.id, username, email: `${username}@example.com` });
    expect(out.search).toMatchObject({ index: 0, isComplete: true, totalNumResults: 1, data: [out.by_id] });
    expect(out.search.first).toBe(`/api/v1/users?index=0&pageLength=10&search=username%3A${username}`);
    expect(out.search_prefix.data).toEqual([out.by_id]);
    expect(out.page).toMatchObject({
      index: 0,
      isComplete: false,
      next: '/api/v1/users?index=1&pageLength=1',
    });
    expect(out.page.data).toHaveLength(1);
    expect(out.page.totalNumResults).toBeGreaterThanOrEqual(2);
    expect(out.bad_search.status).toBe(422);
    expect(out.bad_search.body.message).toContain("'nosuchfield' is not a valid field");
    expect(out.missing_user).toMatchObject({ status: 404, body: { error: 'EntityDoesNotExistError' } });
  });

  it('shows "All users" as the public group, with its members and their permissions', () => {
    const all = out.groups.data.find((g: { name: string }) => g.name === 'All users');
    expect(all).toBeDefined();
    expect(out.group).toEqual(all);
    const me = all.members.find((m: { user: { id: number } }) => m.user.id === out.create.id);
    expect(me).toEqual({
      user: { id: out.create.id, username, url: `/api/v1/users/${out.create.id}` },
      group: { id: all.id, name: 'All users', url: `/api/v1/groups/${all.id}` },
      permissions: {
        read: true,
        write: true,
        shareRead: false,
        shareWrite: false,
        owner: false,
        admin: false,
      },
    });
  });

  it('changes the email and the password; the wrong current password is a 403', () => {
    expect(out.modify.email).toBe(`new.${username}@example.com`);
    expect(out.wrong_old_password.status).toBe(403);
    expect(out.wrong_old_password.body).toMatchObject({
      error: 'UserPasswordChangeError',
      message: 'Forbidden - Invalid Current Password.',
    });
    expect(out.change_password).toEqual({ status: 'Password Change Success' });
    expect(out.current_after_change.id).toBe(out.create.id);
  });

  it('logs out (here and everywhere), after which the session and the old password no longer work', () => {
    expect(out.logout).toEqual({ username, everywhere: false, status: 'Logout successful' });
    expect(out.current_after_logout.status).toBe(401);
    expect(out.old_password_login.status).toBe(401);
    expect(out.change_password_by_id).toEqual({ status: 'Password Change Success' });
    expect(out.login_again.status).toBe('Login successful');
    expect(out.logout_everywhere).toEqual({ username, everywhere: true, status: 'Logout successful' });
  });

  it('deletes the current user only with their password', () => {
    expect(out.delete_wrong_password.status).toBe(401);
    expect(out.delete).toEqual({ status: 'Success', id: [out.create.id] });
    expect(out.login_deleted.status).toBe(401);
  });

  it('refuses an expired password at login, and changes it by user id without a session', () => {
    expect(out.expired_login.status).toBe(401);
    expect(out.expired_login.body).toMatchObject({ error: 'UserPasswordError' });
    expect(out.expired_login.body.message).toContain('expired');
    // An unknown id answers exactly as a wrong password does.
    expect(out.expired_wrong_id).toMatchObject({ status: 403, body: { error: 'UserPasswordChangeError' } });
    expect(out.expired_change).toEqual({ status: 'Password Change Success' });
    expect(out.expired_login_after.status).toBe('Login successful');
    expect(out.expired_current).toMatchObject({ id: expired.user.id, username: expired.username });
    expect(Date.parse(out.expired_current.passwordExpiresOn ?? '9999-01-01')).toBeGreaterThan(Date.now());
  });

  it('never answers with a password, a hash or a session secret', () => {
    const text = JSON.stringify(out);
    for (const secret of [
      '$argon2',
      'passwordHash',
      'first password',
      'second password',
      'third password',
      'v2/',
    ]) {
      expect(text).not.toContain(secret);
    }
  });

  it('keeps passwords, password hashes and token secrets out of the log and the audit trail', () =>
    expectNoSecretsLeft(server, logLines, [
      'first password',
      'second password',
      'third password',
      'expired password',
    ]));

  it('audits every mutation with the native action name, credentials redacted', async () => {
    const events = await server.deps.models.AuditEvent.find({ 'changes.via': 'dioptra' }).lean();
    const actions = new Set(events.map((e) => e.action));
    for (const action of [
      'auth.signup',
      'auth.login',
      'auth.logout',
      'users.changePassword',
      'auth.changeExpiredPassword',
      'users.deleteSelf',
    ]) {
      expect(actions).toContain(action);
    }
    const text = JSON.stringify(events);
    expect(text).not.toContain('first password');
    expect(text).not.toContain('expired password');
  });
});

describe('Dioptra dialect over plain HTTP', () => {
  async function loginCookie() {
    const user = await makeUser(server.deps);
    const res = await fetch(url('/api/v1/auth/login'), {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: user.username, password: user.password }),
    });
    expect(res.status).toBe(200);
    const cookie = res.headers.get('set-cookie') ?? '';
    expect(cookie).toMatch(/^roster_session=[^;]+;.*HttpOnly/i);
    expect(cookie).toMatch(/SameSite=Lax/i);
    return { user, cookie: cookie.split(';')[0]! };
  }
  const logout = (cookie: string, headers: Record<string, string> = {}) =>
    fetch(url('/api/v1/auth/logout'), { method: 'POST', headers: { cookie, ...headers } });

  it('refuses a cookie-authenticated mutation that a browser marks as cross-site', async () => {
    const { cookie } = await loginCookie();
    const fromEvil = await logout(cookie, { origin: 'https://evil.example' });
    expect(fromEvil.status).toBe(403);
    expect(await fromEvil.json()).toMatchObject({
      error: 'Forbidden',
      message: expect.stringContaining('another site'),
    });
    expect((await logout(cookie, { 'sec-fetch-site': 'cross-site' })).status).toBe(403);
    // The session survived both attempts; a same-origin request may use it.
    const same = await logout(cookie, { origin: server.url, 'sec-fetch-site': 'same-origin' });
    expect(same.status).toBe(200);
    expect((await fetch(url('/api/v1/users/current'), { headers: { cookie } })).status).toBe(401);
  });

  it('accepts a bearer token too, and reads do not need the same-origin check', async () => {
    const user = await makeUser(server.deps);
    const res = await fetch(url('/api/v1/users/current'), {
      headers: { authorization: `Bearer ${user.token}`, origin: 'https://elsewhere.example' },
    });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ id: user.user.id, username: user.username });
  });

  it("answers unknown paths, malformed JSON and invalid input in Dioptra's error envelope", async () => {
    const missing = await fetch(url('/api/v1/experiments'));
    expect(missing.status).toBe(404);
    expect(await missing.json()).toMatchObject({
      error: 'EntityDoesNotExistError',
      originating_path: '/api/v1/experiments',
    });
    const malformed = await fetch(url('/api/v1/auth/login'), {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"username": ',
    });
    expect(malformed.status).toBe(400);
    expect(await malformed.json()).toMatchObject({
      message: 'Bad Request - The request body is not valid JSON',
    });
    const invalid = await fetch(url('/api/v1/users'), {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: '1bad', email: 'nope', password: 'short', confirmPassword: 'short' }),
    });
    expect(invalid.status).toBe(400);
    const body = (await invalid.json()) as { error: string; message: string };
    expect(body.error).toBe('QueryParameterValidationError');
    expect(body.message).toMatch(/username .*email .*password/);
  });

  it('refuses a registration whose confirmation differs from the password', async () => {
    const res = await fetch(url('/api/v1/users'), {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        username: 'mismatch',
        email: 'mismatch@example.com',
        password: 'long enough 1',
        confirmPassword: 'long enough 2',
      }),
    });
    expect(res.status).toBe(400);
    expect(await server.deps.models.User.exists({ usernameKey: 'mismatch' })).toBeNull();
  });
});
