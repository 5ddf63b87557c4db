import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { Config } from '../../src/config';
import { startTestServer, type TestServer } from '../../src/testing';

/** Signs up through /trpc as a client behind a proxy would, and returns the HTTP status. */
async function signup(server: TestServer, name: string, forwardedFor: string) {
  const res = await fetch(`${server.url}/trpc/auth.signup`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-forwarded-for': forwardedFor },
    body: JSON.stringify({ username: name, email: `${name}@example.com`, password: 'long enough pw' }),
  });
  return res.status;
}

function behindProxy(trustProxy: Config['trustProxy']) {
  const state = {} as { server: TestServer };
  beforeAll(async () => {
    state.server = await startTestServer({
      uri: inject('mongoUri'),
      config: { rateLimitPerMinute: 2, trustProxy },
    });
  });
  afterAll(() => state.server.close());
  return state;
}

const tag = () => Math.random().toString(36).slice(2, 8);

describe('ROSTER_TRUST_PROXY', () => {
  describe('trusting the proxy on loopback (the default)', () => {
    const ctx = behindProxy(['loopback']);
    it('limits each forwarded client address on its own', async () => {
      const t = tag();
      const a = [];
      for (let i = 0; i < 3; i++) a.push(await signup(ctx.server, `pa${t}${i}`, '203.0.113.7'));
      const b = [];
      for (let i = 0; i < 2; i++) b.push(await signup(ctx.server, `pb${t}${i}`, '203.0.113.8'));
      expect(a).toEqual([200, 200, 429]);
      expect(b).toEqual([200, 200]);
    });
  });

  describe('trusting no proxy', () => {
    const ctx = behindProxy(0);
    it('ignores X-Forwarded-For, so a client cannot pick a fresh address per request', async () => {
      const t = tag();
      const statuses = [];
      for (let i = 0; i < 3; i++) statuses.push(await signup(ctx.server, `pn${t}${i}`, `198.51.100.${i}`));
      expect(statuses).toEqual([200, 200, 429]);
    });
  });
});
