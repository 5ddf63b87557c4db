import { describe, expect, it } from 'vitest';
import { failure, useServer } from './harness';

// Arvados's flow: new users wait for an admin to set them up, then activate themselves.
const ctx = useServer({ autoSetupNewUsers: false });
const SYSTEM_USER = 'zzzzz-tpzed-000000000000000';

async function admin() {
  return ctx.user({ admin: true });
}

describe('users.setup', () => {
  it('creates a user when given one, requires an email, and is idempotent by uuid', async () => {
    const a = await admin();
    const created = await a.client.users.setup.mutate({
      user: { email: 'newbie@example.com', password: 'long enough pw' },
    });
    expect(created.user).toMatchObject({ username: 'newbie', isActive: false, isInvited: true });
    expect(
      created.links.map((l) => [l.name, l.headUuid === ctx.server.deps.wellKnown.allUsersGroup]),
    ).toContainEqual(['can_write', true]);
    const again = await a.client.users.setup.mutate({ uuid: created.user.uuid });
    expect(again.links.map((l) => l.uuid).sort()).toEqual(created.links.map((l) => l.uuid).sort());
    const noEmail = await failure(a.client.users.setup.mutate({ user: {} as never }));
    expect(noEmail.code).toBe('BAD_REQUEST');
    expect((await failure(a.client.users.setup.mutate({ uuid: 'zzzzz-tpzed-aaaaaaaaaaaaaaa' }))).code).toBe(
      'NOT_FOUND',
    );
    const noArgs = await failure(a.client.users.setup.mutate({} as never));
    expect(noArgs.code).toBe('BAD_REQUEST');
  });
});

describe('users.activate', () => {
  it('refuses an uninvited user, then activates once invited and every required agreement is signed', async () => {
    const a = await admin();
    const u = await ctx.user({ active: false });
    // With auto set-up off, a new user is neither active nor invited and cannot even sign in.
    expect(
      (await failure(ctx.anon.auth.login.mutate({ login: u.username, password: u.password }))).appCode,
    ).toBe('INVALID_CREDENTIALS');
    const { issueToken } = await import('@roster/server/testing');
    const uninvited = ctx.client((await issueToken(ctx.server.deps, u.user.uuid, { kind: 'api' })).secret);
    const notInvited = await failure(uninvited.users.activate.mutate({}));
    expect(notInvited).toMatchObject({ code: 'UNPROCESSABLE_CONTENT' });
    expect(notInvited.message).toBe('Cannot activate without being invited.');

    await a.client.users.setup.mutate({ uuid: u.user.uuid });
    const session = await ctx.anon.auth.login.mutate({ login: u.username, password: u.password });
    const me = ctx.client(session.token);
    expect((await me.users.current.query()).isInvited).toBe(true);
    // Inactive users can see themselves but not the directory.
    expect((await failure(me.users.list.query({}))).code).toBe('FORBIDDEN');

    const agreement = await a.client.agreements.publish.mutate({
      title: 'Terms',
      text: 'Be nice.',
      version: '1',
    });
    const unsigned = await failure(me.users.activate.mutate({}));
    expect(unsigned.code).toBe('FORBIDDEN');
    expect(unsigned.message).toContain(agreement.uuid);
    await me.agreements.sign.mutate({ uuid: agreement.uuid });
    expect((await me.agreements.list.query()).find((x) => x.uuid === agreement.uuid)?.signedByMe).toBe(true);

    const active = await me.users.activate.mutate({});
    expect(active.isActive).toBe(true);
    // Already active: a no-op.
    expect((await me.users.activate.mutate({})).isActive).toBe(true);
    expect(
      (await a.client.agreements.signatures.query({ uuid: agreement.uuid })).items.map((s) => s.userUuid),
    ).toContain(u.user.uuid);
    await ctx.server.deps.models.Agreement.deleteMany({});
  });

  it('lets an admin activate anyone; a non-admin naming another uuid activates themself', async () => {
    const a = await admin();
    const u = await ctx.user({ active: false });
    expect((await a.client.users.activate.mutate({ uuid: u.user.uuid })).isActive).toBe(true);
    const other = await ctx.user({ active: false });
    await a.client.users.setup.mutate({ uuid: other.user.uuid });
    const s = await ctx.anon.auth.login.mutate({ login: other.username, password: other.password });
    const result = await ctx.client(s.token).users.activate.mutate({ uuid: a.user.uuid });
    expect(result.uuid).toBe(other.user.uuid);
  });

  it('runs set-up when an admin sets isActive to true', async () => {
    const a = await admin();
    const u = await ctx.user({ active: false });
    const updated = await a.client.users.update.mutate({ uuid: u.user.uuid, patch: { isActive: true } });
    expect(updated.groups).toHaveLength(1);
  });
});

