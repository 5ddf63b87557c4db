import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { type ImportReport, importRecords, readJsonLines } from '../../src/cli/import';
import { login } from '../../src/services/auth';
import { nextId, nextIds } from '../../src/services/counters';
import type { Deps } from '../../src/services/deps';
import { relationKey } from '../../src/services/links';
import { createUser } from '../../src/services/users';
import { makeUser, startTestServer, type TestServer } from '../../src/testing';
import { phcHashes } from './fixtures';

let server: TestServer;
/** ROSTER_AUTO_SETUP_NEW_USERS=false: a row says itself whether its user is active or set up. */
let manual: TestServer;
beforeAll(async () => {
  [server, manual] = await Promise.all([
    startTestServer({ uri: inject('mongoUri') }),
    startTestServer({ uri: inject('mongoUri'), config: { autoSetupNewUsers: false } }),
  ]);
});
afterAll(async () => {
  await Promise.all([server?.close(), manual?.close()]);
});

type Row = Record<string, unknown>;
const meta = { ip: '127.0.0.1', requestId: 'import-batches-test' };

/** Imports rows (one a line, from line 1) in batches of `batchSize`, counting the progress bar's steps. */
async function importRows(deps: Deps, rows: Row[], batchSize: number) {
  const text = rows.map((r) => JSON.stringify(r)).join('\n');
  let steps = 0;
  const progress = { start() {}, stop() {}, increment: () => void steps++ };
  const report = await importRecords(deps, readJsonLines(Readable.from([text])), { batchSize, progress });
  return { report, steps };
}
const problemsOf = (report: ImportReport) => report.problems.map((p) => [p.line, p.outcome, p.reason]);
const userNamed = (deps: Deps, username: string) =>
  deps.models.User.findOne({ usernameKey: username.toLowerCase() }).lean();
const setupLinkKeys = (deps: Deps, userUuid: string) => [
  relationKey({
    linkClass: 'permission',
    name: '',
    tailUuid: userUuid,
    headUuid: deps.wellKnown.allUsersGroup,
  }),
  relationKey({
    linkClass: 'permission',
    name: '',
    tailUuid: deps.wellKnown.allUsersGroup,
    headUuid: userUuid,
  }),
];
async function setupLinksOf(deps: Deps, userUuid: string) {
  const links = await deps.models.Link.find({ relationKey: { $in: setupLinkKeys(deps, userUuid) } }).lean();
  return links.map((l) => `${l.tailUuid === userUuid ? 'member' : 'visible'} ${l.name}`).sort();
}

