import { beforeAll, describe, expect, it } from 'vitest';
import { failure, useServer } from './harness';

const ctx = useServer();
type U = Awaited<ReturnType<typeof ctx.user>>;
let admin: U;
let alice: U;
let bob: U;
let carol: U;

beforeAll(async () => {
  admin = await ctx.user({ admin: true });
  [alice, bob, carol] = [await ctx.user(), await ctx.user(), await ctx.user()];
});

describe('groups', () => {
  it('lets any active user create a group they then manage, and hides it from others', async () => {
    const g = await alice.client.groups.create.mutate({ name: '  Research  ', description: 'lab' });
    expect(g).toMatchObject({
      name: 'Research',
      ownerUuid: alice.user.uuid,
      canWrite: true,
      canManage: true,
      builtIn: false,
    });
    expect(g.uuid).toMatch(/^zzzzz-j7d0g-/);
    expect((await failure(bob.client.groups.get.query({ uuid: g.uuid }))).code).toBe('NOT_FOUND');
    expect((await bob.client.groups.list.query({})).items.map((x) => x.uuid)).not.toContain(g.uuid);
    expect((await admin.client.groups.get.query({ uuid: g.uuid })).canManage).toBe(true);
  });

  it('shows every set-up user the built-in "All users" group, which cannot be changed or deleted', async () => {
    const allUsers = ctx.server.deps.wellKnown.allUsersGroup;
    const seen = await bob.client.groups.get.query({ uuid: allUsers });
    expect(seen).toMatchObject({ name: 'All users', builtIn: true, canWrite: true, canManage: false });
    expect(
      (await failure(admin.client.groups.update.mutate({ uuid: allUsers, patch: { name: 'x' } }))).code,
    ).toBe('UNPROCESSABLE_CONTENT');
    expect((await failure(admin.client.groups.delete.mutate({ uuid: allUsers }))).code).toBe(
      'UNPROCESSABLE_CONTENT',
    );
  });

  it('follows membership chains, narrowed to the weakest link', async () => {
    const outer = await admin.client.groups.create.mutate({ name: 'outer' });
    const inner = await admin.client.groups.create.mutate({ name: 'inner' });
    // inner's members may manage outer; bob may only read through inner.
    await admin.client.permissions.grant.mutate({
      tailUuid: inner.uuid,
      headUuid: outer.uuid,
      level: 'can_manage',
    });
    await admin.client.permissions.grant.mutate({
      tailUuid: bob.user.uuid,
      headUuid: inner.uuid,
      level: 'can_read',
    });
    const viaChain = await bob.client.groups.get.query({ uuid: outer.uuid });
    expect(viaChain).toMatchObject({ canWrite: false, canManage: false });
    expect(
      (await failure(bob.client.groups.update.mutate({ uuid: outer.uuid, patch: { description: 'x' } })))
        .code,
    ).toBe('FORBIDDEN');

    // Raising the weakest link raises the effective level.
    await admin.client.permissions.grant.mutate({
      tailUuid: bob.user.uuid,
      headUuid: inner.uuid,
      level: 'can_manage',
    });
    expect((await bob.client.groups.get.query({ uuid: outer.uuid })).canManage).toBe(true);

    const effective = await admin.client.groups.members.query({ uuid: outer.uuid, mode: 'effective' });
    expect(effective.items).toContainEqual(
      expect.objectContaining({ memberUuid: bob.user.uuid, level: 'can_manage', kind: 'user' }),
    );
    expect(effective.items).toContainEqual(
      expect.objectContaining({ memberUuid: inner.uuid, kind: 'group', name: 'inner' }),
    );
    const direct = await admin.client.groups.members.query({ uuid: outer.uuid });
    expect(direct.items.map((m) => m.memberUuid)).toEqual([inner.uuid]);

    const computed = await admin.client.permissions.computed.query({ userUuid: bob.user.uuid });
    expect(computed.items).toContainEqual({
      userUuid: bob.user.uuid,
      targetUuid: outer.uuid,
      level: 'can_manage',
    });
  });

  it('refuses a membership that would close a cycle of groups', async () => {
    const a = await admin.client.groups.create.mutate({ name: 'a' });
    const b = await admin.client.groups.create.mutate({ name: 'b' });
    const c = await admin.client.groups.create.mutate({ name: 'c' });
    await admin.client.permissions.grant.mutate({ tailUuid: a.uuid, headUuid: b.uuid, level: 'can_read' });
    await admin.client.permissions.grant.mutate({ tailUuid: b.uuid, headUuid: c.uuid, level: 'can_read' });
    const cycle = await failure(
      admin.client.permissions.grant.mutate({ tailUuid: c.uuid, headUuid: a.uuid, level: 'can_read' }),
    );
    expect(cycle).toMatchObject({ code: 'UNPROCESSABLE_CONTENT', field: 'headUuid' });
    expect(cycle.message).toMatch(/cycle/);
    expect(
      (
        await failure(
          admin.client.permissions.grant.mutate({ tailUuid: a.uuid, headUuid: a.uuid, level: 'can_read' }),
        )
      ).message,
    ).toMatch(/itself/);
  });

  it('lets a group manager add and remove members, but not a reader; members may leave', async () => {
    const team = await alice.client.groups.create.mutate({ name: 'team' });
    await alice.client.permissions.grant.mutate({
      tailUuid: bob.user.uuid,
      headUuid: team.uuid,
      level: 'can_read',
    });
    expect(
      (
        await failure(
          bob.client.permissions.grant.mutate({
            tailUuid: carol.user.uuid,
            headUuid: team.uuid,
            level: 'can_read',
          }),
        )
      ).code,
    ).toBe('FORBIDDEN');
    const link = await alice.client.permissions.grant.mutate({
      tailUuid: carol.user.uuid,
      headUuid: team.uuid,
      level: 'can_write',
    });
    // A second grant for the same pair replaces the level rather than adding a link.
    const again = await alice.client.permissions.grant.mutate({
      tailUuid: carol.user.uuid,
      headUuid: team.uuid,
      level: 'can_read',
    });
    expect(again.uuid).toBe(link.uuid);
    expect(again.name).toBe('can_read');
    await bob.client.permissions.revoke.mutate({ tailUuid: bob.user.uuid, headUuid: team.uuid });
    expect((await failure(bob.client.groups.get.query({ uuid: team.uuid }))).code).toBe('NOT_FOUND');
    await alice.client.permissions.revoke.mutate({ uuid: link.uuid });
    const members = await alice.client.groups.members.query({ uuid: team.uuid });
    expect(members.itemsAvailable).toBe(0);
  });

  it('never lets two parallel grants close a cycle between them', async () => {
    let bothRefused = 0;
    for (let round = 0; round < 12; round++) {
      const a = await admin.client.groups.create.mutate({ name: `race a ${round}` });
      const b = await admin.client.groups.create.mutate({ name: `race b ${round}` });
      const c = await admin.client.groups.create.mutate({ name: `race c ${round}` });
      // a → b and b → c at once with c → a: any two may stand, never all three.
      const outcomes = await Promise.allSettled([
        admin.client.permissions.grant.mutate({ tailUuid: a.uuid, headUuid: b.uuid, level: 'can_read' }),
        admin.client.permissions.grant.mutate({ tailUuid: b.uuid, headUuid: c.uuid, level: 'can_read' }),
        admin.client.permissions.grant.mutate({ tailUuid: c.uuid, headUuid: a.uuid, level: 'can_read' }),
      ]);
      const stood = outcomes.filter((o) => o.status === 'fulfilled').length;
      for (const o of outcomes) if (o.status === 'rejected') expect(String(o.reason)).toMatch(/cycle/);
      const links = await admin.client.permissions.list.query({
        filters: [['headUuid', 'in', [a.uuid, b.uuid, c.uuid]]],
      });
      expect(links.items).toHaveLength(stood);
      expect(stood).toBeLessThan(3);
      if (stood < 2) bothRefused++;
    }
    console.info(
      `cycle race: 12 rounds of 3 parallel grants closing a triangle, ${bothRefused} rounds refused more than one`,
    );
  });

  it('ends parallel membership edits consistently: one link per member, none duplicated', async () => {
    const g = await admin.client.groups.create.mutate({ name: 'busy' });
    const users = await Promise.all(Array.from({ length: 8 }, () => ctx.user()));
    await Promise.all(
      users.flatMap((u) => [
        admin.client.permissions.grant.mutate({ tailUuid: u.user.uuid, headUuid: g.uuid, level: 'can_read' }),
        admin.client.permissions.grant.mutate({
          tailUuid: u.user.uuid,
          headUuid: g.uuid,
          level: 'can_write',
        }),
      ]),
    );
    const members = await admin.client.groups.members.query({ uuid: g.uuid, limit: 100 });
    expect(members.itemsAvailable).toBe(8);
    expect(new Set(members.items.map((m) => m.memberUuid)).size).toBe(8);
  });

  it('deletes a group with its links; owners of groups cannot be deleted until they reassign them', async () => {
    const owner = await ctx.user();
    const g = await owner.client.groups.create.mutate({ name: 'temporary' });
    await owner.client.permissions.grant.mutate({
      tailUuid: bob.user.uuid,
      headUuid: g.uuid,
      level: 'can_read',
    });
    const refused = await failure(admin.client.users.delete.mutate({ uuid: owner.user.uuid }));
    expect(refused.message).toMatch(/owns groups/);
    await owner.client.groups.delete.mutate({ uuid: g.uuid });
    expect((await failure(owner.client.groups.get.query({ uuid: g.uuid }))).code).toBe('NOT_FOUND');
    expect(await ctx.server.deps.models.Link.countDocuments({ headUuid: g.uuid })).toBe(0);
    await admin.client.users.delete.mutate({ uuid: owner.user.uuid });
  });

  it('lists links the caller can see with the shared list vocabulary', async () => {
    const mine = await bob.client.permissions.list.query({
      filters: [['tailUuid', '=', bob.user.uuid]],
      count: true,
    });
    expect(mine.itemsAvailable).toBeGreaterThan(0);
    expect(mine.items.every((l) => l.tailUuid === bob.user.uuid)).toBe(true);
  });

  it('pages direct members in the order they were added, counted by the database', async () => {
    const club = await admin.client.groups.create.mutate({ name: 'paged club' });
    const nested = await admin.client.groups.create.mutate({ name: 'paged nested' });
    const people = await Promise.all(Array.from({ length: 11 }, () => ctx.user()));
    const added: string[] = [];
    for (const [i, p] of people.entries()) {
      await admin.client.permissions.grant.mutate({
        tailUuid: p.user.uuid,
        headUuid: club.uuid,
        level: i % 2 ? 'can_read' : 'can_write',
      });
      added.push(p.user.uuid);
      if (i === 4) {
        await admin.client.permissions.grant.mutate({
          tailUuid: nested.uuid,
          headUuid: club.uuid,
          level: 'can_read',
        });
        added.push(nested.uuid);
      }
    }
    const pages = [];
    for (let offset = 0; offset < 15; offset += 5) {
      pages.push(await admin.client.groups.members.query({ uuid: club.uuid, limit: 5, offset }));
    }
    expect(pages.map((p) => p.items.length)).toEqual([5, 5, 2]);
    expect(pages.every((p) => p.itemsAvailable === 12)).toBe(true);
    const seen = pages.flatMap((p) => p.items);
    expect(seen.map((m) => m.memberUuid)).toEqual(added);
    expect(seen[1]).toMatchObject({ level: 'can_read', kind: 'user', name: people[1]!.user.username });
    expect(seen[5]).toMatchObject({ memberUuid: nested.uuid, kind: 'group', name: 'paged nested' });
    expect(seen.every((m) => m.linkUuid?.startsWith('zzzzz-o0j2j-'))).toBe(true);
    // Past the end: nothing, with the count.
    const past = await admin.client.groups.members.query({ uuid: club.uuid, limit: 5, offset: 50 });
    expect([past.items.length, past.itemsAvailable]).toEqual([0, 12]);
  });
});
