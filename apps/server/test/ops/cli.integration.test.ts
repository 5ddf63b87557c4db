import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createAdmin, resetPassword, setupAccount, unlockUser, unsetupAccount } from '../../src/cli/accounts';
import { EXIT_REJECTED_ROWS, runCli } from '../../src/cli/program';
import { login } from '../../src/services/auth';
import { ensureFirstAdmin, SETUP_TOKEN_LABEL } from '../../src/services/bootstrap';
import { lockoutStatus } from '../../src/services/lockout';
import { authenticateToken } from '../../src/services/tokens';
import { makeUser, startTestServer, type TestServer } from '../../src/testing';
import { runCliProcess } from './run-cli';

let server: TestServer;
let dir: string;
beforeAll(async () => {
  server = await startTestServer({
    uri: inject('mongoUri'),
    config: { lockout: { threshold: 2, baseMs: 60_000, maxMs: 60_000 } },
  });
  dir = mkdtempSync(path.join(tmpdir(), 'roster-cli-'));
});
afterAll(async () => {
  await server.close();
  rmSync(dir, { recursive: true, force: true });
});

const meta = { ip: '127.0.0.1', requestId: 'cli-test' };
/** The environment of an operator pointing the CLI at this test's database. */
const cliEnv = () => ({
  MONGODB_URI: inject('mongoUri'),
  ROSTER_DB_NAME: server.dbName,
  ROSTER_ARGON2_MEMORY_KIB: '1024',
  ROSTER_ARGON2_TIME_COST: '1',
});

describe('account commands', () => {
  it('create-admin makes an active admin and retires the one-time setup token', async () => {
    const first = await ensureFirstAdmin(server.deps);
    expect(first.kind).toBe('setup-token');
    const admin = await createAdmin(server.deps, {
      username: 'firstboss',
      email: 'firstboss@example.org',
      password: 'first boss password',
    });
    expect(admin).toMatchObject({ isAdmin: true, isActive: true });
    expect(await server.deps.models.Token.exists({ label: SETUP_TOKEN_LABEL })).toBeNull();
    const session = await login(server.deps, { login: 'firstboss', password: 'first boss password' }, meta);
    expect(session.user.isAdmin).toBe(true);
    expect(
      await server.deps.models.AuditEvent.exists({ action: 'cli.create-admin', targetUuid: admin.uuid }),
    ).toBeTruthy();
    await expect(
      createAdmin(server.deps, {
        username: 'FirstBoss',
        email: 'x@example.org',
        password: 'another password',
      }),
    ).rejects.toThrow('username: username is already taken');
    await expect(
      createAdmin(server.deps, { username: 'ok', email: 'not-an-email', password: 'another password' }),
    ).rejects.toThrow(/^email: /);
  });

  it('reset-password sets a new password, ends every session, and can force a change at the next sign-in', async () => {
    const u = await makeUser(server.deps);
    const r = await resetPassword(server.deps, u.email.toUpperCase(), 'brand new password');
    expect(r.revoked).toBeGreaterThanOrEqual(1);
    expect(await authenticateToken(server.deps, u.token, meta)).toBeNull();
    await expect(login(server.deps, { login: u.username, password: u.password }, meta)).rejects.toThrow();
    expect(
      (await login(server.deps, { login: u.username, password: 'brand new password' }, meta)).user.uuid,
    ).toBe(u.user.uuid);

    await resetPassword(server.deps, u.user.uuid, 'temporary password', { mustChange: true });
    await expect(
      login(server.deps, { login: u.username, password: 'temporary password' }, meta),
    ).rejects.toThrow(/expired/);
    await expect(resetPassword(server.deps, u.username, 'short')).rejects.toThrow(/^password: must be 8 to/);
    await expect(resetPassword(server.deps, 'nobody-here', 'long enough password')).rejects.toThrow(
      'no user "nobody-here"',
    );
  });

  it('unlock clears a lockout', async () => {
    const u = await makeUser(server.deps);
    for (let i = 0; i < 2; i++) {
      await expect(
        login(server.deps, { login: u.username, password: 'wrong password' }, meta),
      ).rejects.toThrow();
    }
    expect((await lockoutStatus(server.deps, u.user.uuid)).locked).toBe(true);
    await expect(login(server.deps, { login: u.username, password: u.password }, meta)).rejects.toThrow();
    expect(await unlockUser(server.deps, u.username)).toMatchObject({ wasLocked: true, cleared: true });
    expect((await login(server.deps, { login: u.username, password: u.password }, meta)).user.uuid).toBe(
      u.user.uuid,
    );
    expect(await unlockUser(server.deps, u.username)).toMatchObject({ wasLocked: false });
  });

  it('setup and unsetup a user', async () => {
    const u = await makeUser(server.deps);
    const undone = await unsetupAccount(server.deps, u.username);
    expect(undone).toMatchObject({ isActive: false, isInvited: false });
    const setUp = await setupAccount(server.deps, u.username);
    expect(setUp.user.isInvited).toBe(true);
    expect(setUp.links).toHaveLength(2);
    await expect(unsetupAccount(server.deps, server.deps.wellKnown.systemUser)).rejects.toThrow(
      'the system user cannot be unset up',
    );
  });

  it('answers an unknown command or a missing argument with exit code 1 and a message', async () => {
    const err = new PassThrough();
    let text = '';
    err.on('data', (d: Buffer) => {
      text += d.toString();
    });
    expect(await runCli(['frobnicate'], { out: new PassThrough(), err })).toBe(1);
    expect(text).toContain("unknown command 'frobnicate'");
    expect(await runCli(['unlock'], { out: new PassThrough(), err })).toBe(1);
    expect(text).toContain("missing required argument 'user'");
  });
});