describe('users.unsetup', () => {
  it('removes memberships, sharing, signatures and tokens; clears prefs and both flags; keeps visibility', async () => {
    const a = await admin();
    const u = await ctx.user();
    await a.client.users.setup.mutate({ uuid: u.user.uuid });
    await a.client.users.update.mutate({ uuid: u.user.uuid, patch: { prefs: { x: 1 }, isAdmin: true } });
    const g = await a.client.groups.create.mutate({ name: 'shared' });
    await a.client.permissions.grant.mutate({ tailUuid: u.user.uuid, headUuid: g.uuid, level: 'can_write' });
    const after = await a.client.users.unsetup.mutate({ uuid: u.user.uuid });
    expect(after).toMatchObject({ isActive: false, isAdmin: false, isInvited: false, prefs: {}, groups: [] });
    expect(await ctx.server.deps.models.Link.countDocuments({ tailUuid: u.user.uuid })).toBe(0);
    expect(await ctx.server.deps.models.Token.countDocuments({ userUuid: u.user.uuid })).toBe(0);
    // All users' can_read on the user stays, as in Arvados.
    expect(
      await ctx.server.deps.models.Link.countDocuments({
        headUuid: u.user.uuid,
        tailUuid: ctx.server.deps.wellKnown.allUsersGroup,
      }),
    ).toBe(1);
    expect((await failure(u.client.users.current.query())).code).toBe('UNAUTHORIZED');
    // Self-activation after unsetup is refused: no longer invited.
    const { issueToken } = await import('@roster/server/testing');
    const t = (await issueToken(ctx.server.deps, u.user.uuid, { kind: 'api' })).secret;
    expect((await failure(ctx.client(t).users.activate.mutate({}))).code).toBe('UNPROCESSABLE_CONTENT');
  });

  it('refuses the system user', async () => {
    const a = await admin();
    const err = await failure(a.client.users.unsetup.mutate({ uuid: SYSTEM_USER }));
    expect(err.code).toBe('UNPROCESSABLE_CONTENT');
  });
});

