import { escapeLike } from '@roster/contracts';
import { beforeAll, describe, expect, it } from 'vitest';
import { failure, useServer } from './harness';

const ctx = useServer();
let admin: Awaited<ReturnType<typeof ctx.user>>;
let alice: Awaited<ReturnType<typeof ctx.user>>;
let bob: Awaited<ReturnType<typeof ctx.user>>;

beforeAll(async () => {
  admin = await ctx.user({ admin: true, username: 'rootish' });
  alice = await ctx.user({ username: 'alice' });
  bob = await ctx.user({ username: 'bob' });
});

describe('users.create (admin)', () => {
  it('creates a user, derives a username from the email as Arvados does, and sets system fields', async () => {
    const u = await admin.client.users.create.mutate({
      email: '1dakota.z+tag@example.com',
      password: 'long enough pw',
      firstName: 'Da',
      lastName: 'Kota',
    });
    expect(u).toMatchObject({
      username: 'dakotaz',
      fullName: 'Da Kota',
      isActive: true,
      modifiedByUserUuid: admin.user.uuid,
    });
    expect(u.createdAt).toBe(u.modifiedAt);
    expect(u.passwordChangedAt).not.toBeNull();
    expect(u.etag).toMatch(/^[a-z0-9]{20}$/);
    const again = await admin.client.users.create.mutate({ email: 'dakotaz@other.example' });
    expect(again.username).toBe('dakotaz2');
    const root = await admin.client.users.create.mutate({ email: 'roo_t@example.com' });
    expect(root.username).toBe('root2');
  });

  it('refuses non-admins', async () => {
    expect((await failure(alice.client.users.create.mutate({ email: 'x@example.com' }))).code).toBe(
      'FORBIDDEN',
    );
  });

  it('refuses prefs keys that cannot be stored, naming the problem', async () => {
    const err = await failure(
      admin.client.users.create.mutate({ email: 'p@example.com', prefs: { 'a.b': 1, $where: 'x' } }),
    );
    expect(err.code).toBe('BAD_REQUEST');
    expect(err.fieldErrors?.prefs?.join(' ')).toMatch(/"a\.b".*"\$where"|may not be empty, contain/);
  });
});

describe('users.get and users.current', () => {
  it('shows a user everything about themself, and only public fields of others', async () => {
    const self = await alice.client.users.get.query({ uuid: alice.user.uuid });
    expect(self.prefs).toEqual({});
    expect(self.createdAt).toBeDefined();
    const other = await alice.client.users.get.query({ uuid: bob.user.uuid });
    expect(Object.keys(other).sort()).toEqual(
      [
        'uuid',
        'id',
        'username',
        'email',
        'firstName',
        'lastName',
        'fullName',
        'isAdmin',
        'isActive',
        'isInvited',
        'canWrite',
        'canManage',
      ].sort(),
    );
    expect(other.canWrite).toBe(false);
    const byAdmin = await admin.client.users.get.query({ uuid: bob.user.uuid });
    expect(byAdmin).toMatchObject({ canWrite: true, canManage: true, redirectToUserUuid: null });
  });

  it('answers NOT_FOUND for an unknown uuid and for an inactive user seen by a non-admin', async () => {
    const inactive = await ctx.user({ active: false });
    expect((await failure(alice.client.users.get.query({ uuid: 'zzzzz-tpzed-aaaaaaaaaaaaaaa' }))).code).toBe(
      'NOT_FOUND',
    );
    expect((await failure(alice.client.users.get.query({ uuid: inactive.user.uuid }))).code).toBe(
      'NOT_FOUND',
    );
    expect((await admin.client.users.get.query({ uuid: inactive.user.uuid })).isActive).toBe(false);
  });

  it('returns the system user', async () => {
    const sys = await alice.client.users.system.query();
    expect(sys).toMatchObject({ uuid: 'zzzzz-tpzed-000000000000000', isAdmin: true, isActive: true });
  });
});

