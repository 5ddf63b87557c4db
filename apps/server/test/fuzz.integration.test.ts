import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { appRouter } from '../src/router';
import { issueToken } from '../src/services/tokens';
import { makeUser, startTestServer, type TestServer } from '../src/testing';

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer({ uri: inject('mongoUri') });
});
afterAll(() => server.close());

type Procedure = { _def: { type: 'query' | 'mutation' } };
const procedures = Object.entries(appRouter._def.procedures as unknown as Record<string, Procedure>);

/** Strings that tend to break parsers, queries and encoders. */
const nasty = fc.constantFrom(
  '',
  ' ',
  '\u0000',
  'a.b',
  '$where',
  '{"$gt":""}',
  '%',
  '%%',
  '_',
  'x'.repeat(3000),
  'zzzzz-tpzed-000000000000000',
  'zzzzz-j7d0g-fffffffffffffff',
  'zzzzz-gj3su-aaaaaaaaaaaaaaa',
  '../../etc/passwd',
  '\ud800',
  '😀',
  '2026-13-45T99:99:99Z',
  'v2/zzzzz-gj3su-aaaaaaaaaaaaaaa/secret',
);
const value = fc.oneof(
  { depthSize: 'small' },
  fc.jsonValue({ maxDepth: 3 }),
  nasty,
  fc.constant({ $gt: '' }),
  fc.array(fc.oneof(nasty, fc.integer(), fc.constant(null)), { maxLength: 4 }),
);
const FIELDS = [
  'uuid',
  'username',
  'email',
  'password',
  'login',
  'patch',
  'filters',
  'order',
  'limit',
  'offset',
  'cursor',
  'select',
  'count',
  'prefs',
  'name',
  'tailUuid',
  'headUuid',
  'level',
  'mode',
  'scopes',
  'expiresAt',
  'user',
  'newUserToken',
  'oldUserUuid',
  'newUserUuid',
  'newOwnerUuid',
  'everywhere',
  'oldPassword',
  'newPassword',
  'isAdmin',
  'title',
  'text',
  'version',
];
/** Inputs shaped like the real ones (known field names) with hostile values, or anything at all. */
const input = fc.oneof(fc.dictionary(fc.constantFrom(...FIELDS), value, { maxKeys: 5 }), value);

async function snapshot() {
  const { User, Group, Link, Token } = server.deps.models;
  const strip = (docs: object[]) =>
    JSON.stringify(
      docs.map((d) =>
        Object.fromEntries(
          Object.entries(d).filter(([k]) => !['_id', 'lastUsedAt', 'lastUsedByIp'].includes(k)),
        ),
      ),
    );
  return {
    users: strip(
      await User.find({ username: { $in: ['fuzzvictim', 'fuzzadmin'] } })
        .sort({ id: 1 })
        .lean(),
    ),
    groups: strip(await Group.find({ name: 'victims' }).lean()),
    links: await Link.find({}).sort({ uuid: 1 }).lean(),
    tokens: strip(await Token.find({ label: 'victim' }).lean()),
  };
}

describe('fuzzing every procedure with generated input', () => {
  it('never answers 5xx and never changes data the caller may not change', { timeout: 180_000 }, async () => {
    const admin = await makeUser(server.deps, { admin: true, username: 'fuzzadmin' });
    const victim = await makeUser(server.deps, { username: 'fuzzvictim' });
    const adminCaller = await makeUser(server.deps, { admin: true });
    const grp = await fetch(`${server.url}/trpc/groups.create`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${adminCaller.token}` },
      body: JSON.stringify({ name: 'victims' }),
    });
    expect(grp.status).toBe(200);
    await issueToken(server.deps, victim.user.uuid, { kind: 'api', label: 'victim' });
    const before = await snapshot();
    const usersBefore = new Set(
      (await server.deps.models.User.find({}, { uuid: 1 }).lean()).map((u) => u.uuid),
    );

    const attacker = await makeUser(server.deps, { username: 'fuzzattacker' });
    let sent = 0;
    const statuses = new Map<number, number>();
    for (const [path, proc] of procedures) {
      // A fresh token per procedure: logout or revokeAll may end the previous one.
      const token = (await issueToken(server.deps, attacker.user.uuid, { kind: 'api' })).secret;
      await fc.assert(
        fc.asyncProperty(input, fc.boolean(), async (body, authenticated) => {
          const headers: Record<string, string> = authenticated ? { authorization: `Bearer ${token}` } : {};
          const res =
            proc._def.type === 'query'
              ? await fetch(
                  `${server.url}/trpc/${path}?input=${encodeURIComponent(JSON.stringify(body) ?? '')}`,
                  { headers },
                )
              : await fetch(`${server.url}/trpc/${path}`, {
                  method: 'POST',
                  headers: { ...headers, 'content-type': 'application/json' },
                  body: JSON.stringify(body),
                });
          sent += 1;
          statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
          const text = await res.text();
          expect(
            res.status,
            `${path} ${JSON.stringify(body)?.slice(0, 200)} → ${text.slice(0, 200)}`,
          ).toBeLessThan(500);
        }),
        { numRuns: 75, seed: 20261125 },
      );
    }
    expect(sent).toBeGreaterThanOrEqual(75 * procedures.length);
    const after = await snapshot();
    expect({ ...after, links: undefined }).toEqual({ ...before, links: undefined });
    // Links: every earlier one unchanged; new ones only on groups the attacker owns, or the
    // set-up links of users that signed up during the run.
    const own = new Set(
      (await server.deps.models.Group.find({ ownerUuid: attacker.user.uuid }, { uuid: 1 }).lean()).map(
        (g) => g.uuid,
      ),
    );
    const isNewUser = (uuid: string) => uuid.includes('-tpzed-') && !usersBefore.has(uuid);
    const earlier = new Map(before.links.map((l) => [l.uuid, JSON.stringify(l)]));
    for (const l of after.links) {
      if (earlier.has(l.uuid)) expect(JSON.stringify(l)).toBe(earlier.get(l.uuid));
      else
        expect(
          own.has(l.headUuid) || isNewUser(l.tailUuid) || isNewUser(l.headUuid),
          `new link ${l.tailUuid} → ${l.headUuid}`,
        ).toBe(true);
    }
    for (const uuid of earlier.keys())
      expect(
        after.links.some((l) => l.uuid === uuid),
        `link ${uuid} removed`,
      ).toBe(true);
    console.info(
      `fuzz: ${sent} requests over ${procedures.length} procedures; statuses ${JSON.stringify(Object.fromEntries(statuses))}`,
    );
    void admin;
  });
});