describe('users.merge', () => {
  it('by an admin with redirect: moves tokens and links, hides the old user and sends its logins to the new one', async () => {
    const a = await admin();
    const from = await ctx.user({ username: 'oldacct' });
    const into = await ctx.user({ username: 'newacct' });
    await a.client.users.setup.mutate({ uuid: from.user.uuid });
    await a.client.users.setup.mutate({ uuid: into.user.uuid });
    const g = await from.client.groups.create.mutate({ name: 'owned by old' });
    const old = await a.client.users.merge.mutate({
      oldUserUuid: from.user.uuid,
      newUserUuid: into.user.uuid,
      newOwnerUuid: into.user.uuid,
      redirectToNewUser: true,
    });
    expect(old).toMatchObject({ uuid: from.user.uuid, username: null, redirectToUserUuid: into.user.uuid });
    expect((await failure(a.client.users.get.query({ uuid: from.user.uuid }))).code).toBe('NOT_FOUND');
    expect((await a.client.groups.get.query({ uuid: g.uuid })).ownerUuid).toBe(into.user.uuid);
    // The old token now acts as the new user; the old password signs in as the new user.
    expect((await from.client.users.current.query()).uuid).toBe(into.user.uuid);
    const viaOld = await ctx.anon.auth.login.mutate({ login: 'oldacct', password: from.password });
    expect(viaOld.user.uuid).toBe(into.user.uuid);
    // Merged users keep their username taken.
    expect(
      (await failure(a.client.users.create.mutate({ username: 'OLDACCT', email: 'x@merge.example' }))).field,
    ).toBe('username');
    expect(
      (
        await failure(
          a.client.users.merge.mutate({
            oldUserUuid: from.user.uuid,
            newUserUuid: into.user.uuid,
            newOwnerUuid: into.user.uuid,
          }),
        )
      ).code,
    ).toBe('UNPROCESSABLE_CONTENT');
  });

  it('by the old user with the new user’s token, without redirect: the old tokens are destroyed', async () => {
    const from = await ctx.user();
    const into = await ctx.user();
    const a = await admin();
    await a.client.users.setup.mutate({ uuid: from.user.uuid });
    await a.client.users.setup.mutate({ uuid: into.user.uuid });
    const old = await from.client.users.merge.mutate({
      newUserToken: into.token,
      newOwnerUuid: into.user.uuid,
    });
    expect(old.uuid).toBe(from.user.uuid);
    expect((await failure(from.client.users.current.query())).code).toBe('UNAUTHORIZED');
  });

  it('covers every refusal: self, unknown, non-admin by uuid, bad token, narrow token, unwritable owner', async () => {
    const a = await admin();
    const u = await ctx.user();
    const v = await ctx.user();
    await a.client.users.setup.mutate({ uuid: u.user.uuid });
    const self = await failure(
      a.client.users.merge.mutate({
        oldUserUuid: u.user.uuid,
        newUserUuid: u.user.uuid,
        newOwnerUuid: u.user.uuid,
      }),
    );
    expect(self.code).toBe('UNPROCESSABLE_CONTENT');
    const unknown = await failure(
      a.client.users.merge.mutate({
        oldUserUuid: u.user.uuid,
        newUserUuid: 'zzzzz-tpzed-aaaaaaaaaaaaaaa',
        newOwnerUuid: u.user.uuid,
      }),
    );
    expect(unknown.code).toBe('UNPROCESSABLE_CONTENT');
    expect(
      (
        await failure(
          u.client.users.merge.mutate({
            oldUserUuid: u.user.uuid,
            newUserUuid: v.user.uuid,
            newOwnerUuid: v.user.uuid,
          }),
        )
      ).code,
    ).toBe('FORBIDDEN');
    expect(
      (
        await failure(
          u.client.users.merge.mutate({
            newUserToken: 'v2/zzzzz-gj3su-aaaaaaaaaaaaaaa/bad',
            newOwnerUuid: v.user.uuid,
          }),
        )
      ).code,
    ).toBe('UNAUTHORIZED');
    const narrow = await v.client.tokens.create.mutate({ scopes: ['trpc:users.current'] });
    expect(
      (await failure(u.client.users.merge.mutate({ newUserToken: narrow.secret, newOwnerUuid: v.user.uuid })))
        .code,
    ).toBe('FORBIDDEN');
    const owner = await failure(
      u.client.users.merge.mutate({ newUserToken: v.token, newOwnerUuid: SYSTEM_USER }),
    );
    expect(owner).toMatchObject({ code: 'FORBIDDEN', field: 'newOwnerUuid' });
    // Built-in accounts on either side: a user's tokens must never become the system user's.
    expect(
      await failure(
        a.client.users.merge.mutate({
          oldUserUuid: u.user.uuid,
          newUserUuid: SYSTEM_USER,
          newOwnerUuid: SYSTEM_USER,
        }),
      ),
    ).toMatchObject({ appCode: 'INVARIANT_VIOLATION', field: 'newUserUuid' });
  });

  it('refuses to merge away the last active admin', async () => {
    const lone = await ctx.user({ admin: true });
    const other = await ctx.user();
    await ctx.server.deps.models.User.updateMany(
      { isAdmin: true, uuid: { $nin: [lone.user.uuid, SYSTEM_USER] } },
      { $set: { isAdmin: false } },
    );
    const refused = await failure(
      lone.client.users.merge.mutate({
        oldUserUuid: lone.user.uuid,
        newUserUuid: other.user.uuid,
        newOwnerUuid: other.user.uuid,
      }),
    );
    expect(refused).toMatchObject({ appCode: 'INVARIANT_VIOLATION' });
    expect(refused.message).toMatch(/last active admin/);
    expect((await lone.client.users.current.query()).isAdmin).toBe(true);
    await ctx.server.deps.models.User.updateMany(
      { uuid: { $ne: SYSTEM_USER } },
      { $set: { isAdmin: false } },
    );
  });
});

describe('account invariants', () => {
  it('keeps admins active, and refuses to demote, deactivate or delete the last active admin', async () => {
    const lone = await ctx.user({ admin: true });
    await ctx.server.deps.models.User.updateMany(
      { isAdmin: true, uuid: { $nin: [lone.user.uuid, SYSTEM_USER] } },
      { $set: { isAdmin: false } },
    );
    const demote = await failure(
      lone.client.users.update.mutate({ uuid: lone.user.uuid, patch: { isAdmin: false } }),
    );
    expect(demote.message).toMatch(/last active admin/);
    const inactiveAdmin = await failure(
      lone.client.users.update.mutate({ uuid: lone.user.uuid, patch: { isActive: false } }),
    );
    expect(inactiveAdmin.code).toBe('UNPROCESSABLE_CONTENT');
    expect((await failure(lone.client.users.unsetup.mutate({ uuid: lone.user.uuid }))).message).toMatch(
      /last active admin/,
    );
  });
});
