import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { makeUser, startTestServer, type TestServer } from '../../src/testing';
import { ensureVenv, runClient } from './python';
import { expectNoSecretsLeft } from './secrets';

/**
 * Roster's Arvados dialect (/arvados/v1 and its discovery document), proven by the Arvados
 * Python SDK (`arvados-python-client`), unchanged, in a venv the test builds once.
 */

let server: TestServer;
let python: string;
const logLines: string[] = [];
beforeAll(async () => {
  const venv = await ensureVenv();
  python = venv.python;
  console.log(`[compat] Python venv ready in ${venv.ms} ms`);
  server = await startTestServer({ uri: inject('mongoUri'), logLines });
}, 15 * 60_000);
afterAll(() => server?.close());

const url = (path: string) => `${server.url}${path}`;
const SYSTEM_USER = 'zzzzz-tpzed-000000000000000';
const ALL_USERS = 'zzzzz-j7d0g-fffffffffffffff';

describe('the discovery document', () => {
  // biome-ignore lint/suspicious/noExplicitAny: a JSON document, checked key by key
  let doc: any;
  let res: Response;
  beforeAll(async () => {
    res = await fetch(url('/discovery/v1/apis/arvados/v1/rest'));
    doc = await res.json();
  });

  it('points the SDK at this server, without caching', () => {
    expect(res.status).toBe(200);
    expect(res.headers.get('cache-control')).toBe('no-cache');
    expect(doc).toMatchObject({
      kind: 'discovery#restDescription',
      id: 'arvados:v1',
      rootUrl: `${server.url}/`,
      servicePath: 'arvados/v1/',
      uuidPrefix: 'zzzzz',
    });
  });

  it('lists what Roster serves and no configs resource, and every referenced schema exists', () => {
    expect(Object.keys(doc.resources).sort()).toEqual([
      'api_client_authorizations',
      'computed_permissions',
      'groups',
      'links',
      'users',
    ]);
    expect(Object.keys(doc.resources.users.methods).sort()).toEqual(
      [
        'activate',
        'create',
        'current',
        'delete',
        'get',
        'list',
        'merge',
        'setup',
        'system',
        'unsetup',
        'update',
      ].sort(),
    );
    for (const name of [
      'User',
      'UserList',
      'ApiClientAuthorization',
      'ApiClientAuthorizationList',
      'Group',
      'GroupList',
      'Link',
      'LinkList',
    ]) {
      expect(doc.schemas[name]?.id).toBe(name);
    }
    for (const resource of Object.values(doc.resources) as {
      methods: Record<
        string,
        { response: { $ref: string }; request?: { properties: Record<string, { $ref: string }> } }
      >;
    }[]) {
      for (const m of Object.values(resource.methods)) {
        expect(doc.schemas[m.response.$ref]).toBeDefined();
        for (const p of Object.values(m.request?.properties ?? {})) expect(doc.schemas[p.$ref]).toBeDefined();
      }
    }
  });
});

