import { appRouter } from '@roster/server/router';
import { issueToken } from '@roster/server/testing';
import { beforeAll, describe, expect, it } from 'vitest';
import { createRosterClient, type RosterClient } from '../src/index';
import { useServer } from './harness';

const logLines: string[] = [];
const ctx = useServer(undefined, { logLines });

/** Every response body of the run, by procedure, for the secrets check at the end. */
const responses: { path: string; body: string }[] = [];
const recordingFetch: typeof fetch = async (input, init) => {
  const res = await fetch(input, init);
  const path = new URL(String(input)).pathname.replace('/trpc/', '');
  responses.push({ path, body: await res.clone().text() });
  return res;
};
const client = (token?: string) =>
  createRosterClient({ url: ctx.url, batch: false, fetch: recordingFetch, ...(token ? { token } : {}) });

const WHO = ['anonymous', 'inactive', 'invited', 'user', 'manager', 'admin', 'system'] as const;
type Who = (typeof WHO)[number];
type Outcome = 'ok' | 'UNAUTHORIZED' | 'FORBIDDEN' | 'NOT_FOUND' | 'UNPROCESSABLE_CONTENT' | 'BAD_REQUEST';

/** Per-call fixtures: another user, and a fresh group that `manager` manages. */
interface Fixtures {
  /** The caller; `shared` callers (the admin and the manager) serve every row and must survive them. */
  me: { uuid: string; password: string; username: string; shared?: boolean } | null;
  other: string;
  otherToken: string;
  group: string;
}
type Access = 'public' | 'authed' | 'active' | 'admin';
interface Row {
  access: Access;
  call: (c: RosterClient, f: Fixtures) => Promise<unknown>;
  /** Outcomes that differ from what `access` implies. */
  except?: Partial<Record<Who, Outcome>>;
}

function expected(row: Row, who: Who): Outcome {
  if (row.except?.[who]) return row.except[who]!;
  if (row.access === 'public') return 'ok';
  if (who === 'anonymous') return 'UNAUTHORIZED';
  // Tokens of deactivated users are revoked; one that survived would still be refused.
  if (row.access === 'authed') return 'ok';
  if (who === 'inactive' || who === 'invited') return 'FORBIDDEN';
  if (row.access === 'active') return 'ok';
  return who === 'admin' || who === 'system' ? 'ok' : 'FORBIDDEN';
}

let n = 0;
const fresh = () => `matrix${Date.now().toString(36)}${++n}`;
const signup = () => ({ username: fresh(), email: `${fresh()}@example.com`, password: 'long enough pw' });
const managerOrAdmin: Partial<Record<Who, Outcome>> = { user: 'NOT_FOUND', manager: 'ok' };

/**
 * Every procedure of the router, called as each kind of caller. A procedure added without a row
 * here fails the first test.
 */
