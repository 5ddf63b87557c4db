import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { startTestServer, type TestServer } from '../../src/testing';

// A stand-in console build: the server serves whatever Vite put in dist/, so a directory of the
// same shape exercises the real static middleware without building the React app here.
const dist = mkdtempSync(path.join(tmpdir(), 'roster-console-'));
const bundle = `console.log(${JSON.stringify('x'.repeat(20_000))});`;
let server: TestServer;

beforeAll(async () => {
  mkdirSync(path.join(dist, 'assets'));
  writeFileSync(path.join(dist, 'index.html'), '<!doctype html><div id="root"></div>');
  writeFileSync(path.join(dist, 'assets', 'index-abc123.js'), bundle);
  server = await startTestServer({ uri: inject('mongoUri'), config: { adminDist: dist } });
});
afterAll(async () => {
  await server.close();
  rmSync(dist, { recursive: true, force: true });
});

describe('the console files', () => {
  it('sends hashed assets compressed and cacheable for a year', async () => {
    const res = await fetch(`${server.url}/assets/index-abc123.js`, {
      headers: { 'accept-encoding': 'gzip' },
      decompress: false,
    } as RequestInit);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-encoding')).toBe('gzip');
    expect(res.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
    const body = Buffer.from(await res.arrayBuffer());
    // fetch may or may not undo the gzip itself; either way the bytes on the wire were smaller.
    const text = body[0] === 0x1f ? gunzipSync(body).toString() : body.toString();
    expect(text).toBe(bundle);
  });

  it('answers a missing asset with a JSON 404 rather than the index page', async () => {
    const res = await fetch(`${server.url}/assets/gone-000.js`);
    expect(res.status).toBe(404);
    expect(res.headers.get('content-type')).toMatch(/json/);
  });

  it('serves the index page for client-side routes and has it revalidated', async () => {
    const res = await fetch(`${server.url}/users/some-uuid?page=2`);
    expect(res.status).toBe(200);
    expect(res.headers.get('cache-control')).toBe('no-cache');
    expect(await res.text()).toContain('id="root"');
  });

  it('leaves API answers uncompressed', async () => {
    const res = await fetch(`${server.url}/trpc/auth.info`, { headers: { 'accept-encoding': 'gzip' } });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-encoding')).toBeNull();
  });
});
