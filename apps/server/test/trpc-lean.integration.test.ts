import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { makeUser, startTestServer, type TestServer } from '../src/testing';

/**
 * The lean tRPC path (src/http/trpc-lean.ts) must answer exactly as tRPC's own adapter does.
 * Two servers on one database, one with each; every request goes to both and the answers are
 * compared: status, body and the headers a client reads.
 */
let lean: TestServer;
let adapter: TestServer;
let admin: Awaited<ReturnType<typeof makeUser>>;
let member: Awaited<ReturnType<typeof makeUser>>;

beforeAll(async () => {
  lean = await startTestServer({ uri: inject('mongoUri') });
  adapter = await startTestServer({ uri: inject('mongoUri'), dbName: lean.dbName, app: { leanTrpc: false } });
  admin = await makeUser(lean.deps, { admin: true });
  member = await makeUser(lean.deps);
});
afterAll(async () => {
  await adapter?.close();
  await lean?.close();
});

interface Answer {
  status: number;
  body: unknown;
  headers: Record<string, string | null>;
  chunked: boolean;
}

/** Fields that change between two calls of one mutation. */
const VOLATILE = new Set(['modifiedAt', 'etag', 'createdAt', 'lastLoginAt', 'passwordChangedAt']);
const steady = (value: unknown): unknown =>
  Array.isArray(value)
    ? value.map(steady)
    : value && typeof value === 'object'
      ? Object.fromEntries(
          Object.entries(value)
            .filter(([k]) => !VOLATILE.has(k))
            .map(([k, v]) => [k, steady(v)]),
        )
      : value;

async function ask(server: TestServer, path: string, init: RequestInit = {}): Promise<Answer> {
  const res = await fetch(`${server.url}${path}`, init);
  const text = await res.text();
  return {
    status: res.status,
    body: steady(text ? JSON.parse(text) : null),
    headers: Object.fromEntries(
      ['content-type', 'vary', 'x-content-type-options', 'allow'].map((h) => [h, res.headers.get(h)]),
    ),
    chunked: res.headers.get('transfer-encoding') === 'chunked',
  };
}

/** Sends one request to both servers; expects the same answer, and that each path served its own. */
async function same(path: string, init: RequestInit = {}, servedLean = true): Promise<Answer> {
  const fromAdapter = await ask(adapter, path, init);
  const fromLean = await ask(lean, path, init);
  expect(fromLean.status).toBe(fromAdapter.status);
  expect(fromLean.body).toEqual(fromAdapter.body);
  expect(fromLean.headers).toEqual(fromAdapter.headers);
  // tRPC's adapter streams its answer; the lean path sends a Content-Length.
  expect(fromAdapter.chunked).toBe(true);
  expect(fromLean.chunked).toBe(!servedLean);
  return fromLean;
}

const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
const q = (input: unknown) => encodeURIComponent(JSON.stringify(input));
const post = (body: unknown, headers: Record<string, string>): RequestInit => ({
  method: 'POST',
  headers: { 'content-type': 'application/json', ...headers },
  body: JSON.stringify(body),
});

