import { MongoClient } from 'mongodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type EmbeddedMongoHandle, resolveDatabase, runSelfCheck, startEmbeddedMongo } from './index.js';

// One embedded server (in memory, one worker thread) for this file.
let server: EmbeddedMongoHandle;
let client: MongoClient;

beforeAll(async () => {
  server = await startEmbeddedMongo({ inMemory: true, log: (line) => console.error(line) });
  client = await MongoClient.connect(server.uri);
});

afterAll(async () => {
  await client?.close();
  await server?.stop();
});

describe('embedded mongo-java-server with one worker thread', () => {
  it('describes itself', () => {
    expect(server.kind).toBe('embedded');
    expect(server.uri).toMatch(/^mongodb:\/\/127\.0\.0\.1:\d+\/$/);
    expect(server.description).toContain('embedded mongo-java-server 1.47');
    expect(server.description).toContain('in memory');
  });

  it('applies 100 concurrent $inc on one document', async () => {
    const coll = client.db('embedded_inc').collection<{ _id: string; n: number }>('counters');
    await coll.insertOne({ _id: 'c', n: 0 });
    await Promise.all(Array.from({ length: 100 }, () => coll.updateOne({ _id: 'c' }, { $inc: { n: 1 } })));
    expect((await coll.findOne({ _id: 'c' }))?.n).toBe(100);
  });

  it('lets exactly one of 50 concurrent conditional updates win', async () => {
    const coll = client.db('embedded_claim').collection<{ _id: string; claimed: boolean }>('jobs');
    await coll.insertOne({ _id: 'j', claimed: false });
    const results = await Promise.all(
      Array.from({ length: 50 }, () =>
        coll.updateOne({ _id: 'j', claimed: false }, { $set: { claimed: true } }),
      ),
    );
    expect(results.reduce((sum, r) => sum + r.modifiedCount, 0)).toBe(1);
  });

  it('passes runSelfCheck and drops its scratch collection', async () => {
    const result = await runSelfCheck(server.uri, { dbName: 'embedded_selfcheck' });
    expect(result.failures).toEqual([]);
    expect(result.ok).toBe(true);
    expect(result.checks.map((c) => c.name)).toEqual([
      'server version',
      'concurrent $inc',
      'conditional update race',
      'unique index race',
    ]);
    const left = await client.db('embedded_selfcheck').listCollections().toArray();
    expect(left.filter((c) => c.name.startsWith('_roster_selfcheck'))).toEqual([]);
  });

  it('reports server version 5.0 (buildInfo, hello, isMaster)', async () => {
    const admin = client.db('admin').admin();
    const info = await admin.command({ buildInfo: 1 });
    expect(info.version).toMatch(/^5\.0\.\d+$/);
    expect(info.versionArray).toEqual([5, 0, 0]);
    const hello = await admin.command({ hello: 1 });
    expect(hello.isWritablePrimary).toBe(true);
    expect(hello.maxWireVersion).toBe(8);
    const isMaster = await admin.command({ isMaster: 1 });
    expect(isMaster.maxWireVersion).toBe(8);
  });
});

describe('resolveDatabase', () => {
  it('uses a given uri without starting anything', async () => {
    // Nothing listens on port 1: resolving must not even try to connect.
    const started = Date.now();
    const handle = await resolveDatabase({
      uri: 'mongodb://app:secret@127.0.0.1:1/roster',
      dataDir: '/nonexistent',
    });
    expect(Date.now() - started).toBeLessThan(1_000);
    expect(handle.kind).toBe('uri');
    expect(handle.uri).toBe('mongodb://app:secret@127.0.0.1:1/roster');
    expect(handle.pid).toBeUndefined();
    expect(handle.description).toContain('app:***@127.0.0.1:1');
    expect(handle.description).not.toContain('secret');
    await handle.stop();
  });
});