const MATRIX: Record<string, Row> = {
  'auth.info': { access: 'public', call: (c) => c.auth.info.query() },
  'auth.signup': { access: 'public', call: (c) => c.auth.signup.mutate(signup()) },
  'auth.login': {
    access: 'public',
    call: async (c) =>
      c.auth.login.mutate({ login: (await ctx.user()).username, password: 'correct horse battery' }),
  },
  'auth.session': { access: 'authed', call: (c) => c.auth.session.query() },
  'auth.logout': { access: 'authed', call: (c) => c.auth.logout.mutate({}) },
  'auth.changeExpiredPassword': {
    access: 'public',
    call: async (c) => {
      const u = await ctx.user();
      return c.auth.changeExpiredPassword.mutate({
        login: u.username,
        oldPassword: u.password,
        newPassword: 'another long pw',
      });
    },
  },
  // Only the one-time setup token may call it.
  'auth.claimFirstAdmin': {
    access: 'authed',
    call: (c) => c.auth.claimFirstAdmin.mutate(signup()),
    except: {
      inactive: 'FORBIDDEN',
      invited: 'FORBIDDEN',
      user: 'FORBIDDEN',
      manager: 'FORBIDDEN',
      admin: 'FORBIDDEN',
      system: 'FORBIDDEN',
    },
  },
  'users.current': { access: 'authed', call: (c) => c.users.current.query() },
  'users.system': { access: 'active', call: (c) => c.users.system.query() },
  'users.get': { access: 'active', call: (c, f) => c.users.get.query({ uuid: f.other }) },
  'users.list': { access: 'active', call: (c) => c.users.list.query({ limit: 5 }) },
  'users.create': {
    access: 'admin',
    call: (c) => c.users.create.mutate({ email: `${fresh()}@example.com` }),
  },
  // Anyone signed in may update themself; only admins may update others.
  'users.update': {
    access: 'authed',
    call: (c, f) => c.users.update.mutate({ uuid: f.other, patch: { firstName: 'M' } }),
    except: { inactive: 'NOT_FOUND', invited: 'NOT_FOUND', user: 'FORBIDDEN', manager: 'FORBIDDEN' },
  },
  'users.delete': {
    access: 'admin',
    call: async (c) => c.users.delete.mutate({ uuid: (await ctx.user()).user.uuid }),
  },
  'users.resetPassword': {
    access: 'admin',
    call: async (c) =>
      c.users.resetPassword.mutate({
        uuid: (await ctx.user()).user.uuid,
        newPassword: 'a brand new password',
      }),
  },
  'users.deleteSelf': {
    access: 'authed',
    // Fresh callers really delete themselves; the shared admin and manager give a wrong password,
    // which still shows the call got past the access check to the password.
    call: (c, f) =>
      c.users.deleteSelf.mutate({
        password: f.me && !f.me.shared ? f.me.password : 'not it',
      }),
    except: { system: 'UNAUTHORIZED', admin: 'UNAUTHORIZED', manager: 'UNAUTHORIZED' },
  },
  'users.changePassword': {
    access: 'authed',
    call: (c, f) =>
      c.users.changePassword.mutate({
        oldPassword: f.me?.password ?? '',
        newPassword: f.me?.password || 'long enough pw',
      }),
    // The system user has no password to give.
    except: { system: 'UNAUTHORIZED' },
  },
  'users.lockout': { access: 'admin', call: (c, f) => c.users.lockout.query({ uuid: f.other }) },
  'users.unlock': { access: 'admin', call: (c, f) => c.users.unlock.mutate({ uuid: f.other }) },
  'users.setup': { access: 'admin', call: (c, f) => c.users.setup.mutate({ uuid: f.other }) },
  'users.activate': {
    access: 'authed',
    call: (c) => c.users.activate.mutate({}),
    except: { inactive: 'UNPROCESSABLE_CONTENT' },
  },
  'users.unsetup': {
    access: 'admin',
    call: async (c) => c.users.unsetup.mutate({ uuid: (await ctx.user()).user.uuid }),
  },
  'users.merge': {
    access: 'admin',
    call: async (c) => {
      const [from, into] = [await ctx.user(), await ctx.user()];
      return c.users.merge.mutate({
        oldUserUuid: from.user.uuid,
        newUserUuid: into.user.uuid,
        newOwnerUuid: into.user.uuid,
      });
    },
    except: { inactive: 'FORBIDDEN', invited: 'FORBIDDEN' },
  },
  'tokens.create': { access: 'active', call: (c) => c.tokens.create.mutate({ label: 'm' }) },
  'tokens.list': { access: 'authed', call: (c) => c.tokens.list.query({}) },
  'tokens.revoke': {
    access: 'authed',
    call: async (c, f) => {
      const t = await ctx.client(f.otherToken).tokens.create.mutate({});
      return c.tokens.revoke.mutate({ uuid: t.token.uuid });
    },
    except: { inactive: 'NOT_FOUND', invited: 'NOT_FOUND', user: 'NOT_FOUND', manager: 'NOT_FOUND' },
  },
  'tokens.revokeAll': {
    access: 'authed',
    call: (c, f) => c.tokens.revokeAll.mutate({ userUuid: f.other }),
    except: { inactive: 'FORBIDDEN', invited: 'FORBIDDEN', user: 'FORBIDDEN', manager: 'FORBIDDEN' },
  },
  'groups.create': { access: 'active', call: (c) => c.groups.create.mutate({ name: fresh() }) },
  'groups.get': {
    access: 'active',
    call: (c, f) => c.groups.get.query({ uuid: f.group }),
    except: managerOrAdmin,
  },
  'groups.list': { access: 'active', call: (c) => c.groups.list.query({}) },
  'groups.update': {
    access: 'active',
    call: (c, f) => c.groups.update.mutate({ uuid: f.group, patch: { description: 'x' } }),
    except: managerOrAdmin,
  },
  'groups.delete': {
    access: 'active',
    call: (c, f) => c.groups.delete.mutate({ uuid: f.group }),
    except: managerOrAdmin,
  },
  'groups.members': {
    access: 'active',
    call: (c, f) => c.groups.members.query({ uuid: f.group }),
    except: managerOrAdmin,
  },
  'permissions.grant': {
    access: 'active',
    call: (c, f) => c.permissions.grant.mutate({ tailUuid: f.other, headUuid: f.group, level: 'can_read' }),
    except: managerOrAdmin,
  },
  'permissions.revoke': {
    access: 'active',
    call: async (c, f) => {
      await ctx.server.deps.models.Link.create({
        uuid: `zzzzz-o0j2j-${fresh().slice(-15).padStart(15, '0')}`,
        linkClass: 'permission',
        name: 'can_read',
        tailUuid: f.other,
        headUuid: f.group,
        ownerUuid: ctx.server.deps.wellKnown.systemUser,
        relationKey: `permission|${f.other}|${f.group}`,
        createdAt: new Date(),
        modifiedAt: new Date(),
      });
      return c.permissions.revoke.mutate({ tailUuid: f.other, headUuid: f.group });
    },
    except: managerOrAdmin,
  },
  'permissions.list': { access: 'active', call: (c) => c.permissions.list.query({}) },
  'permissions.computed': { access: 'admin', call: (c) => c.permissions.computed.query({ limit: 5 }) },
  'agreements.publish': {
    access: 'admin',
    call: (c) => c.agreements.publish.mutate({ title: 't', text: 'x', version: '1', required: false }),
  },
  'agreements.list': { access: 'authed', call: (c) => c.agreements.list.query() },
  'agreements.sign': {
    access: 'authed',
    call: async (c) => {
      const [a] = await ctx.server.deps.models.Agreement.create([
        {
          uuid: `zzzzz-4zz18-${fresh().slice(-15).padStart(15, '0')}`,
          title: 't',
          text: 'x',
          version: '1',
          required: false,
          ownerUuid: ctx.server.deps.wellKnown.systemUser,
          createdAt: new Date(),
        },
      ]);
      return c.agreements.sign.mutate({ uuid: a!.uuid });
    },
  },
  'agreements.signatures': {
    access: 'admin',
    call: async (c) => {
      const a = await ctx.server.deps.models.Agreement.findOne({}).lean();
      return c.agreements.signatures.query({ uuid: a!.uuid });
    },
  },
  'audit.list': { access: 'admin', call: (c) => c.audit.list.query({ limit: 5 }) },
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
  let manager: Awaited<ReturnType<typeof ctx.user>>;
  beforeAll(async () => {
    admin = await ctx.user({ admin: true });
    manager = await ctx.user();
    await ctx.server.deps.models.Agreement.create({
      uuid: 'zzzzz-4zz18-matrixagreement',
      title: 't',
      text: 'x',
      version: '1',
      required: false,
      ownerUuid: ctx.server.deps.wellKnown.systemUser,
      createdAt: new Date(),
    });
  });

  it('has a row for every procedure of the router', () => {
    expect(Object.keys(appRouter._def.procedures).sort()).toEqual(Object.keys(MATRIX).sort());
  });

  // Rows such as changePassword revoke the admin's other tokens, so fixtures use fresh ones too.
  const adminClient = async () =>
    ctx.client((await issueToken(ctx.server.deps, admin.user.uuid, { kind: 'api' })).secret);

  /** A fresh token for each call, so that logout and password changes do not leak between rows. */
  async function callerFor(who: Who): Promise<{ token?: string; me: Fixtures['me'] }> {
    const deps = ctx.server.deps;
    const asToken = async (uuid: string) => (await issueToken(deps, uuid, { kind: 'api' })).secret;
    switch (who) {
      case 'anonymous':
        return { me: null };
      case 'system':
        return { token: await asToken(deps.wellKnown.systemUser), me: null };
      case 'admin':
      case 'manager': {
        const u = who === 'admin' ? admin : manager;
        return {
          token: await asToken(u.user.uuid),
          me: { uuid: u.user.uuid, password: u.password, username: u.username, shared: true },
        };
      }
      default: {
        const u = await ctx.user();
        if (who === 'inactive')
          await (await adminClient()).users.update.mutate({ uuid: u.user.uuid, patch: { isActive: false } });
        if (who === 'invited')
          await deps.models.User.updateOne({ uuid: u.user.uuid }, { $set: { isActive: false } });
        return {
          token: await asToken(u.user.uuid),
          me: { uuid: u.user.uuid, password: u.password, username: u.username },
        };
      }
    }
  }

  for (const [name, row] of Object.entries(MATRIX)) {
    for (const who of WHO) {
      it(`${name} as ${who}: ${expected(row, who)}`, async () => {
        const other = await ctx.user();
        const asAdmin = await adminClient();
        const group = await asAdmin.groups.create.mutate({ name: fresh() });
        await asAdmin.permissions.grant.mutate({
          tailUuid: manager.user.uuid,
          headUuid: group.uuid,
          level: 'can_manage',
        });
        const caller = await callerFor(who);
        const fixtures: Fixtures = {
          me: caller.me,
          other: other.user.uuid,
          otherToken: other.token,
          group: group.uuid,
        };
        expect(await outcome(row.call(client(caller.token), fixtures))).toBe(expected(row, who));
      });
    }
  }

  it('never puts a password, a password hash or another token’s secret in a response, a log line or an audit event', async () => {
    expect(responses.length).toBeGreaterThan(200);
    const deps = ctx.server.deps;
    const hashes = (
      await deps.models.User.find({ passwordHash: { $ne: null } }, { passwordHash: 1 }).lean()
    ).map((u) => u.passwordHash!);
    const secretHashes = (await deps.models.Token.find({}, { secretHash: 1 }).lean()).map(
      (t) => t.secretHash,
    );
    const passwords = ['correct horse battery', 'long enough pw', 'another long pw'];
    // Token secrets seen anywhere: the responses that mint them are the only place they may appear.
    const minted = responses
      .filter((r) => r.path === 'auth.login' || r.path === 'tokens.create')
      .flatMap((r) => [...r.body.matchAll(/v2\/[a-z0-9-]+\/([a-z0-9]{50})/g)].map((m) => m[1]!));
    expect(minted.length).toBeGreaterThan(10);
    const forbidden = [...hashes, ...secretHashes, ...passwords, '$argon2id$'];
    const audit = JSON.stringify(await deps.models.AuditEvent.find({}).lean());
    for (const { path, body } of responses) {
      for (const f of forbidden) expect(body, path).not.toContain(f);
      if (path !== 'auth.login' && path !== 'tokens.create')
        for (const m of minted) expect(body, path).not.toContain(m);
    }
    for (const text of [audit, logLines.join('')]) {
      for (const f of [...forbidden, ...minted]) expect(text).not.toContain(f);
    }
    expect(logLines.length).toBeGreaterThan(100);
  });
});
