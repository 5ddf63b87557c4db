import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { appRouter } from '../../src/router';
import { makeUser, startTestServer, type TestServer } from '../../src/testing';

let server: TestServer;
const logLines: string[] = [];
beforeAll(async () => {
  server = await startTestServer({
    uri: inject('mongoUri'),
    logLines,
    config: { lockout: { threshold: 2, baseMs: 60_000, maxMs: 60_000 } },
  });
});
afterAll(() => server.close());

interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** The Prometheus text format, strictly: every line a comment or a sample, or the test fails. */
function parseMetrics(text: string): Sample[] {
  const samples: Sample[] = [];
  for (const line of text.split('\n')) {
    if (!line || line.startsWith('# HELP ') || line.startsWith('# TYPE ')) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (-?[0-9.e+-]+|NaN|\+Inf|-Inf)$/.exec(line);
    if (!m) throw new Error(`not a Prometheus sample: ${line}`);
    const labels: Record<string, string> = {};
    for (const l of (m[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g))
      labels[l[1]!] = l[2]!;
    samples.push({ name: m[1]!, labels, value: Number(m[3]) });
  }
  return samples;
}

async function scrape() {
  const res = await fetch(`${server.url}/metrics`);
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
  return parseMetrics(await res.text());
}

const value = (samples: Sample[], name: string, labels: Record<string, string> = {}) =>
  samples
    .filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v))
    .reduce((n, s) => n + s.value, 0);

