import { afterAll, afterEach, beforeAll, describe, expect, inject, it } from 'vitest';
import { createContextInner } from '../src/context';
import { createCaller } from '../src/router';
import { faults, resumeOperations } from '../src/services/operations';
import { makeUser, startTestServer, type TestServer } from '../src/testing';

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer({ uri: inject('mongoUri') });
});
afterAll(() => server.close());
afterEach(() => {
  faults.crashAfterStep = undefined;
});

async function adminCaller() {
  const admin = await makeUser(server.deps, { admin: true });
  const user = (await server.deps.models.User.findOne({ uuid: admin.user.uuid }).lean())!;
  return createCaller(
    createContextInner({ deps: server.deps, actor: { user: user as never, token: null, via: 'internal' } }),
  );
}

/** A crash after each step of an operation, then a restart's resumption, must end in the full new state. */
describe('resumable operations', () => {
  for (const crashAfter of [1, 2]) {
    it(`finishes an unsetup interrupted after step ${crashAfter}`, async () => {
      const caller = await adminCaller();
      const u = await makeUser(server.deps);
      await caller.users.update({ uuid: u.user.uuid, patch: { prefs: { a: 1 } } });
      faults.crashAfterStep = crashAfter;
      await expect(caller.users.unsetup({ uuid: u.user.uuid })).rejects.toThrow(/crash after step/);
      expect(await server.deps.models.Operation.countDocuments({ state: 'pending' })).toBe(1);
      faults.crashAfterStep = undefined;

      expect(await resumeOperations(server.deps)).toBe(1);
      const after = await caller.users.get({ uuid: u.user.uuid });
      expect(after).toMatchObject({
        isActive: false,
        isAdmin: false,
        isInvited: false,
        prefs: {},
        groups: [],
      });
      expect(await server.deps.models.Token.countDocuments({ userUuid: u.user.uuid })).toBe(0);
      expect(await server.deps.models.Link.countDocuments({ tailUuid: u.user.uuid })).toBe(0);
      expect(await server.deps.models.Operation.countDocuments({ state: 'pending' })).toBe(0);
    });
  }

  for (const crashAfter of [1, 2, 3]) {
    it(`finishes a merge with redirect interrupted after step ${crashAfter}`, async () => {
      const caller = await adminCaller();
      const from = await makeUser(server.deps);
      const into = await makeUser(server.deps);
      const group = await server.deps.models.Group.create({
        uuid: `zzzzz-j7d0g-crash${crashAfter}${Date.now().toString(36).slice(-9)}`.slice(0, 27),
        id: 100000 + crashAfter,
        name: 'owned',
        ownerUuid: from.user.uuid,
        createdAt: new Date(),
        modifiedAt: new Date(),
        etag: 'e',
      });
      faults.crashAfterStep = crashAfter;
      await expect(
        caller.users.merge({
          oldUserUuid: from.user.uuid,
          newUserUuid: into.user.uuid,
          newOwnerUuid: into.user.uuid,
          redirectToNewUser: true,
        }),
      ).rejects.toThrow(/crash after step/);
      faults.crashAfterStep = undefined;

      await resumeOperations(server.deps);
      await expect(caller.users.get({ uuid: from.user.uuid })).rejects.toMatchObject({ code: 'NOT_FOUND' });
      expect(await server.deps.models.Token.countDocuments({ userUuid: from.user.uuid })).toBe(0);
      expect(await server.deps.models.Token.countDocuments({ userUuid: into.user.uuid })).toBe(2);
      expect(
        await server.deps.models.Link.countDocuments({
          $or: [{ tailUuid: from.user.uuid }, { headUuid: from.user.uuid }],
        }),
      ).toBe(0);
      expect((await server.deps.models.Group.findOne({ uuid: group.uuid }).lean())?.ownerUuid).toBe(
        into.user.uuid,
      );
    });
  }

  it('finishes a group deletion interrupted after removing its links', async () => {
    const caller = await adminCaller();
    const g = await caller.groups.create({ name: 'doomed', description: '' });
    const u = await makeUser(server.deps);
    await caller.permissions.grant({ tailUuid: u.user.uuid, headUuid: g.uuid, level: 'can_read' });
    faults.crashAfterStep = 1;
    await expect(caller.groups.delete({ uuid: g.uuid })).rejects.toThrow(/crash after step/);
    faults.crashAfterStep = undefined;
    await resumeOperations(server.deps);
    await expect(caller.groups.get({ uuid: g.uuid })).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });
});