describe('users.update', () => {
  it('lets users change their names, email and prefs, and bumps modifiedAt and etag', async () => {
    const before = await alice.client.users.current.query();
    const after = await alice.client.users.update.mutate({
      uuid: alice.user.uuid,
      patch: { firstName: 'Alice', prefs: { theme: 'dark' } },
    });
    expect(after).toMatchObject({
      firstName: 'Alice',
      fullName: 'Alice',
      prefs: { theme: 'dark' },
      modifiedByUserUuid: alice.user.uuid,
    });
    expect(after.etag).not.toBe(before.etag);
    expect(Date.parse(after.modifiedAt!)).toBeGreaterThanOrEqual(Date.parse(before.modifiedAt!));
  });

  it('refuses admin-only fields from non-admins and other users altogether', async () => {
    const own = await failure(
      alice.client.users.update.mutate({ uuid: alice.user.uuid, patch: { isAdmin: true } }),
    );
    expect(own).toMatchObject({ code: 'FORBIDDEN', field: 'isAdmin' });
    const other = await failure(
      alice.client.users.update.mutate({ uuid: bob.user.uuid, patch: { firstName: 'x' } }),
    );
    expect(other.code).toBe('FORBIDDEN');
  });

  it('lets admins rename, promote and deactivate; deactivation ends the user’s tokens', async () => {
    const carol = await ctx.user({ username: 'carol' });
    const renamed = await admin.client.users.update.mutate({
      uuid: carol.user.uuid,
      patch: { username: 'caroline' },
    });
    expect(renamed.username).toBe('caroline');
    const clash = await failure(
      admin.client.users.update.mutate({ uuid: carol.user.uuid, patch: { username: 'ALICE' } }),
    );
    expect(clash).toMatchObject({ code: 'CONFLICT', field: 'username' });
    await admin.client.users.update.mutate({ uuid: carol.user.uuid, patch: { isActive: false } });
    expect((await failure(carol.client.users.current.query())).code).toBe('UNAUTHORIZED');
  });

  it('refuses a stale etag with CONFLICT', async () => {
    const cur = await bob.client.users.current.query();
    await bob.client.users.update.mutate({
      uuid: bob.user.uuid,
      patch: { lastName: 'One' },
      ifMatch: cur.etag,
    });
    const stale = await failure(
      bob.client.users.update.mutate({ uuid: bob.user.uuid, patch: { lastName: 'Two' }, ifMatch: cur.etag }),
    );
    expect(stale).toMatchObject({ code: 'CONFLICT', field: 'ifMatch' });
  });

  it('keeps the system user an admin and the last admin in place', async () => {
    const sys = await failure(
      admin.client.users.update.mutate({ uuid: 'zzzzz-tpzed-000000000000000', patch: { isAdmin: false } }),
    );
    expect(sys.code).toBe('UNPROCESSABLE_CONTENT');
    const last = await failure(
      admin.client.users.update.mutate({ uuid: admin.user.uuid, patch: { isAdmin: false } }),
    );
    expect(last.message).toMatch(/last active admin/);
  });
});

describe('users.changePassword', () => {
  it('needs the old password, ends other sessions and keeps this one', async () => {
    const dave = await ctx.user({ username: 'dave' });
    const other = await ctx.anon.auth.login.mutate({ login: 'dave', password: dave.password });
    const wrong = await failure(
      dave.client.users.changePassword.mutate({
        oldPassword: 'not it at all',
        newPassword: 'new password 1',
      }),
    );
    expect(wrong).toMatchObject({ code: 'UNAUTHORIZED', field: 'oldPassword' });
    const short = await failure(
      dave.client.users.changePassword.mutate({ oldPassword: dave.password, newPassword: 'short' }),
    );
    expect(short).toMatchObject({ code: 'BAD_REQUEST', field: 'newPassword' });
    await dave.client.users.changePassword.mutate({
      oldPassword: dave.password,
      newPassword: 'new password 1',
    });
    expect((await dave.client.users.current.query()).username).toBe('dave');
    expect((await failure(ctx.client(other.token).users.current.query())).code).toBe('UNAUTHORIZED');
    await ctx.anon.auth.login.mutate({ login: 'dave', password: 'new password 1' });
  });
});