const post = (proc: string, body: unknown, headers: Record<string, string> = {}) =>
  fetch(`${server.url}/trpc/${proc}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  });

describe('health and metrics', () => {
  it('answers /healthz and /readyz', async () => {
    expect(await (await fetch(`${server.url}/healthz`)).json()).toEqual({ status: 'ok' });
    expect(await (await fetch(`${server.url}/readyz`)).json()).toEqual({ status: 'ready' });
  });

  it('serves parseable metrics: process defaults, the database connection and its pool', async () => {
    const samples = await scrape();
    expect(value(samples, 'process_cpu_seconds_total')).toBeGreaterThan(0);
    expect(value(samples, 'nodejs_eventloop_lag_seconds')).toBeGreaterThanOrEqual(0);
    const db = { db: server.dbName };
    expect(value(samples, 'roster_db_connection_state', { ...db, state: 'connected' })).toBe(1);
    expect(value(samples, 'roster_db_connection_state', { ...db, state: 'disconnected' })).toBe(0);
    expect(value(samples, 'roster_db_pool_connections', { ...db, state: 'max' })).toBe(20);
    expect(value(samples, 'roster_db_pool_connections', { ...db, state: 'open' })).toBeGreaterThan(0);
    expect(samples.some((s) => s.name === 'roster_locked_accounts' && s.labels.db === server.dbName)).toBe(
      true,
    );
  });

  it('counts requests by procedure or route and status, each call of a batch on its own', async () => {
    const before = await scrape();
    const route = (r: string, status: string) => ({ route: r, status });
    // One batch: auth.info succeeds, users.current is refused (no token).
    const batch = await fetch(
      `${server.url}/trpc/auth.info,users.current?batch=1&input=${encodeURIComponent('{}')}`,
    );
    expect(batch.status).toBe(207);
    await fetch(`${server.url}/healthz`);
    await fetch(`${server.url}/no/such/page`);
    const after = await scrape();
    const delta = (name: string, labels: Record<string, string>) =>
      value(after, name, labels) - value(before, name, labels);
    expect(delta('roster_http_requests_total', route('/trpc/auth.info', '200'))).toBe(1);
    expect(delta('roster_http_requests_total', route('/trpc/users.current', '401'))).toBe(1);
    expect(delta('roster_http_requests_total', route('/healthz', '200'))).toBe(1);
    expect(delta('roster_http_requests_total', route('unmatched', '404'))).toBe(1);
    expect(delta('roster_http_request_duration_seconds_count', route('/trpc/auth.info', '200'))).toBe(1);
    // Raw URLs never become labels.
    expect(after.some((s) => s.labels.route?.includes('no/such'))).toBe(false);
  });

  it('counts login outcomes: success, failure and locked', async () => {
    const { username, password } = await makeUser(server.deps);
    const before = await scrape();
    expect((await post('auth.login', { login: username, password })).status).toBe(200);
    expect((await post('auth.login', { login: username, password: 'wrong password' })).status).toBe(401);
    expect((await post('auth.login', { login: username, password: 'wrong password' })).status).toBe(401);
    // The threshold (2) is reached: the right password is refused now, and counted as locked.
    expect((await post('auth.login', { login: username, password })).status).toBe(401);
    const after = await scrape();
    const delta = (outcome: string) =>
      value(after, 'roster_logins_total', { outcome }) - value(before, 'roster_logins_total', { outcome });
    expect({ success: delta('success'), failure: delta('failure'), locked: delta('locked') }).toEqual({
      success: 1,
      failure: 2,
      locked: 1,
    });
    expect(value(after, 'roster_lockouts_total') - value(before, 'roster_lockouts_total')).toBe(1);
    expect(value(after, 'roster_locked_accounts', { db: server.dbName })).toBeGreaterThanOrEqual(1);
  });
});

describe('logs', () => {
  it('carry the request id on the lines the services write during a request, and no secret', async () => {
    const { username, password } = await makeUser(server.deps);
    for (let i = 0; i < 2; i++) await post('auth.login', { login: username, password: 'not the password' });
    const res = await post('auth.login', { login: username, password }, { 'x-request-id': 'req-locked-1' });
    expect(res.status).toBe(401);
    const lines = logLines.map((l) => JSON.parse(l) as Record<string, unknown>);
    const refused = lines.find((l) => l.msg === 'login refused: locked out' && l.reqId === 'req-locked-1');
    expect(refused, 'the lockout warning carries the id of its request').toBeDefined();
    // Every line written while serving a request carries its id.
    const inRequests = lines.filter((l) => l.req || l.msg === 'login refused: locked out');
    expect(inRequests.length).toBeGreaterThan(0);
    expect(inRequests.every((l) => typeof l.reqId === 'string' && l.reqId !== '')).toBe(true);
    expect(logLines.join('\n')).not.toContain(password);
  });
});

describe('OpenAPI', () => {
  it('is served at /openapi.json and documents every procedure with its method, input and output', async () => {
    const res = await fetch(`${server.url}/openapi.json`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    const doc = (await res.json()) as {
      openapi: string;
      info: { description: string };
      paths: Record<string, Record<string, Record<string, unknown>>>;
    };
    expect(doc.openapi).toBe('3.1.0');
    expect(doc.info.description).toContain('GET /trpc/<procedure>?input=');
    const procedures = Object.entries(
      appRouter._def.procedures as unknown as Record<string, { _def: { type: string } }>,
    );
    expect(procedures.length).toBeGreaterThan(30);
    for (const [name, proc] of procedures) {
      const path = doc.paths[`/trpc/${name}`];
      expect(path, name).toBeDefined();
      expect(Object.keys(path!), name).toEqual([proc._def.type === 'query' ? 'get' : 'post']);
    }
    expect(Object.keys(doc.paths)).toHaveLength(procedures.length);

    const list = doc.paths['/trpc/users.list']!.get!;
    expect(list['x-roster-access']).toBe('active user');
    const param = (list.parameters as { name: string; content: Record<string, { schema: object }> }[])[0]!;
    expect(param.name).toBe('input');
    expect(JSON.stringify(param.content['application/json']!.schema)).toContain('"filters"');
    const create = doc.paths['/trpc/users.create']!.post!;
    expect(create['x-roster-access']).toBe('admin');
    expect(JSON.stringify(create.requestBody)).toContain('"email"');
    expect(doc.paths['/trpc/auth.login']!.post!['x-roster-access']).toBe('anyone');
    // The output schema is the contract's: no password hash in a user.
    const userOut = JSON.stringify((doc.paths['/trpc/users.get']!.get!.responses as object)['200' as never]);
    expect(userOut).toContain('"isInvited"');
    expect(userOut).not.toContain('passwordHash');
  });

  it('describes calls that work as described: a query by GET with ?input=, a mutation by POST', async () => {
    const { token, user } = await makeUser(server.deps, { admin: true });
    const input = encodeURIComponent(JSON.stringify({ uuid: user.uuid }));
    const got = await fetch(`${server.url}/trpc/users.get?input=${input}`, {
      headers: { authorization: `Bearer ${token}` },
    });
    expect(got.status).toBe(200);
    expect(((await got.json()) as { result: { data: { uuid: string } } }).result.data.uuid).toBe(user.uuid);
    const bad = await post('users.create', { email: 'nope' }, { authorization: `Bearer ${token}` });
    expect(bad.status).toBe(400);
    const body = (await bad.json()) as { error: { data: { appCode: string; field: string } } };
    expect(body.error.data).toMatchObject({ appCode: 'VALIDATION_FAILED', field: 'email' });
  });
});