describe('the lean tRPC path', () => {
  it('answers queries as the adapter does: success, unauthenticated, bad token, bad input, not found', async () => {
    expect((await same('/trpc/users.current', { headers: bearer(member.token) })).status).toBe(200);
    expect((await same('/trpc/users.current')).status).toBe(401);
    expect((await same('/trpc/users.current', { headers: bearer('nope') })).status).toBe(401);
    const invalid = await same(`/trpc/users.get?input=${q({ uuid: 'not-a-uuid' })}`, {
      headers: bearer(member.token),
    });
    expect(invalid.status).toBe(400);
    expect(invalid.body).toMatchObject({ error: { data: { appCode: 'VALIDATION_FAILED', field: 'uuid' } } });
    const missing = await same(`/trpc/users.get?input=${q({ uuid: 'zzzzz-tpzed-000000000000999' })}`, {
      headers: bearer(member.token),
    });
    expect(missing.status).toBe(404);
    expect(
      (await same(`/trpc/users.list?input=${q({ limit: 2 })}`, { headers: bearer(admin.token) })).status,
    ).toBe(200);
  });

  it('answers batches as the adapter does: one status when all agree, 207 when they differ, bad batch input', async () => {
    const ok = await same(`/trpc/users.current,auth.info?batch=1&input=${q({})}`, {
      headers: bearer(member.token),
    });
    expect(ok.status).toBe(200);
    expect(ok.body).toHaveLength(2);
    const mixed = await same(
      `/trpc/users.current,users.get?batch=1&input=${q({ 1: { uuid: 'zzzzz-tpzed-000000000000999' } })}`,
      { headers: bearer(member.token) },
    );
    expect(mixed.status).toBe(207);
    const notObject = await same(`/trpc/users.get?batch=1&input=${q('x')}`, {
      headers: bearer(member.token),
    });
    expect(notObject.status).toBe(400);
    // A call that takes no input never reads it, on either path.
    const unread = await same(`/trpc/users.current?batch=1&input=${q('x')}`, {
      headers: bearer(member.token),
    });
    expect(unread.status).toBe(200);
  });

  it('answers mutations as the adapter does: success, validation, refusal, CSRF, batch', async () => {
    const patch = { uuid: member.user.uuid, patch: { firstName: 'Lean' } };
    expect((await same('/trpc/users.update', post(patch, bearer(member.token)))).status).toBe(200);
    const bad = await same(
      '/trpc/users.update',
      post({ uuid: member.user.uuid, patch: { email: 1 } }, bearer(member.token)),
    );
    expect(bad.status).toBe(400);
    const other = { uuid: admin.user.uuid, patch: { firstName: 'Nope' } };
    expect((await same('/trpc/users.update', post(other, bearer(member.token)))).status).toBe(403);
    const cookie = { cookie: `roster_session=${member.token}` };
    const noCsrf = await same('/trpc/users.update', post(patch, cookie));
    expect(noCsrf.body).toMatchObject({ error: { data: { appCode: 'CSRF_FAILED' } } });
    const withCsrf = await same(
      '/trpc/users.update',
      post(patch, { ...cookie, 'x-csrf-token': member.csrfToken }),
    );
    expect(withCsrf.status).toBe(200);
    const batch = await same(
      '/trpc/users.update,users.update?batch=1',
      post({ 0: patch, 1: other }, bearer(member.token)),
    );
    expect(batch.status).toBe(207);
  });

  it('leaves the rest to the adapter: method mismatch, unknown procedure, input that is not JSON', async () => {
    expect((await same('/trpc/users.update', { headers: bearer(member.token) }, false)).status).toBe(405);
    expect((await same('/trpc/users.current', post({}, bearer(member.token)), false)).status).toBe(405);
    expect((await same('/trpc/users.nope', { headers: bearer(member.token) }, false)).status).toBe(404);
    expect((await same('/trpc/users.get?input=%7B', { headers: bearer(member.token) }, false)).status).toBe(
      400,
    );
  });

  it('serves calls with a rate limit of their own, which here is off', async () => {
    expect(
      (await same('/trpc/auth.login', post({ login: member.username, password: 'wrong one' }, {}))).status,
    ).toBe(401);
    // A session is new at every login: compare what the answers hold, not the secrets.
    const good = post({ login: member.username, password: member.password }, {});
    const fromAdapter = await ask(adapter, '/trpc/auth.login', good);
    const fromLean = await ask(lean, '/trpc/auth.login', good);
    expect([fromLean.status, fromLean.chunked]).toEqual([200, false]);
    const shape = (a: Answer) => Object.keys((a.body as { result: { data: object } }).result.data).sort();
    expect(shape(fromLean)).toEqual(shape(fromAdapter));
    expect(fromLean.headers).toEqual(fromAdapter.headers);
  });

  it('clears the session cookie with the attributes it was set with', async () => {
    const leaving = await makeUser(lean.deps);
    const res = await fetch(
      `${lean.url}/trpc/users.deleteSelf`,
      post(
        { password: leaving.password },
        { cookie: `roster_session=${leaving.token}`, 'x-csrf-token': leaving.csrfToken },
      ),
    );
    expect(res.status).toBe(200);
    expect(res.headers.getSetCookie()).toEqual([
      'roster_session=; Path=/; Expires=Thu, 01 Jan 1970 00:00:00 GMT; HttpOnly; SameSite=Lax',
    ]);
  });
});

describe('rate-limited calls on the lean path', () => {
  let limitedLean: TestServer;
  let limitedAdapter: TestServer;
  beforeAll(async () => {
    const config = { rateLimitPerMinute: 2 };
    limitedLean = await startTestServer({ uri: inject('mongoUri'), config });
    limitedAdapter = await startTestServer({ uri: inject('mongoUri'), config, app: { leanTrpc: false } });
  });
  afterAll(async () => {
    await limitedAdapter?.close();
    await limitedLean?.close();
  });

  /** Status, body and rate-limit headers; the seconds to the window's end may differ by one. */
  async function limitedAnswer(server: TestServer, path: string, init: RequestInit) {
    const res = await fetch(`${server.url}${path}`, init);
    return {
      status: res.status,
      body: await res.json(),
      rateLimit: res.headers.get('ratelimit')?.replace(/t=\d+/, 't=…'),
      policy: res.headers.get('ratelimit-policy'),
      retryAfter: res.headers.has('retry-after'),
      chunked: res.headers.get('transfer-encoding') === 'chunked',
    };
  }

  it('counts and refuses them as the adapter does, in one allowance with the REST facades', async () => {
    // The limit counts in fixed minute windows: keep the sequence inside one.
    if (60_000 - (Date.now() % 60_000) < 3_000) await new Promise((r) => setTimeout(r, 3_000));
    const login = post({ login: 'nobody-here', password: 'wrong one' }, {});
    const answers = [];
    for (let i = 0; i < 3; i++) {
      const fromAdapter = await limitedAnswer(limitedAdapter, '/trpc/auth.login', login);
      const fromLean = await limitedAnswer(limitedLean, '/trpc/auth.login', login);
      expect({ ...fromLean, chunked: undefined }).toEqual({ ...fromAdapter, chunked: undefined });
      expect(fromLean.chunked).toBe(false);
      answers.push(fromLean);
    }
    expect(answers.map((a) => a.status)).toEqual([401, 401, 429]);
    expect(answers[2]).toMatchObject({
      body: { error: { data: { code: 'TOO_MANY_REQUESTS', appCode: 'RATE_LIMITED' } } },
      retryAfter: true,
    });
    expect(answers[0]!.rateLimit).toMatch(/r=1/);
    // A batch that includes a limited call is limited as a whole; a Dioptra login shares the count.
    const batch = await fetch(
      `${limitedLean.url}/trpc/auth.login,auth.login?batch=1`,
      post(
        {
          0: { login: 'nobody-here', password: 'wrong one' },
          1: { login: 'nobody-here', password: 'wrong one' },
        },
        {},
      ),
    );
    expect(batch.status).toBe(429);
    const dioptra = await fetch(`${limitedLean.url}/api/v1/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'nobody-here', password: 'wrong one' }),
    });
    expect(dioptra.status).toBe(429);
  });
});