describe('roster import of user rows in batches', () => {
  it('skips or rejects a taken username or email in the middle of a batch for the reasons row by row gives, and creates the rest', async () => {
    const deps = server.deps;
    const mid = await makeUser(deps, { username: 'midbatch', email: 'midbatch@example.org' });
    const clash = await makeUser(deps, { username: 'clashname', email: 'clash@example.org' });
    await createUser(
      deps,
      null,
      {
        username: 'withurl',
        email: 'withurl@example.org',
        identityUrl: 'https://id.example.org/taken',
        isAdmin: false,
        prefs: {},
      },
      { source: 'bootstrap' },
    );
    const rows: Row[] = [
      /* 1 */ { type: 'user', username: 'dupa0', email: 'dupa0@example.org' },
      /* 2 */ { type: 'user', username: 'dupa1', email: 'dupa1@example.org' },
      /* 3 */ { type: 'user', username: 'MidBatch', email: 'MIDBATCH@example.org' },
      /* 4 */ { type: 'user', username: 'dupa3', email: 'dupa3@example.org' },
      /* 5 */ { type: 'user', username: 'clashname', email: 'someone.else@example.org' },
      /* 6 */ { type: 'user', username: 'dupa5', email: 'clash@example.org' },
      /* 7 */ {
        type: 'user',
        username: 'dupa6',
        email: 'dupa6@example.org',
        identityUrl: 'https://id.example.org/taken',
      },
      // No username: the second derives the same one, clashes at insert and takes the next free name.
      /* 8 */ { type: 'user', email: 'samdup@a.example.org' },
      /* 9 */ { type: 'user', email: 'samdup@b.example.org' },
      /* 10 */ { type: 'user', username: 'dupa9', email: 'dupa9@example.org' },
    ];
    const { report, steps } = await importRows(deps, rows, 4);
    expect(problemsOf(report)).toEqual([
      [3, 'skipped', `already exists as ${mid.user.uuid}`],
      [5, 'rejected', 'username: clashname is taken by a user with another email'],
      [6, 'rejected', 'email: clash@example.org is taken by another user'],
      [7, 'rejected', 'identityUrl: identityUrl is already taken'],
    ]);
    expect(report.problems.find((p) => p.line === 3)?.subject).toBe('MidBatch');
    expect(report.byType.user).toEqual({ created: 6, skipped: 1, rejected: 3 });
    expect(steps).toBe(rows.length);
    for (const name of ['dupa0', 'dupa1', 'dupa3', 'dupa9', 'samdup', 'samdup2'])
      expect(await userNamed(deps, name), name).toBeTruthy();
    expect((await userNamed(deps, 'samdup2'))?.email).toBe('samdup@b.example.org');
    expect(await deps.models.User.countDocuments({ emailKey: 'clash@example.org' })).toBe(1);
    expect((await userNamed(deps, 'clashname'))?.uuid).toBe(clash.user.uuid);

    // 2. The same file again: whoever was created is skipped as already there, the rest as before.
    const users = await deps.models.User.countDocuments({});
    const links = await deps.models.Link.countDocuments({});
    const again = await importRows(deps, rows, 4);
    expect(again.report.byType.user).toEqual({ created: 0, skipped: 7, rejected: 3 });
    const skippedAs = new Map(
      again.report.problems.filter((p) => p.outcome === 'skipped').map((p) => [p.line, p.reason]),
    );
    expect(skippedAs.get(1)).toBe(`already exists as ${(await userNamed(deps, 'dupa0'))?.uuid}`);
    expect(skippedAs.get(9)).toBe(`already exists as ${(await userNamed(deps, 'samdup2'))?.uuid}`);
    expect(problemsOf(again.report).filter(([, outcome]) => outcome === 'rejected')).toEqual(
      problemsOf(report).filter(([, outcome]) => outcome === 'rejected'),
    );
    expect(await deps.models.User.countDocuments({})).toBe(users);
    expect(await deps.models.Link.countDocuments({})).toBe(links);
  });

  it('skips every row of a rerun of a file of several batches', async () => {
    const deps = server.deps;
    const rows: Row[] = Array.from({ length: 23 }, (_, i) => ({
      type: 'user',
      uuid: `rerun-${i}`,
      username: `rerun${i}`,
      email: `rerun${i}@example.org`,
    }));
    const first = await importRows(deps, rows, 5);
    expect(first.report.byType.user).toEqual({ created: 23, skipped: 0, rejected: 0 });
    const again = await importRows(deps, rows, 5);
    expect(again.report.byType.user).toEqual({ created: 0, skipped: 23, rejected: 0 });
    expect(again.steps).toBe(23);
    expect(again.report.problems.map((p) => p.line)).toEqual(rows.map((_, i) => i + 1));
    for (const p of again.report.problems) {
      const user = await userNamed(deps, `rerun${p.line - 1}`);
      expect(p).toMatchObject({ outcome: 'skipped', subject: `rerun${p.line - 1}` });
      expect(p.reason).toBe(`already exists as ${user?.uuid}`);
    }
  });

  it('hashes clear-text passwords and keeps pre-hashed ones, mixed in one batch', async () => {
    const deps = server.deps;
    const [moved] = await phcHashes(1);
    const changedAt = '2024-05-06T07:08:09.000Z';
    const rows: Row[] = [];
    for (let i = 0; i < 12; i++) {
      rows.push(
        i % 2
          ? {
              type: 'user',
              username: `mixed${i}`,
              email: `mixed${i}@example.org`,
              password: `clear password ${i}`,
            }
          : {
              type: 'user',
              username: `mixed${i}`,
              email: `mixed${i}@example.org`,
              passwordHash: moved!.hash,
              passwordChangedAt: changedAt,
            },
      );
    }
    rows.push(
      {
        type: 'user',
        username: 'mixedboth',
        email: 'mixedboth@example.org',
        password: 'a password 1',
        passwordHash: moved!.hash,
      },
      { type: 'user', username: 'mixedbad', email: 'mixedbad@example.org', passwordHash: '$2b$10$bcrypt' },
    );
    const before = Date.now();
    const { report } = await importRows(deps, rows, 500);
    expect(problemsOf(report)).toEqual([
      [13, 'rejected', 'give password or passwordHash, not both'],
      [14, 'rejected', expect.stringMatching(/^passwordHash: must be an argon2 PHC string/)],
    ]);
    expect(report.byType.user).toEqual({ created: 12, skipped: 0, rejected: 2 });
    for (let i = 0; i < 12; i++) {
      const password = i % 2 ? `clear password ${i}` : moved!.password;
      const session = await login(deps, { login: `mixed${i}`, password }, meta);
      expect(session.user.username).toBe(`mixed${i}`);
      const stored = await userNamed(deps, `mixed${i}`);
      if (i % 2) {
        expect(stored?.passwordHash).toMatch(/^\$argon2id\$/);
        expect(stored?.passwordHash).not.toBe(moved!.hash);
        expect(stored?.passwordChangedAt?.getTime()).toBeGreaterThanOrEqual(before);
      } else {
        expect(stored?.passwordChangedAt?.toISOString()).toBe(changedAt);
      }
    }
  });

  it('sets up the users a batch invites, and only those, with the cached memberships dropped', async () => {
    const deps = manual.deps;
    const rows: Row[] = [
      { type: 'user', username: 'inviteddefault', email: 'inviteddefault@example.org' },
      { type: 'user', username: 'invitedyes', email: 'invitedyes@example.org', isInvited: true },
      { type: 'user', username: 'invitedactive', email: 'invitedactive@example.org', isActive: true },
      {
        type: 'user',
        username: 'invitedactiveno',
        email: 'invitedactiveno@example.org',
        isActive: true,
        isInvited: false,
      },
      { type: 'user', username: 'invitedadmin', email: 'invitedadmin@example.org', isAdmin: true },
    ];
    const generation = deps.authCache.currentGeneration;
    const { report } = await importRows(deps, rows, 500);
    expect(report.byType.user).toEqual({ created: 5, skipped: 0, rejected: 0 });
    expect(deps.authCache.currentGeneration).toBeGreaterThan(generation);
    const setUp = ['member can_write', 'visible can_read'];
    const expected: Record<string, { isActive: boolean; links: string[] }> = {
      inviteddefault: { isActive: false, links: [] },
      invitedyes: { isActive: false, links: setUp },
      // An active user is always set up, as createUser does it.
      invitedactive: { isActive: true, links: setUp },
      invitedactiveno: { isActive: true, links: setUp },
      invitedadmin: { isActive: true, links: setUp },
    };
    for (const [username, want] of Object.entries(expected)) {
      const user = await userNamed(deps, username);
      expect({ isActive: user?.isActive, links: await setupLinksOf(deps, user!.uuid) }, username).toEqual(
        want,
      );
    }
  });

  it('resolves groups and permissions of the file to users of earlier batches', async () => {
    const deps = server.deps;
    const users: Row[] = Array.from({ length: 8 }, (_, i) => ({
      type: 'user',
      uuid: `ref-user-${i}`,
      username: `refuser${i}`,
      email: `refuser${i}@example.org`,
    }));
    const rows: Row[] = [
      ...users,
      { type: 'group', uuid: 'ref-team', name: 'Batch team', ownerUuid: 'ref-user-0' },
      { type: 'permission', tailUuid: 'ref-user-1', headUuid: 'ref-team', level: 'can_write' },
      { type: 'permission', tailUuid: 'ref-user-7', headUuid: 'ref-team', level: 'can_read' },
      { type: 'permission', tailUuid: 'ref-user-0', headUuid: 'ref-user-6', level: 'can_manage' },
    ];
    const { report } = await importRows(deps, rows, 3);
    expect(report.problems).toEqual([]);
    expect(report.byType).toMatchObject({
      user: { created: 8, skipped: 0, rejected: 0 },
      group: { created: 1, skipped: 0, rejected: 0 },
      permission: { created: 3, skipped: 0, rejected: 0 },
    });
    const uuidOf = async (i: number) => (await userNamed(deps, `refuser${i}`))!.uuid;
    const team = await deps.models.Group.findOne({ name: 'Batch team' }).lean();
    expect(team?.ownerUuid).toBe(await uuidOf(0));
    const levelOf = async (tailUuid: string, headUuid: string) =>
      (
        await deps.models.Link.findOne({
          relationKey: relationKey({ linkClass: 'permission', name: '', tailUuid, headUuid }),
        }).lean()
      )?.name;
    expect(await levelOf(await uuidOf(1), team!.uuid)).toBe('can_write');
    expect(await levelOf(await uuidOf(7), team!.uuid)).toBe('can_read');
    expect(await levelOf(await uuidOf(0), await uuidOf(6))).toBe('can_manage');
  });

  it('gives ids in file order, though a batch of clear-text passwords takes longer than the pre-hashed one after it', async () => {
    const deps = server.deps;
    const [moved] = await phcHashes(1);
    const rows: Row[] = Array.from({ length: 12 }, (_, i) => ({
      type: 'user',
      username: `order${i}`,
      email: `order${i}@example.org`,
      ...(i < 6 ? { password: `order password ${i}` } : { passwordHash: moved!.hash }),
    }));
    const { report } = await importRows(deps, rows, 6);
    expect(report.byType.user.created).toBe(12);
    const ids: number[] = [];
    for (let i = 0; i < 12; i++) ids.push((await userNamed(deps, `order${i}`))!.id);
    expect(ids).toEqual([...ids].sort((a, b) => a - b));
  });
});

describe('nextIds', () => {
  it('allocates blocks that neither overlap each other nor single ids, however concurrent', async () => {
    const deps = server.deps;
    const [blocks, singles] = await Promise.all([
      Promise.all(Array.from({ length: 10 }, (_, i) => nextIds(deps, 'groups', i + 1))),
      Promise.all(Array.from({ length: 10 }, () => nextId(deps, 'groups'))),
    ]);
    const ids = [
      ...blocks.flatMap((b) => Array.from({ length: b.last - b.first + 1 }, (_, k) => b.first + k)),
      ...singles,
    ];
    for (const [i, b] of blocks.entries()) expect(b.last - b.first + 1).toBe(i + 1);
    expect(new Set(ids).size).toBe(55 + 10);
    expect(Math.max(...ids) - Math.min(...ids) + 1).toBe(65);
  });
});
