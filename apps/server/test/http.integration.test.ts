import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { startTestServer, type TestServer } from '../src/testing';

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer({ uri: inject('mongoUri'), config: { bodyLimit: '2kb' } });
});
afterAll(() => server.close());

const post = (path: string, body: string, headers: Record<string, string> = {}) =>
  fetch(`${server.url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body,
  });

describe('HTTP surface', () => {
  it('answers /healthz and /readyz', async () => {
    expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
    const ready = await fetch(`${server.url}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toEqual({ status: 'ready' });
  });

  it('formats validation errors with the app code, the first field and every field error', async () => {
    const res = await post('/trpc/auth.signup', JSON.stringify({ username: '', email: 'x', password: 1 }));
    expect(res.status).toBe(400);
    const { error } = (await res.json()) as { error: { message: string; data: Record<string, unknown> } };
    expect(error.data).toMatchObject({
      code: 'BAD_REQUEST',
      appCode: 'VALIDATION_FAILED',
      field: 'username',
    });
    expect(Object.keys(error.data.fieldErrors as object).sort()).toEqual(['email', 'password', 'username']);
    expect(error.message).toMatch(/^Invalid input: username/);
  });

  it('answers an oversized body with 413 and malformed JSON with 400, as JSON', async () => {
    const big = await post('/trpc/auth.signup', JSON.stringify({ username: 'x'.repeat(5000) }));
    expect(big.status).toBe(413);
    expect(((await big.json()) as { error: { code: string } }).error.code).toBe('PAYLOAD_TOO_LARGE');
    const bad = await post('/trpc/auth.signup', '{"username": ');
    expect(bad.status).toBe(400);
  });

  it('answers unknown routes with a JSON 404 and sends security headers and a request id', async () => {
    const res = await fetch(`${server.url}/nope`, { headers: { 'x-request-id': 'req-abc123' } });
    expect(res.status).toBe(404);
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    expect(res.headers.get('x-request-id')).toBe('req-abc123');
    expect(res.headers.get('x-powered-by')).toBeNull();
  });

  it('never answers 500 to NUL bytes or deep JSON', async () => {
    const nul = await post('/trpc/auth.login', JSON.stringify({ login: 'a\u0000b', password: 'x' }));
    expect(nul.status).toBeLessThan(500);
    let deep: unknown = 1;
    for (let i = 0; i < 200; i++) deep = { a: deep };
    const res = await post('/trpc/auth.login', JSON.stringify({ login: deep, password: 'x' }));
    expect(res.status).toBe(400);
  });
});
