import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { MongoClient } from 'mongodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type EmbeddedMongoHandle, startEmbeddedMongo } from './index.js';

// The H2 backend in a temp dir: acknowledged writes must survive kill -9 of the JVM.
let dataDir: string;
let server: EmbeddedMongoHandle | undefined;

beforeAll(async () => {
  dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'roster-embedded-durability-'));
});

afterAll(async () => {
  await server?.stop();
  await fs.rm(dataDir, { recursive: true, force: true });
});

async function withClient<T>(uri: string, fn: (client: MongoClient) => Promise<T>): Promise<T> {
  const client = await MongoClient.connect(uri);
  try {
    return await fn(client);
  } finally {
    await client.close();
  }
}

describe('embedded mongo-java-server with the H2 backend', () => {
  it('keeps 300 acknowledged concurrent inserts across kill -9', async () => {
    server = await startEmbeddedMongo({ dataDir });
    expect(server.dataDir).toBe(dataDir);
    expect(server.description).toContain(`H2, data in ${path.join(dataDir, 'embedded-mongo.mv.db')}`);

    await withClient(server.uri, async (client) => {
      const coll = client.db('durability').collection('docs');
      const results = await Promise.all(
        Array.from({ length: 300 }, (_, i) => coll.insertOne({ i }, { writeConcern: { w: 1 } })),
      );
      expect(results.every((r) => r.acknowledged)).toBe(true);
      // The JVM dies right after the last acknowledgement, with no chance to flush anything.
      server?.kill('SIGKILL');
    });
    expect(await server.exited).toBeNull();

    server = await startEmbeddedMongo({ dataDir });
    const count = await withClient(server.uri, (client) =>
      client.db('durability').collection('docs').countDocuments(),
    );
    expect(count).toBe(300);
  });

  it('stops cleanly on SIGTERM and keeps the data', async () => {
    const running = server ?? (await startEmbeddedMongo({ dataDir }));
    await withClient(running.uri, (client) => client.db('durability').collection('more').insertOne({ x: 1 }));
    await running.stop();
    // The JVM runs its shutdown hook on SIGTERM; 143 = 128 + SIGTERM is its normal status then.
    expect([0, 143]).toContain(await running.exited);

    server = await startEmbeddedMongo({ dataDir });
    const counts = await withClient(server.uri, async (client) => [
      await client.db('durability').collection('docs').countDocuments(),
      await client.db('durability').collection('more').countDocuments(),
    ]);
    expect(counts).toEqual([300, 1]);
  });

  it('refuses a second server on the same data directory with a clear error', async () => {
    expect(server).toBeDefined();
    await expect(startEmbeddedMongo({ dataDir })).rejects.toThrow(/cannot open the data directory/);
  });
});