describe('users.delete', () => {
  it('deletes a user and their tokens; the system user and the last admin cannot be deleted', async () => {
    const erin = await ctx.user({ username: 'erin' });
    const deleted = await admin.client.users.delete.mutate({ uuid: erin.user.uuid });
    expect(deleted.uuid).toBe(erin.user.uuid);
    expect((await failure(admin.client.users.get.query({ uuid: erin.user.uuid }))).code).toBe('NOT_FOUND');
    expect((await failure(erin.client.users.current.query())).code).toBe('UNAUTHORIZED');
    expect(
      (await failure(admin.client.users.delete.mutate({ uuid: 'zzzzz-tpzed-000000000000000' }))).code,
    ).toBe('UNPROCESSABLE_CONTENT');
    expect((await failure(admin.client.users.delete.mutate({ uuid: admin.user.uuid }))).message).toMatch(
      /last active admin/,
    );
    expect((await failure(alice.client.users.delete.mutate({ uuid: bob.user.uuid }))).code).toBe('FORBIDDEN');
  });
});

describe('users.list', () => {
  beforeAll(async () => {
    for (let i = 0; i < 30; i++) {
      await admin.client.users.create.mutate({
        username: `lister${String(i).padStart(2, '0')}`,
        email: `lister${i}@list.example`,
        lastName: i % 2 ? 'Odd' : 'Even',
        isActive: i % 3 !== 0,
      });
    }
  });

  it('matches like patterns as SQL does: % any run, _ one character, backslash escapes', async () => {
    for (const [i, lastName] of ['Under_Score', 'UnderXScore', '100% Pure'].entries())
      await admin.client.users.create.mutate({
        username: `likeuser${i}`,
        email: `like${i}@like.example`,
        lastName,
      });
    const names = async (pattern: string, op: 'like' | 'ilike' = 'like') =>
      (
        await admin.client.users.list.query({
          filters: [['lastName', op, pattern]],
          order: [{ field: 'username', dir: 'asc' }],
        })
      ).items.map((u) => u.lastName);
    expect(await names('Under_Score')).toEqual(['Under_Score', 'UnderXScore']);
    expect(await names(`${escapeLike('Under_')}%`)).toEqual(['Under_Score']);
    expect(await names('%r\\_S%')).toEqual(['Under_Score']);
    expect(await names('under%score', 'ilike')).toEqual(['Under_Score', 'UnderXScore']);
    expect(await names(`%${escapeLike('0% P')}%`)).toEqual(['100% Pure']);
    expect(await names('%0%P%')).toEqual(['100% Pure']);
    const bad = await failure(admin.client.users.list.query({ filters: [['lastName', 'like', 'oops\\']] }));
    expect(bad).toMatchObject({ appCode: 'VALIDATION_FAILED', field: 'filters.0.2' });
  });

  it('filters with every operator and orders by an indexed field', async () => {
    const { items, itemsAvailable } = await admin.client.users.list.query({
      filters: [
        ['username', 'like', 'lister%'],
        ['lastName', '=', 'Odd'],
      ],
      order: [{ field: 'username', dir: 'desc' }],
      count: true,
    });
    expect(itemsAvailable).toBe(15);
    expect(items.map((u) => u.username)).toEqual([...items.map((u) => u.username!)].sort().reverse());
    const ilike = await admin.client.users.list.query({
      filters: [['email', 'ilike', '%@LIST.EXAMPLE']],
      count: true,
      limit: 0,
    });
    expect(ilike.itemsAvailable).toBe(30);
    // limit 0 asks for the count alone.
    expect(ilike.items).toEqual([]);
    const inList = await admin.client.users.list.query({
      filters: [['username', 'in', ['lister01', 'lister02', 'nobody']]],
    });
    expect(inList.items.map((u) => u.username).sort()).toEqual(['lister01', 'lister02']);
    const notIn = await admin.client.users.list.query({
      filters: [
        ['username', 'like', 'lister%'],
        ['username', 'not in', ['lister01']],
      ],
      count: true,
      limit: 1,
    });
    expect(notIn.itemsAvailable).toBe(29);
    const ids = await admin.client.users.list.query({
      filters: [
        ['username', 'like', 'lister%'],
        ['id', '>=', 0],
        ['createdAt', '<', new Date(Date.now() + 60_000).toISOString()],
      ],
      count: true,
      limit: 1,
    });
    expect(ids.itemsAvailable).toBe(30);
    const exists = await admin.client.users.list.query({
      filters: [
        ['username', 'like', 'lister%'],
        ['lastLoginAt', 'exists', false],
      ],
      count: true,
      limit: 1,
    });
    expect(exists.itemsAvailable).toBe(30);
    const inactive = await admin.client.users.list.query({
      filters: [
        ['username', 'like', 'lister%'],
        ['isActive', '!=', true],
      ],
      count: true,
      limit: 1,
    });
    expect(inactive.itemsAvailable).toBe(10);
  });

  it('pages by cursor without overlap or gaps, the same as by offset', async () => {
    const filters: [string, 'like', string][] = [['username', 'like', 'lister%']];
    const seen: string[] = [];
    let cursor: string | undefined;
    do {
      const page = await admin.client.users.list.query({
        filters: filters as never,
        order: [{ field: 'lastName', dir: 'asc' }],
        limit: 7,
        ...(cursor ? { cursor } : {}),
      });
      seen.push(...page.items.map((u) => u.username!));
      cursor = page.nextCursor ?? undefined;
    } while (cursor);
    expect(seen).toHaveLength(30);
    expect(new Set(seen).size).toBe(30);
    const byOffset = await admin.client.users.list.query({
      filters: filters as never,
      order: [{ field: 'lastName', dir: 'asc' }],
      limit: 7,
      offset: 7,
    });
    expect(byOffset.items.map((u) => u.username)).toEqual(seen.slice(7, 14));
  });

  it('shows non-admins only active users and their public fields, and refuses private filters', async () => {
    const { items } = await alice.client.users.list.query({
      filters: [['username', 'like', 'lister%']],
      limit: 1000,
    });
    expect(items).toHaveLength(20);
    expect(items.every((u) => u.isActive && u.prefs === undefined && u.createdAt === undefined)).toBe(true);
    const err = await failure(alice.client.users.list.query({ filters: [['lastLoginAt', 'exists', true]] }));
    expect(err.code).toBe('FORBIDDEN');
  });

  it('selects fields, caps the limit at 1000 and rejects bad filters with a clear message', async () => {
    const sel = await admin.client.users.list.query({ select: ['username'], limit: 2 });
    expect(Object.keys(sel.items[0]!).sort()).toEqual(['username', 'uuid']);
    expect((await failure(admin.client.users.list.query({ limit: 1001 }))).field).toBe('limit');
    const bad = await failure(admin.client.users.list.query({ filters: [['isAdmin', '>', 'yes' as never]] }));
    expect(bad.code).toBe('BAD_REQUEST');
    expect(bad.message).toMatch(/filters/);
    const unknown = await failure(
      admin.client.users.list.query({ filters: [['passwordHash' as never, '=', 'x']] }),
    );
    expect(unknown.code).toBe('BAD_REQUEST');
    const cursor = await failure(admin.client.users.list.query({ cursor: 'garbage' }));
    expect(cursor).toMatchObject({ code: 'BAD_REQUEST', field: 'cursor' });
  });
});