describe('the roster command, as a process', () => {
  it('creates an admin from a password on stdin, who can then sign in over HTTP', async () => {
    const r = await runCliProcess(
      ['create-admin', '--username', 'procboss', '--email', 'procboss@example.org', '--password-stdin'],
      { env: cliEnv(), stdin: 'proc boss password\n' },
    );
    expect(r.stderr).toContain('database: MongoDB at');
    expect(r.stdout).toMatch(/^created admin procboss \(zzzzz-tpzed-[a-z0-9]{15}\)\n$/);
    expect(r.code).toBe(0);
    const res = await fetch(`${server.url}/trpc/auth.login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ login: 'procboss', password: 'proc boss password' }),
    });
    expect(res.status).toBe(200);
  });

  it('imports a CSV with a summary naming rejected lines (exit 2), then exports JSON Lines to stdout', async () => {
    const file = path.join(dir, 'people.csv');
    writeFileSync(
      file,
      [
        'username,email,firstName',
        'ivy,ivy@example.org,Ivy',
        'jay,not-an-email,Jay',
        'kim,kim@example.org,Kim',
      ].join('\n'),
    );
    const reportFile = path.join(dir, 'report.json');
    const imported = await runCliProcess(['import', file, '--report', reportFile], { env: cliEnv() });
    expect(imported.code).toBe(EXIT_REJECTED_ROWS);
    expect(imported.stdout).toMatch(/^2 created, 0 skipped, 1 rejected in [\d.]+ s\n/);
    expect(imported.stdout).toContain('line 3: rejected user jay: email: must be a valid email address');

    const exported = await runCliProcess(['export', '--quiet'], { env: cliEnv() });
    expect(exported.code).toBe(0);
    expect(exported.stderr).toBe('');
    const rows = exported.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { type: string; username?: string; passwordHash?: string });
    const names = rows.filter((r) => r.type === 'user').map((r) => r.username);
    expect(names).toEqual(expect.arrayContaining(['ivy', 'kim', 'procboss']));
    expect(names).not.toContain('jay');
    expect(rows.find((r) => r.username === 'procboss')?.passwordHash).toMatch(/^\$argon2id\$/);
  });
});
