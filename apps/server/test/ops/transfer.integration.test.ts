import { createWriteStream, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { finished } from 'node:stream/promises';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { exportDirectory, type TransferFormat } from '../../src/cli/export';
import { importRecords, readCsv, readJsonLines, readTransferFile } from '../../src/cli/import';
import { login } from '../../src/services/auth';
import type { Deps } from '../../src/services/deps';
import { makeUser, startTestServer, type TestServer } from '../../src/testing';
import { directoryRecords, seedDirectory } from './fixtures';

let source: TestServer;
let target: TestServer;
let dir: string;
beforeAll(async () => {
  [source, target] = await Promise.all([
    startTestServer({ uri: inject('mongoUri') }),
    startTestServer({ uri: inject('mongoUri') }),
  ]);
  dir = mkdtempSync(path.join(tmpdir(), 'roster-transfer-'));
});
afterAll(async () => {
  await Promise.all([source?.close(), target?.close()]);
  rmSync(dir, { recursive: true, force: true });
});

type Row = Record<string, unknown>;

async function exportTo(deps: Deps, format: TransferFormat, file: string) {
  const out = createWriteStream(file);
  const counts = await exportDirectory(deps, { format, out });
  out.end();
  await finished(out);
  return counts;
}
const readJsonl = (file: string): Row[] =>
  readFileSync(file, 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as Row);
const ofType = (rows: Row[], type: string) => rows.filter((r) => r.type === type);
/** Absent and null are the same value in the transfer format. */
const normal = (r: Row) =>
  Object.fromEntries(Object.entries(r).filter(([, v]) => v !== null && v !== undefined));

describe('export and import', () => {
  it('move 10,000 users with their groups and permission links, losing and changing nothing', {
    timeout: 900_000,
  }, async () => {
    const t0 = Date.now();
    const generated = await directoryRecords({
      users: 10_000,
      groups: 25,
      cluster: source.deps.config.clusterId,
    });
    await seedDirectory(source.deps, generated);

    // 1. The export of the source holds exactly what its database holds, field by field.
    const sourceFile = path.join(dir, 'source.jsonl');
    const counts = await exportTo(source.deps, 'jsonl', sourceFile);
    const exported = readJsonl(sourceFile);
    expect(counts).toEqual({ users: 10_000, groups: 25, permissions: generated.permissions.length });
    const exportedUsers = new Map(ofType(exported, 'user').map((u) => [u.uuid, normal(u)]));
    expect(exportedUsers.size).toBe(10_000);
    for (const u of generated.users) expect(exportedUsers.get(u.uuid), String(u.username)).toEqual(normal(u));
    const exportedGroups = new Map(ofType(exported, 'group').map((g) => [g.uuid, normal(g)]));
    for (const g of generated.groups) expect(exportedGroups.get(g.uuid)).toEqual(normal(g));
    const triple = (p: Row) => `${p.tailUuid} ${p.level} ${p.headUuid}`;
    expect(ofType(exported, 'permission').map(triple).sort()).toEqual(
      generated.permissions.map(triple).sort(),
    );
    // Owners come before the groups they own.
    const seen = new Set<unknown>(ofType(exported, 'user').map((u) => u.uuid));
    for (const g of ofType(exported, 'group')) {
      expect(seen.has(g.ownerUuid), `owner of ${g.name}`).toBe(true);
      seen.add(g.uuid);
    }
    const t1 = Date.now();

    // 2. Through CSV into an empty directory.
    const csvFile = path.join(dir, 'source.csv');
    await exportTo(source.deps, 'csv', csvFile);
    const report = await importRecords(target.deps, readTransferFile(csvFile), { concurrency: 16 });
    expect(report.problems).toEqual([]);
    expect(report.byType).toMatchObject({
      user: { created: 10_000, skipped: 0, rejected: 0 },
      group: { created: 25, skipped: 0, rejected: 0 },
      permission: { created: generated.permissions.length, skipped: 0, rejected: 0 },
    });
    const t2 = Date.now();

    // 3. The target's export is the source's, but for the uuids the target gave.
    const targetFile = path.join(dir, 'target.jsonl');
    await exportTo(target.deps, 'jsonl', targetFile);
    const reexported = readJsonl(targetFile);
    const uuidMap = new Map<unknown, unknown>();
    const sourceUsersByName = new Map(ofType(exported, 'user').map((u) => [u.username, u]));
    for (const u of ofType(reexported, 'user')) uuidMap.set(sourceUsersByName.get(u.username)?.uuid, u.uuid);
    // Group names repeat; their creation times do not.
    const sourceGroupsByTime = new Map(ofType(exported, 'group').map((g) => [g.createdAt, g]));
    for (const g of ofType(reexported, 'group'))
      uuidMap.set(sourceGroupsByTime.get(g.createdAt)?.uuid, g.uuid);
    const wk = (d: Deps) => d.wellKnown.allUsersGroup;
    uuidMap.set(wk(source.deps), wk(target.deps));
    expect(uuidMap.size).toBe(10_000 + 25 + 1);
    const mapped = (r: Row) =>
      normal(
        Object.fromEntries(
          Object.entries(r).map(([k, v]) => [
            k,
            k.endsWith('uuid') || k.endsWith('Uuid') ? uuidMap.get(v) : v,
          ]),
        ),
      );
    const targetUsers = new Map(ofType(reexported, 'user').map((u) => [u.uuid, normal(u)]));
    expect(targetUsers.size).toBe(10_000);
    for (const u of ofType(exported, 'user'))
      expect(targetUsers.get(uuidMap.get(u.uuid)), String(u.username)).toEqual(mapped(u));
    const targetGroups = new Map(ofType(reexported, 'group').map((g) => [g.uuid, normal(g)]));
    for (const g of ofType(exported, 'group'))
      expect(targetGroups.get(uuidMap.get(g.uuid))).toEqual(mapped(g));
    expect(ofType(reexported, 'permission').map(triple).sort()).toEqual(
      ofType(exported, 'permission')
        .map((p) => triple(mapped(p)))
        .sort(),
    );

    // 4. Users keep their passwords: the PHC hashes moved as they were.
    for (const i of [0, 1, 2, 3, 13]) {
      const session = await login(
        target.deps,
        { login: `user${i}`, password: generated.hashes[i % 4]!.password },
        { ip: '127.0.0.1', requestId: 'transfer-test' },
      );
      expect(session.user.username).toBe(`user${i}`);
    }
    process.stderr.write(
      `[transfer] 10,000 users, 25 groups, ${generated.permissions.length} links: export ${((t1 - t0) / 1000).toFixed(1)} s (with seeding), CSV import ${((t2 - t1) / 1000).toFixed(1)} s, check ${((Date.now() - t2) / 1000).toFixed(1)} s\n`,
    );
  });

  it('reports each rejected or skipped row with its line and reason, and imports the rest', async () => {
    const existing = await makeUser(target.deps, { username: 'alreadyhere' });
    const other = await makeUser(target.deps, { username: 'takenname' });
    const lines = [
      /* 1 */ { type: 'user', uuid: 'ref-ann', username: 'ann', email: 'ann@example.org' },
      /* 2 */ '',
      /* 3 */ '{"type": "user", "username": ',
      /* 4 */ { type: 'user', username: 'bob', email: 'not an email' },
      /* 5 */ {
        type: 'user',
        username: 'carl',
        email: 'carl@example.org',
        passwordHash: '$2b$10$bcryptisnotaccepted',
      },
      /* 6 */ { type: 'user', username: 'ANN', email: 'ann2@example.org' },
      /* 7 */ { type: 'user', username: 'alreadyhere', email: existing.email },
      /* 8 */ { type: 'user', username: other.username, email: 'someone.else@example.org' },
      /* 9 */ { type: 'robot', name: 'R2' },
      /* 10 */ { type: 'group', uuid: 'ref-team', name: 'Team', ownerUuid: 'ref-nobody' },
      /* 11 */ { type: 'group', uuid: 'ref-crew', name: 'Crew', ownerUuid: 'ref-ann' },
      /* 12 */ { type: 'permission', tailUuid: 'ref-ann', headUuid: 'ref-crew', level: 'can_write' },
      /* 13 */ { type: 'permission', tailUuid: 'ref-bob', headUuid: 'ref-crew', level: 'can_read' },
      /* 14 */ { type: 'permission', tailUuid: 'ref-ann', headUuid: 'ref-crew', level: 'can_own' },
      /* 15 */ { type: 'user', username: 'dee', email: 'dee@example.org', password: 'short' },
    ];
    const text = lines.map((l) => (typeof l === 'string' ? l : JSON.stringify(l))).join('\n');
    const report = await importRecords(target.deps, readJsonLines(Readable.from([text])));
    const summary = report.problems.map((p) => `${p.line} ${p.outcome} ${p.reason}`);
    expect(summary).toEqual([
      expect.stringMatching(/^3 rejected not valid JSON/),
      '4 rejected email: must be a valid email address',
      expect.stringMatching(/^5 rejected passwordHash: must be an argon2 PHC string/),
      '6 rejected username ANN is already on line 1',
      expect.stringMatching(new RegExp(`^7 skipped already exists as ${existing.user.uuid}$`)),
      '8 rejected username: takenname is taken by a user with another email',
      "9 rejected type: Invalid discriminator value. Expected 'user' | 'group' | 'permission'",
      '10 rejected ownerUuid: ref-nobody is neither a record above this line nor a user or group of this directory',
      '13 rejected tailUuid: ref-bob is neither a record above this line nor a user or group of this directory',
      expect.stringMatching(/^14 rejected level: /),
      expect.stringMatching(/^15 rejected password: must be at least 8 characters/),
    ]);
    expect(report.byType.user).toEqual({ created: 1, skipped: 1, rejected: 5 });
    expect(report.byType.group).toEqual({ created: 1, skipped: 0, rejected: 1 });
    expect(report.byType.permission).toEqual({ created: 1, skipped: 0, rejected: 2 });

    const ann = await target.deps.models.User.findOne({ usernameKey: 'ann' }).lean();
    const crew = await target.deps.models.Group.findOne({ name: 'Crew' }).lean();
    expect(crew?.ownerUuid).toBe(ann?.uuid);
    expect(
      await target.deps.models.Link.exists({ tailUuid: ann?.uuid, headUuid: crew?.uuid, name: 'can_write' }),
    ).toBeTruthy();

    // A second run changes nothing: what exists is skipped, what was wrong is still wrong.
    const again = await importRecords(target.deps, readJsonLines(Readable.from([text])));
    expect(again.created).toBe(0);
    expect(again.skipped).toBe(4);
    expect(again.rejected).toBe(report.rejected);
  });

  it('reads CSV from a spreadsheet: user rows without a type column, line numbers across quoted line breaks', async () => {
    const csv = [
      'username,email,firstName,lastName,isAdmin,password',
      'erin,erin@example.org,Erin,"Two',
      'lines",no,erin password 1',
      'fay,fay@example.org,Fay,Smith,maybe,fay password 1',
      'gus,gus@example.org,"Gus, Jr.",Jones,false,gus password 1',
      'hal,hal@example.org,Hal,H,false,hal password 1,one cell too many',
      'lee,lee@example.org,Lee,"Multi',
      'line",perhaps,lee password 1',
    ].join('\n');
    const file = path.join(dir, 'people.csv');
    writeFileSync(file, csv);
    const report = await importRecords(target.deps, readTransferFile(file));
    expect(report.problems.map((p) => [p.line, p.outcome, p.reason])).toEqual([
      [4, 'rejected', 'isAdmin: must be true or false'],
      [6, 'rejected', expect.stringMatching(/^not valid CSV/)],
      [7, 'rejected', 'isAdmin: must be true or false'],
    ]);
    expect(report.byType.user.created).toBe(2);
    const erin = await target.deps.models.User.findOne({ usernameKey: 'erin' }).lean();
    expect(erin).toMatchObject({ firstName: 'Erin', lastName: 'Two\nlines', isAdmin: false });
    const gus = await login(
      target.deps,
      { login: 'gus', password: 'gus password 1' },
      { ip: null, requestId: 't' },
    );
    expect(gus.user.firstName).toBe('Gus, Jr.');
    // An unknown column is refused before any row is imported.
    await expect(
      importRecords(target.deps, readCsv(Readable.from(['username,mail\nx,y\n']))),
    ).rejects.toThrow(/unknown CSV column\(s\) mail/);
  });
});
