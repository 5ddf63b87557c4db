import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { startTestServer, type TestServer } from '../src/testing';

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer({ uri: inject('mongoUri'), config: { rateLimitPerMinute: 2 } });
});
afterAll(() => server.close());

/** Three logins in a row from one address against a limit of two: the third is the 429. */
async function thirdLogin(path: string, body: unknown) {
  let res: Response | undefined;
  for (let i = 0; i < 3; i++) {
    res = await fetch(`${server.url}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
  }
  return { status: res!.status, body: (await res!.json()) as Record<string, unknown> };
}

// Every login route counts against the same per-address window, so the second case is over the
// limit from its first request: what matters is the shape of the refusal.
describe('per-address rate limits on the REST dialects', () => {
  it("answers Dioptra's clients in Dioptra's error envelope", async () => {
    const res = await thirdLogin('/api/v1/auth/login', { username: 'nobody', password: 'wrong password' });
    expect(res.status).toBe(429);
    expect(res.body).toEqual({
      error: 'RATE_LIMITED',
      message: 'Too Many Requests - Too many requests from this address; wait a minute and try again',
      detail: {},
      originating_path: '/api/v1/auth/login',
    });
  });

  it("answers Arvados's clients in Arvados's error envelope", async () => {
    const res = await thirdLogin('/arvados/v1/users/authenticate', {
      username: 'nobody',
      password: 'wrong password',
    });
    expect(res.status).toBe(429);
    expect(Object.keys(res.body).sort()).toEqual(['error_token', 'errors']);
    expect((res.body.errors as string[])[0]).toMatch(/^Too many requests from this address/);
  });
});