describe('the Arvados Python SDK against /arvados/v1', () => {
  const newUsername = `arv${Date.now().toString(36)}`;
  // biome-ignore lint/suspicious/noExplicitAny: the script prints free-form JSON, asserted field by field
  let out: Record<string, any>;
  let admin: Awaited<ReturnType<typeof makeUser>>;

  beforeAll(async () => {
    admin = await makeUser(server.deps, { admin: true });
    const run = await runClient(python, 'arvados_client.py', {
      ROSTER_URL: server.url,
      USERNAME: admin.username,
      PASSWORD: admin.password,
      NEW_USERNAME: newUsername,
    });
    out = run.out;
    console.log(`[compat] arvados_client.py ran ${Object.keys(out).length} steps in ${run.ms} ms`);
  }, 5 * 60_000);

  it('authenticates with a password as Arvados clients do, and uses the token it gets', () => {
    expect(out.authenticate_bad.status).toBe(401);
    expect(out.authenticate_bad.body.errors[0]).toMatch(/^Invalid username or password \(req-[\w-]+\)$/);
    expect(out.authenticate_bad.body.error_token).toMatch(/^\d+\+[0-9a-f]{8}$/);
    expect(out.authenticate.status).toBe(200);
    expect(out.authenticate.body).toMatchObject({
      kind: 'arvados#apiClientAuthorization',
      uuid: expect.stringMatching(/^zzzzz-gj3su-[0-9a-z]{15}$/),
      api_token: expect.stringMatching(/^[0-9a-z]{40,}$/),
      owner_uuid: admin.user.uuid,
      scopes: ['all'],
    });
    expect(out.token_current).toMatchObject({ uuid: out.authenticate.body.uuid, api_token: null });
  });

  it('reads the current user, the system user and a user by uuid, with select', () => {
    expect(out.current).toMatchObject({
      kind: 'arvados#user',
      uuid: admin.user.uuid,
      username: admin.username,
      owner_uuid: SYSTEM_USER,
      is_admin: true,
      is_active: true,
      prefs: {},
    });
    expect(out.current.writable_by).toContain(admin.user.uuid);
    expect(out.system).toMatchObject({ uuid: SYSTEM_USER, is_admin: true, first_name: 'root' });
    expect(out.get).toEqual(out.current);
    expect(out.get_select).toEqual({ kind: 'arvados#user', uuid: admin.user.uuid, username: admin.username });
  });

  it('lists users with filters, order, limit, select and count', () => {
    expect(out.list_filtered).toMatchObject({
      kind: 'arvados#userList',
      offset: 0,
      limit: 100,
      items_available: 1,
    });
    expect(out.list_filtered.items.map((u: { uuid: string }) => u.uuid)).toEqual([admin.user.uuid]);
    expect(out.list_ordered.limit).toBe(2);
    expect(out.list_ordered.items_available).toBeUndefined();
    expect(out.list_ordered.items).toHaveLength(2);
    for (const item of out.list_ordered.items)
      expect(Object.keys(item).sort()).toEqual(['kind', 'username', 'uuid']);
    expect(out.list_bad_filter.status).toBe(422);
    expect(out.list_bad_filter.reason).toMatch(/^Invalid attribute 'no_such_attribute' in filter \(req-/);
  });

  it('creates and updates a user; a taken username is a 422, not a 409', () => {
    expect(out.create).toMatchObject({
      username: newUsername,
      first_name: 'New',
      owner_uuid: SYSTEM_USER,
      is_admin: false,
    });
    expect(out.create_duplicate.status).toBe(422);
    expect(out.create_duplicate.reason).toContain('username is already taken');
    expect(out.update).toMatchObject({
      uuid: out.create.uuid,
      last_name: 'Comer',
      full_name: 'New Comer',
      prefs: { k: 1 },
    });
  });

  it('unsets up, sets up and activates a user', () => {
    expect(out.unsetup).toMatchObject({
      uuid: out.create.uuid,
      is_active: false,
      is_invited: false,
      prefs: {},
    });
    expect(out.setup.kind).toBe('arvados#HashList');
    const [link, user] = [out.setup.items[0], out.setup.items.at(-1)];
    expect(link).toMatchObject({
      kind: 'arvados#link',
      link_class: 'permission',
      name: 'can_write',
      tail_uuid: out.create.uuid,
      head_uuid: ALL_USERS,
    });
    expect(user).toMatchObject({
      kind: 'arvados#user',
      uuid: out.create.uuid,
      is_invited: true,
      is_active: false,
    });
    expect(out.activate).toMatchObject({ uuid: out.create.uuid, is_active: true });
    expect(out.setup_new.items.at(-1)).toMatchObject({
      email: `${newUsername}.setup@example.com`,
      first_name: 'Set',
    });
    expect(out.setup_neither.status).toBe(422);
    expect(out.setup_neither.reason).toMatch(/^Required uuid or user/);
  });

  it('merges a user into another by uuid, after which the old one is gone', () => {
    expect(out.merge.uuid).toBe(out.setup_new.items.at(-1).uuid);
    expect(out.get_merged.status).toBe(404);
  });

  it('creates a scoped token that allows only its scope, lists it and revokes it', () => {
    expect(out.token_create).toMatchObject({
      scopes: ['GET /arvados/v1/users/current'],
      api_token: expect.any(String),
    });
    expect(out.scoped_current.uuid).toBe(admin.user.uuid);
    expect(out.scoped_list.status).toBe(403);
    expect(out.token_list.items).toEqual([
      expect.objectContaining({ uuid: out.token_create.uuid, api_token: null }),
    ]);
    expect(out.token_list.items_available).toBe(1);
    expect(out.token_delete.uuid).toBe(out.token_create.uuid);
    expect(out.scoped_after_delete.status).toBe(401);
    expect(out.scoped_after_delete.reason).toMatch(/^Not logged in \(req-/);
  });

  it('manages role groups and permission links, and computes permissions', () => {
    expect(out.group_create).toMatchObject({
      kind: 'arvados#group',
      group_class: 'role',
      owner_uuid: admin.user.uuid,
    });
    expect(out.group_list.items.map((g: { uuid: string }) => g.uuid)).toEqual([out.group_create.uuid]);
    expect(out.link_create).toMatchObject({
      name: 'can_read',
      tail_uuid: out.create.uuid,
      head_uuid: out.group_create.uuid,
    });
    expect(out.link_update).toMatchObject({ uuid: out.link_create.uuid, name: 'can_write' });
    expect(out.link_list.items.map((l: { uuid: string }) => l.uuid)).toEqual([out.link_create.uuid]);
    expect(out.permissions.items.map((l: { uuid: string }) => l.uuid)).toEqual([out.link_create.uuid]);
    expect(out.computed.items).toContainEqual({
      user_uuid: out.create.uuid,
      target_uuid: out.group_create.uuid,
      perm_level: 'can_write',
    });
    expect(out.link_delete.uuid).toBe(out.link_create.uuid);
    expect(out.group_delete.uuid).toBe(out.group_create.uuid);
  });

  it('deletes a user, and answers 401 to an unknown token', () => {
    expect(out.delete.uuid).toBe(out.create.uuid);
    expect(out.get_deleted).toMatchObject({
      status: 404,
      reason: expect.stringMatching(/^Path not found \(req-/),
    });
    expect(out.bad_token).toMatchObject({ status: 401, reason: expect.stringMatching(/^Not logged in/) });
  });

  it('shows a token secret only where it is issued, and never a password hash', () => {
    const secrets = [out.authenticate.body.api_token, out.token_create.api_token];
    const { authenticate, token_create, ...rest } = out;
    const text = JSON.stringify(rest);
    for (const secret of [...secrets, '$argon2', 'passwordHash', admin.password])
      expect(text).not.toContain(secret);
  });

  it('keeps passwords, password hashes and token secrets out of the log and the audit trail', () =>
    expectNoSecretsLeft(server, logLines, [
      admin.password,
      out.authenticate.body.api_token,
      out.token_create.api_token,
    ]));

  it('audits the mutations with the native action names', async () => {
    const events = await server.deps.models.AuditEvent.find({ 'changes.via': 'arvados' }).lean();
    const actions = new Set(events.map((e) => e.action));
    for (const action of [
      'auth.login',
      'users.create',
      'users.update',
      'users.setup',
      'users.activate',
      'users.unsetup',
      'users.merge',
      'users.delete',
      'tokens.create',
      'tokens.revoke',
      'groups.create',
      'permissions.grant',
      'permissions.revoke',
    ]) {
      expect(actions).toContain(action);
    }
    expect(JSON.stringify(events)).not.toContain(admin.password);
  });
});

describe('Arvados dialect over plain HTTP', () => {
  it('takes the token as an api_token parameter, and a POST overridden to GET', async () => {
    const user = await makeUser(server.deps);
    const viaParam = await fetch(
      url(`/arvados/v1/users/current?api_token=${encodeURIComponent(user.token)}`),
    );
    expect(viaParam.status).toBe(200);
    expect(await viaParam.json()).toMatchObject({ uuid: user.user.uuid });
    const overridden = await fetch(url('/arvados/v1/users'), {
      method: 'POST',
      headers: {
        authorization: `OAuth2 ${user.token}`,
        'x-http-method-override': 'GET',
        'content-type': 'application/x-www-form-urlencoded',
      },
      body: new URLSearchParams({ filters: JSON.stringify([['uuid', '=', user.user.uuid]]) }),
    });
    expect(overridden.status).toBe(200);
    expect(((await overridden.json()) as { items: unknown[] }).items).toHaveLength(1);
  });

  it('needs the CSRF header for a cookie-authenticated mutation, and accepts PATCH for update', async () => {
    const user = await makeUser(server.deps);
    const patch = (headers: Record<string, string>) =>
      fetch(url(`/arvados/v1/users/${user.user.uuid}`), {
        method: 'PATCH',
        headers: { cookie: `roster_session=${user.token}`, 'content-type': 'application/json', ...headers },
        body: JSON.stringify({ user: { first_name: 'Patched' } }),
      });
    const refused = await patch({});
    expect(refused.status).toBe(403);
    expect(((await refused.json()) as { errors: string[] }).errors[0]).toMatch(/x-csrf-token/);
    const ok = await patch({ 'x-csrf-token': user.csrfToken });
    expect(ok.status).toBe(200);
    expect(await ok.json()).toMatchObject({ first_name: 'Patched', full_name: 'Patched' });
  });

  it('keeps admin-only methods and attributes for admins, and shows others only public attributes', async () => {
    const [alice, bob] = [await makeUser(server.deps), await makeUser(server.deps)];
    const as = (path: string, init: RequestInit = {}) =>
      fetch(url(path), {
        ...init,
        headers: {
          authorization: `Bearer ${alice.token}`,
          'content-type': 'application/json',
          ...init.headers,
        },
      });
    const create = await as('/arvados/v1/users', {
      method: 'POST',
      body: JSON.stringify({ user: { email: 'x@example.com' } }),
    });
    expect(create.status).toBe(403);
    const rename = await as(`/arvados/v1/users/${alice.user.uuid}`, {
      method: 'PUT',
      body: JSON.stringify({ user: { username: 'renamed' } }),
    });
    expect(rename.status).toBe(403);
    const other = (await (await as(`/arvados/v1/users/${bob.user.uuid}`)).json()) as Record<string, unknown>;
    expect(other).toMatchObject({
      uuid: bob.user.uuid,
      username: bob.username,
      prefs: null,
      identity_url: null,
    });
    expect(other.writable_by).toEqual([SYSTEM_USER]);
    expect((await as('/arvados/v1/computed_permissions')).status).toBe(403);
    expect((await as('/arvados/v1/users?bypass_federation=true')).status).toBe(403);
  });

  it('answers unknown paths, malformed bodies and bad list parameters in the Arvados envelope', async () => {
    const user = await makeUser(server.deps);
    const auth = { authorization: `Bearer ${user.token}` };
    const missing = await fetch(url('/arvados/v1/collections'), { headers: auth });
    expect(missing.status).toBe(404);
    expect(((await missing.json()) as { errors: string[] }).errors[0]).toMatch(/^Path not found/);
    const malformed = await fetch(url('/arvados/v1/users/authenticate'), {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"username": ',
    });
    // Arvados answers 422 to every request it cannot use.
    expect(malformed.status).toBe(422);
    expect(await malformed.json()).toMatchObject({ errors: [expect.stringMatching(/not valid JSON/)] });
    for (const query of [
      'limit=abc',
      'count=sometimes',
      'filters=[["username","contains","x"]]',
      'select=["nope"]',
      'filters=[[["username","email"],"=","x"]]',
    ]) {
      const res = await fetch(url(`/arvados/v1/users?${query}`), { headers: auth });
      expect(res.status, query).toBe(422);
      expect(((await res.json()) as { errors: string[] }).errors).toHaveLength(1);
    }
    const unauthenticated = await fetch(url('/arvados/v1/users'));
    expect(unauthenticated.status).toBe(401);
    expect(((await unauthenticated.json()) as { errors: string[] }).errors[0]).toMatch(/^Not logged in/);
  });

  it('translates where, is_a and constant attributes into the list vocabulary', async () => {
    const user = await makeUser(server.deps);
    const list = async (resource: string, params: Record<string, unknown>) => {
      const q = new URLSearchParams(
        Object.entries(params).map(([k, v]): [string, string] => [k, JSON.stringify(v)]),
      );
      const res = await fetch(url(`/arvados/v1/${resource}?${q}`), {
        headers: { authorization: `Bearer ${user.token}` },
      });
      expect(res.status).toBe(200);
      return ((await res.json()) as { items: { uuid: string }[] }).items.map((i) => i.uuid);
    };
    expect(await list('users', { where: { username: user.username } })).toEqual([user.user.uuid]);
    expect(await list('users', { filters: [['uuid', 'is_a', 'arvados#group']] })).toEqual([]);
    expect(
      await list('users', {
        filters: [
          ['uuid', 'is_a', 'arvados#user'],
          ['is_active', '=', 'true'],
          ['uuid', '=', user.user.uuid],
        ],
      }),
    ).toEqual([user.user.uuid]);
    expect(await list('groups', { filters: [['group_class', '=', 'project']] })).toEqual([]);
    expect(
      await list('groups', {
        filters: [
          ['group_class', 'in', ['role']],
          ['uuid', '=', ALL_USERS],
        ],
      }),
    ).toEqual([ALL_USERS]);
  });

  it('never answers 5xx to hostile input, in either dialect', async () => {
    const admin = await makeUser(server.deps, { admin: true });
    const deep = JSON.parse(`${'{"a":'.repeat(60)}1${'}'.repeat(60)}`);
    const requests: [string, string, unknown?][] = [
      ['GET', '/arvados/v1/users?filters=not json'],
      ['GET', `/arvados/v1/users?filters=${encodeURIComponent('[["username","=",{"$gt":""}]]')}`],
      ['GET', `/arvados/v1/users?where=${encodeURIComponent('{"username":{"$ne":null}}')}`],
      ['GET', `/arvados/v1/users?filters=${encodeURIComponent('[["created_at",">","yesterday"]]')}`],
      ['GET', `/arvados/v1/users?filters=${encodeURIComponent('[["uuid","in","x"]]')}`],
      ['GET', '/arvados/v1/users?select=[1]&order=[1]&limit=-1&offset=1e99'],
      ['GET', '/arvados/v1/users/..%2F..%2Fetc'],
      ['GET', `/arvados/v1/users/${'x'.repeat(5000)}`],
      ['POST', '/arvados/v1/users', { user: 'not an object' }],
      ['POST', '/arvados/v1/users', { user: { email: 'deep@example.com', prefs: deep } }],
      ['POST', '/arvados/v1/users', { user: { email: 'a.b@example.com', 'pre.fs': 1, $where: 1 } }],
      ['PUT', '/arvados/v1/users/zzzzz-tpzed-000000000000000', { user: { is_admin: 'maybe' } }],
      ['POST', '/arvados/v1/users/setup', { user: { email: null } }],
      ['POST', '/arvados/v1/users/merge', { new_owner_uuid: ['x'] }],
      ['POST', '/arvados/v1/links', { link: { name: 'can_fly', tail_uuid: 1, head_uuid: {} } }],
      ['POST', '/arvados/v1/api_client_authorizations', { api_client_authorization: { scopes: 'all' } }],
      ['POST', '/arvados/v1/users/authenticate', { username: { $ne: '' }, password: [] }],
      ['GET', '/arvados/v1/computed_permissions?filters=[["perm_level","=","can_read"]]'],
      ['GET', '/api/v1/users?index=-1&pageLength=0'],
      ['GET', `/api/v1/users?search=${encodeURIComponent('username:\\')}`],
      ['GET', '/api/v1/users/abc'],
      ['POST', '/api/v1/auth/login', { username: { $ne: '' }, password: 1 }],
      ['POST', '/api/v1/users', { username: 'a'.repeat(10_000) }],
      ['POST', '/api/v1/users/1/password', { oldPassword: deep }],
    ];
    for (const [method, path, body] of requests) {
      const res = await fetch(url(path), {
        method,
        headers: { authorization: `Bearer ${admin.token}`, 'content-type': 'application/json' },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
      expect(res.status, `${method} ${path}`).toBeGreaterThanOrEqual(400);
      expect(res.status, `${method} ${path}`).toBeLessThan(500);
      const json = (await res.json()) as { errors?: unknown; error?: unknown };
      expect(json.errors ?? json.error, `${method} ${path}`).toBeDefined();
    }
  });
});
