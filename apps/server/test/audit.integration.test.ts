import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createContextInner } from '../src/context';
import { createCaller } from '../src/router';
import { makeUser, startTestServer, type TestServer } from '../src/testing';

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer({ uri: inject('mongoUri') });
});
afterAll(() => server.close());

const post = (path: string, body: unknown, token?: string) =>
  fetch(`${server.url}/trpc/${path}`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      'x-request-id': 'req-audit-test',
      ...(token ? { authorization: `Bearer ${token}` } : {}),
    },
    body: JSON.stringify(body),
  });

describe('audit log', () => {
  it('records logins that succeed and fail, mutations and refusals, with secrets redacted', async () => {
    const admin = await makeUser(server.deps, { admin: true });
    const u = await makeUser(server.deps);
    await post('auth.login', { login: u.username, password: u.password });
    await post('auth.login', { login: u.username, password: 'wrong password!' });
    await post('users.update', { uuid: u.user.uuid, patch: { firstName: 'Audited' } }, admin.token);
    await post('users.update', { uuid: admin.user.uuid, patch: { isAdmin: false } }, u.token);
    await post('users.changePassword', { oldPassword: u.password, newPassword: 'fresh password 1' }, u.token);

    const adminUser = (await server.deps.models.User.findOne({ uuid: admin.user.uuid }).lean())!;
    const caller = createCaller(
      createContextInner({
        deps: server.deps,
        actor: { user: adminUser as never, token: null, via: 'internal' },
      }),
    );
    const { items } = await caller.audit.list({
      filters: [['at', '>=', new Date(Date.now() - 60_000).toISOString()]],
      limit: 100,
    });
    const find = (action: string, outcome: string) =>
      items.find((e) => e.action === action && e.outcome === outcome);

    expect(find('auth.login', 'success')).toMatchObject({ actorUuid: u.user.uuid, targetUuid: u.user.uuid });
    expect(find('auth.login', 'failure')).toMatchObject({
      actorUuid: null,
      errorCode: 'INVALID_CREDENTIALS',
      changes: { login: u.username, password: '[redacted]' },
    });
    expect(find('users.update', 'success')).toMatchObject({
      actorUuid: admin.user.uuid,
      targetUuid: u.user.uuid,
      changes: { firstName: 'Audited' },
      requestId: 'req-audit-test',
    });
    expect(find('users.update', 'denied')).toMatchObject({
      actorUuid: u.user.uuid,
      targetUuid: admin.user.uuid,
      errorCode: 'FORBIDDEN',
    });
    const pw = find('users.changePassword', 'success');
    expect(pw?.changes).toEqual({ oldPassword: '[redacted]', newPassword: '[redacted]' });

    const everything = JSON.stringify(await server.deps.models.AuditEvent.find({}).lean());
    for (const secret of [
      u.password,
      'fresh password 1',
      'wrong password!',
      u.token.split('/')[2]!,
      admin.token.split('/')[2]!,
    ]) {
      expect(everything).not.toContain(secret);
    }
  });

  it('filters and pages events with the shared list vocabulary, admins only', async () => {
    const admin = await makeUser(server.deps, { admin: true });
    const res = await fetch(
      `${server.url}/trpc/audit.list?input=${encodeURIComponent(JSON.stringify({ filters: [['action', '=', 'auth.login']], count: true, limit: 2 }))}`,
      {
        headers: { authorization: `Bearer ${admin.token}` },
      },
    );
    const body = (await res.json()) as {
      result: { data: { items: { action: string }[]; itemsAvailable: number; nextCursor: string | null } };
    };
    expect(body.result.data.items.every((e) => e.action === 'auth.login')).toBe(true);
    expect(body.result.data.itemsAvailable).toBeGreaterThanOrEqual(2);
    const u = await makeUser(server.deps);
    const denied = await fetch(`${server.url}/trpc/audit.list?input=${encodeURIComponent('{}')}`, {
      headers: { authorization: `Bearer ${u.token}` },
    });
    expect(denied.status).toBe(403);
  });
});
