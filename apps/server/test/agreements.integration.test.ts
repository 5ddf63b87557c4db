import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { makeUser, startTestServer, type TestServer } from '../src/testing';

let server: TestServer;
let admin: Awaited<ReturnType<typeof makeUser>>;
let member: Awaited<ReturnType<typeof makeUser>>;
let agreementUuid: string;
/** The signers, by uuid: their usernames. */
const signers = new Map<string, string>();
/** The signers in the order the list must give: newest signature first, then the link uuid. */
let expectedOrder: string[] = [];

const SIGNERS = 120;

interface Answer {
  status: number;
  // biome-ignore lint/suspicious/noExplicitAny: the JSON of a tRPC answer, read by each test
  body: any;
}

async function call(path: string, init: RequestInit, token?: string): Promise<Answer> {
  const res = await fetch(`${server.url}/trpc/${path}`, {
    ...init,
    headers: {
      'content-type': 'application/json',
      ...(token ? { authorization: `Bearer ${token}` } : {}),
    },
  });
  return { status: res.status, body: await res.json() };
}
const query = (path: string, input: unknown, token?: string) =>
  call(`${path}?input=${encodeURIComponent(JSON.stringify(input))}`, { method: 'GET' }, token);
const mutate = (path: string, input: unknown, token?: string) =>
  call(path, { method: 'POST', body: JSON.stringify(input) }, token);

const signatures = (input: Record<string, unknown>, token = admin.token) =>
  query('agreements.signatures', { uuid: agreementUuid, ...input }, token);

beforeAll(async () => {
  server = await startTestServer({ uri: inject('mongoUri') });
  admin = await makeUser(server.deps, { admin: true });
  member = await makeUser(server.deps);
  const published = await mutate(
    'agreements.publish',
    { title: 'Terms', text: 'Be nice.', version: '1' },
    admin.token,
  );
  agreementUuid = published.body.result.data.uuid;

  for (let i = 0; i < SIGNERS; i++) {
    const u = await makeUser(server.deps, { username: `signer${String(i).padStart(3, '0')}` });
    signers.set(u.user.uuid, u.username);
    expect((await mutate('agreements.sign', { uuid: agreementUuid }, u.token)).status).toBe(200);
  }
  // Forty signatures share each instant, and pages of 50 end inside those runs: only the
  // tiebreak keeps pages from repeating or skipping a row.
  const links = await server.deps.models.Link.find({ headUuid: agreementUuid, linkClass: 'signature' })
    .sort({ createdAt: 1, uuid: 1 })
    .lean();
  expect(links).toHaveLength(SIGNERS);
  const start = Date.now() - 3_600_000;
  for (let run = 0; run < 3; run++) {
    await server.deps.models.Link.updateMany(
      { uuid: { $in: links.slice(run * 40, run * 40 + 40).map((l) => l.uuid) } },
      { $set: { createdAt: new Date(start + run * 60_000) } },
    );
  }
  const stored = await server.deps.models.Link.find({
    headUuid: agreementUuid,
    linkClass: 'signature',
  }).lean();
  expectedOrder = stored
    .sort((a, b) => b.createdAt.getTime() - a.createdAt.getTime() || (a.uuid < b.uuid ? 1 : -1))
    .map((l) => l.tailUuid);
}, 120_000);
afterAll(() => server?.close());

describe('agreements.signatures', () => {
  it('pages 120 signatures by cursor, newest first, each signer once, with the total', async () => {
    const pages: Answer['body'][] = [];
    let cursor: string | undefined;
    do {
      const page = await signatures({ limit: 50, count: true, ...(cursor ? { cursor } : {}) });
      expect(page.status).toBe(200);
      pages.push(page.body.result.data);
      cursor = page.body.result.data.nextCursor ?? undefined;
    } while (cursor && pages.length < 10);

    expect(pages.map((p) => p.items.length)).toEqual([50, 50, 20]);
    expect(pages.map((p) => p.itemsAvailable)).toEqual([120, 120, 120]);
    expect(pages.at(-1).nextCursor).toBeNull();
    const items = pages.flatMap((p) => p.items);
    expect(new Set(items.map((s) => s.userUuid)).size).toBe(SIGNERS);
    expect(items.map((s) => s.userUuid)).toEqual(expectedOrder);
    for (const s of items) {
      expect(Object.keys(s).sort()).toEqual(['signedAt', 'userUuid', 'username']);
      expect(s.username).toBe(signers.get(s.userUuid));
    }
    const times = items.map((s) => Date.parse(s.signedAt));
    expect(times).toEqual([...times].sort((a, b) => b - a));
  });

  it('gives the same pages by offset, and the total alone for limit 0', async () => {
    const byOffset = [];
    for (const offset of [0, 50, 100]) {
      const page = await signatures({ limit: 50, offset });
      expect(page.status).toBe(200);
      expect(page.body.result.data).toMatchObject({ limit: 50, offset });
      expect(page.body.result.data.itemsAvailable).toBeUndefined();
      byOffset.push(...page.body.result.data.items.map((s: { userUuid: string }) => s.userUuid));
    }
    expect(byOffset).toEqual(expectedOrder);

    // limit 0 asks for the count alone, as in every list of the API.
    const counted = await signatures({ limit: 0, count: true });
    expect(counted.body.result.data).toMatchObject({ items: [], itemsAvailable: SIGNERS, nextCursor: null });
  });

  it('answers an agreement nobody signed with an empty page', async () => {
    const other = await mutate(
      'agreements.publish',
      { title: 'Other', text: 'x', version: '1', required: false },
      admin.token,
    );
    const page = await query(
      'agreements.signatures',
      { uuid: other.body.result.data.uuid, count: true },
      admin.token,
    );
    expect(page.body.result.data).toMatchObject({ items: [], itemsAvailable: 0, nextCursor: null });
  });

  it('is for admins only, and an unknown agreement is NOT_FOUND', async () => {
    const forbidden = await signatures({}, member.token);
    expect(forbidden.status).toBe(403);
    expect(forbidden.body.error.data.code).toBe('FORBIDDEN');
    const anonymous = await query('agreements.signatures', { uuid: agreementUuid });
    expect(anonymous.status).toBe(401);

    const unknown = await query(
      'agreements.signatures',
      { uuid: 'zzzzz-4zz18-000000000000000' },
      admin.token,
    );
    expect(unknown.status).toBe(404);
    expect(unknown.body.error.data).toMatchObject({ code: 'NOT_FOUND', appCode: 'NOT_FOUND' });
  });

  it('refuses bad page controls with a 400 naming the field', async () => {
    const cases: [Record<string, unknown>, string][] = [
      [{ limit: 1001 }, 'limit'],
      [{ limit: -1 }, 'limit'],
      [{ limit: 2.5 }, 'limit'],
      [{ offset: -1 }, 'offset'],
      [{ count: 'yes' }, 'count'],
      [{ uuid: 'not-a-uuid' }, 'uuid'],
      [{ cursor: 'forged' }, 'cursor'],
    ];
    for (const [input, field] of cases) {
      const res = await signatures(input);
      expect(res.status, JSON.stringify(input)).toBe(400);
      expect(res.body.error.data, JSON.stringify(input)).toMatchObject({
        code: 'BAD_REQUEST',
        appCode: 'VALIDATION_FAILED',
        field,
      });
    }
    const first = await signatures({ limit: 10 });
    const both = await signatures({ cursor: first.body.result.data.nextCursor, offset: 10 });
    expect(both.status).toBe(400);
    expect(both.body.error.data.field).toBe('cursor');
  });
});
