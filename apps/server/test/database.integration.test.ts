import { runSelfCheck } from '@roster/embedded-mongo';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { duplicateKeyIndex, mapDuplicateKey } from '../src/lib/errors';
import { startTestServer, type TestServer } from '../src/testing';

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer({ uri: inject('mongoUri') });
});
afterAll(() => server.close());

describe('the test database', () => {
  it('passes the start-up self-check (no lost updates)', async () => {
    const result = await runSelfCheck(inject('mongoUri'), { dbName: `${server.dbName}_check` });
    expect(result.failures).toEqual([]);
    expect(result.ok).toBe(true);
  });

  it('reports duplicate keys by index name, which maps to the API field', async () => {
    const { User } = server.deps.models;
    const base = { ownerUuid: 'x', createdAt: new Date(), modifiedAt: new Date(), etag: 'e' };
    await User.create({ ...base, uuid: 'zzzzz-tpzed-dup000000000001', id: 900001, usernameKey: 'dupe' });
    const err = await User.create({
      ...base,
      uuid: 'zzzzz-tpzed-dup000000000002',
      id: 900002,
      usernameKey: 'dupe',
    }).catch((e: unknown) => e);
    expect(duplicateKeyIndex(err)).toBe('usernameKey');
    expect(() => mapDuplicateKey(err)).toThrow(
      expect.objectContaining({ appCode: 'USERNAME_TAKEN', field: 'username' }),
    );
  });

  it('allows many users without an email or username (sparse unique indexes)', async () => {
    const { User } = server.deps.models;
    const base = { ownerUuid: 'x', createdAt: new Date(), modifiedAt: new Date(), etag: 'e' };
    await User.create({ ...base, uuid: 'zzzzz-tpzed-sparse000000001', id: 910001 });
    await User.create({ ...base, uuid: 'zzzzz-tpzed-sparse000000002', id: 910002 });
    expect(await User.countDocuments({ uuid: /sparse/ })).toBe(2);
  });
});