describe('users.deleteSelf', () => {
  it('deletes the caller only with their password, and their session ends with them', async () => {
    const u = await ctx.user();
    const wrong = await failure(u.client.users.deleteSelf.mutate({ password: 'not my password' }));
    expect(wrong).toMatchObject({ appCode: 'INVALID_CREDENTIALS', field: 'password' });
    expect((await u.client.users.current.query()).uuid).toBe(u.user.uuid);

    const owner = await ctx.user();
    await owner.client.groups.create.mutate({ name: 'kept by its owner' });
    expect(await failure(owner.client.users.deleteSelf.mutate({ password: owner.password }))).toMatchObject({
      appCode: 'INVARIANT_VIOLATION',
    });

    const gone = await u.client.users.deleteSelf.mutate({ password: u.password });
    expect(gone.uuid).toBe(u.user.uuid);
    expect(await failure(u.client.users.current.query())).toMatchObject({ appCode: 'UNAUTHENTICATED' });
    expect(await failure(admin.client.users.get.query({ uuid: u.user.uuid }))).toMatchObject({
      appCode: 'NOT_FOUND',
    });
    const trail = await admin.client.audit.list.query({ filters: [['targetUuid', '=', u.user.uuid]] });
    expect(trail.items.map((e) => e.action)).toContain('users.deleteSelf');
  });
});

