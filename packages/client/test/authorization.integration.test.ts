import { appRouter } from '@roster/server/router';
import { beforeAll, describe, expect, it } from 'vitest';
import type { RosterClient } from '../src/index';
import { useServer } from './harness';

const ctx = useServer();

type Who = 'anonymous' | 'user' | 'admin';
type Outcome = 'ok' | 'UNAUTHORIZED' | 'FORBIDDEN' | 'NOT_FOUND';
interface Fixtures {
  self: string;
  other: string;
  otherToken: string;
  password: string;
}
interface Row {
  call: (c: RosterClient, f: Fixtures) => Promise<unknown>;
  expect: Record<Who, Outcome>;
}

const everyone: Record<Who, Outcome> = { anonymous: 'ok', user: 'ok', admin: 'ok' };
const signedIn: Record<Who, Outcome> = { anonymous: 'UNAUTHORIZED', user: 'ok', admin: 'ok' };
const adminOnly: Record<Who, Outcome> = { anonymous: 'UNAUTHORIZED', user: 'FORBIDDEN', admin: 'ok' };
let n = 0;
const fresh = () => `matrix${Date.now().toString(36)}${++n}`;

/**
 * Every procedure of the router, called as anonymous, as a user acting on another user, and as
 * an admin. A procedure added without a row here fails the first test.
 */
const MATRIX: Record<string, Row> = {
  'auth.info': { call: (c) => c.auth.info.query(), expect: everyone },
  'auth.signup': { call: (c) => c.auth.signup.mutate({ username: fresh(), email: `${fresh()}@example.com`, password: 'long enough pw' }), expect: everyone },
  'auth.login': { call: async (c) => c.auth.login.mutate({ login: (await ctx.user()).username, password: 'correct horse battery' }), expect: everyone },
  'auth.session': { call: (c) => c.auth.session.query(), expect: signedIn },
  'auth.logout': { call: (c) => c.auth.logout.mutate({}), expect: signedIn },
  'auth.changeExpiredPassword': {
    call: async (c) => {
      const u = await ctx.user();
      return c.auth.changeExpiredPassword.mutate({ login: u.username, oldPassword: u.password, newPassword: 'another long pw' });
    },
    expect: everyone,
  },
  // Only the one-time setup token may call it; ordinary users and admins are refused.
  'auth.claimFirstAdmin': {
    call: (c) => c.auth.claimFirstAdmin.mutate({ username: fresh(), email: `${fresh()}@example.com`, password: 'long enough pw' }),
    expect: { anonymous: 'UNAUTHORIZED', user: 'FORBIDDEN', admin: 'FORBIDDEN' },
  },
  'users.current': { call: (c) => c.users.current.query(), expect: signedIn },
  'users.system': { call: (c) => c.users.system.query(), expect: signedIn },
  'users.get': { call: (c, f) => c.users.get.query({ uuid: f.other }), expect: signedIn },
  'users.list': { call: (c) => c.users.list.query({ limit: 5 }), expect: signedIn },
  'users.create': { call: (c) => c.users.create.mutate({ email: `${fresh()}@example.com` }), expect: adminOnly },
  'users.update': { call: (c, f) => c.users.update.mutate({ uuid: f.other, patch: { firstName: 'M' } }), expect: adminOnly },
  'users.delete': { call: async (c) => c.users.delete.mutate({ uuid: (await ctx.user()).user.uuid }), expect: adminOnly },
  'users.changePassword': {
    call: (c, f) => c.users.changePassword.mutate({ oldPassword: f.password, newPassword: f.password }),
    expect: signedIn,
  },
  'tokens.create': { call: (c) => c.tokens.create.mutate({ label: 'm' }), expect: signedIn },
  'tokens.list': { call: (c) => c.tokens.list.query({}), expect: signedIn },
  'tokens.revoke': {
    call: async (c, f) => {
      const t = await ctx.client(f.otherToken).tokens.create.mutate({});
      return c.tokens.revoke.mutate({ uuid: t.token.uuid });
    },
    expect: { anonymous: 'UNAUTHORIZED', user: 'NOT_FOUND', admin: 'ok' },
  },
  'tokens.revokeAll': { call: (c, f) => c.tokens.revokeAll.mutate({ userUuid: f.other }), expect: adminOnly },
};

async function outcome(p: Promise<unknown>): Promise<Outcome> {
  try {
    await p;
    return 'ok';
  } catch (err) {
    return ((err as { data?: { code?: Outcome } }).data?.code ?? String(err)) as Outcome;
  }
}

describe('authorization matrix', () => {
  let admin: Awaited<ReturnType<typeof ctx.user>>;
  beforeAll(async () => {
    admin = await ctx.user({ admin: true });
  });

  it('has a row for every procedure of the router', () => {
    expect(Object.keys(appRouter._def.procedures).sort()).toEqual(Object.keys(MATRIX).sort());
  });

  for (const [name, row] of Object.entries(MATRIX)) {
    for (const who of ['anonymous', 'user', 'admin'] as const) {
      it(`${name} as ${who}: ${row.expect[who]}`, async () => {
        const other = await ctx.user();
        const caller = who === 'anonymous' ? null : who === 'admin' ? admin : await ctx.user();
        // Each call gets a fresh session so that logout and password changes do not leak between rows.
        const session = caller ? await ctx.anon.auth.login.mutate({ login: caller.username, password: caller.password }) : null;
        const client = ctx.client(session?.token);
        const fixtures = { self: caller?.user.uuid ?? '', other: other.user.uuid, otherToken: other.token, password: caller?.password ?? '' };
        expect(await outcome(row.call(client, fixtures))).toBe(row.expect[who]);
      });
    }
  }
});