describe('users.resetPassword (admin)', () => {
  it("sets a new password, ends the user's sessions, and by default makes them change it", async () => {
    const u = await ctx.user();
    const r = await admin.client.users.resetPassword.mutate({
      uuid: u.user.uuid,
      newPassword: 'temporary password 1',
    });
    expect(r.revoked).toBeGreaterThanOrEqual(1);
    expect(await failure(u.client.users.current.query())).toMatchObject({ appCode: 'UNAUTHENTICATED' });
    // The old password is gone; the new one must be changed before it signs anyone in.
    expect(
      await failure(ctx.anon.auth.login.mutate({ login: u.username, password: u.password })),
    ).toMatchObject({
      appCode: 'INVALID_CREDENTIALS',
    });
    expect(
      await failure(ctx.anon.auth.login.mutate({ login: u.username, password: 'temporary password 1' })),
    ).toMatchObject({ appCode: 'PASSWORD_EXPIRED' });
    await ctx.anon.auth.changeExpiredPassword.mutate({
      login: u.username,
      oldPassword: 'temporary password 1',
      newPassword: 'my own password 2',
    });
    expect(
      (await ctx.anon.auth.login.mutate({ login: u.username, password: 'my own password 2' })).user.uuid,
    ).toBe(u.user.uuid);

    // mustChange: false gives a password that works at once.
    await admin.client.users.resetPassword.mutate({
      uuid: u.user.uuid,
      newPassword: 'usable password 3',
      mustChange: false,
    });
    expect(
      (await ctx.anon.auth.login.mutate({ login: u.username, password: 'usable password 3' })).user.uuid,
    ).toBe(u.user.uuid);
  });

  it('keeps the session of an admin resetting their own password', async () => {
    const self = await ctx.user({ admin: true });
    await self.client.users.resetPassword.mutate({
      uuid: self.user.uuid,
      newPassword: 'own new password 1',
      mustChange: false,
    });
    expect((await self.client.users.current.query()).uuid).toBe(self.user.uuid);
  });

  it('refuses built-in accounts, weak passwords and non-admins, and audits without the password', async () => {
    const system = await admin.client.users.system.query();
    expect(
      await failure(
        admin.client.users.resetPassword.mutate({ uuid: system.uuid, newPassword: 'system password 1' }),
      ),
    ).toMatchObject({ appCode: 'INVARIANT_VIOLATION' });
    const u = await ctx.user();
    expect(
      await failure(admin.client.users.resetPassword.mutate({ uuid: u.user.uuid, newPassword: 'short' })),
    ).toMatchObject({ appCode: 'VALIDATION_FAILED', field: 'newPassword' });
    expect(
      await failure(
        alice.client.users.resetPassword.mutate({ uuid: u.user.uuid, newPassword: 'alice sets it 1' }),
      ),
    ).toMatchObject({ appCode: 'FORBIDDEN' });
    await admin.client.users.resetPassword.mutate({ uuid: u.user.uuid, newPassword: 'audited password 1' });
    const trail = await admin.client.audit.list.query({
      filters: [
        ['targetUuid', '=', u.user.uuid],
        ['action', '=', 'users.resetPassword'],
      ],
    });
    expect(trail.items.length).toBeGreaterThanOrEqual(1);
    expect(JSON.stringify(trail.items)).not.toContain('audited password 1');
  });
});
