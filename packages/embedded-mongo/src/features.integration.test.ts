import { type Db, MongoClient, MongoServerError } from 'mongodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type EmbeddedMongoHandle, startEmbeddedMongo } from './index.js';

// What the server code may rely on, checked against the embedded server with the H2 backend
// (the in-memory backend behaves the same; both were tried). README.md summarizes these.

let server: EmbeddedMongoHandle;
let client: MongoClient;
let db: Db;
let dataDir: string;

beforeAll(async () => {
  const { mkdtemp } = await import('node:fs/promises');
  const { tmpdir } = await import('node:os');
  const { join } = await import('node:path');
  dataDir = await mkdtemp(join(tmpdir(), 'roster-embedded-features-'));
  server = await startEmbeddedMongo({ dataDir });
  client = await MongoClient.connect(server.uri);
  db = client.db('features');
});

afterAll(async () => {
  await client?.close();
  await server?.stop();
  const { rm } = await import('node:fs/promises');
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
});

async function duplicateKeyError(p: Promise<unknown>): Promise<MongoServerError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(MongoServerError);
  return err as MongoServerError;
}

describe('unique indexes', () => {
  it('sparse unique: any number of documents without the field, one per value (null counts as a value)', async () => {
    const coll = db.collection('sparse');
    await coll.createIndex({ email: 1 }, { unique: true, sparse: true, name: 'email' });
    await coll.insertMany([{ a: 1 }, { a: 2 }, { email: null }, { email: 'x' }]);
    await duplicateKeyError(coll.insertOne({ email: 'x' }));
    // Same as MongoDB: a sparse index holds documents whose field is present, even as null.
    await duplicateKeyError(coll.insertOne({ email: null }));
    expect(await coll.countDocuments({ email: null })).toBe(3);
  });

  it('non-sparse unique: a second document missing the field is a duplicate of null', async () => {
    const coll = db.collection('nonsparse');
    await coll.createIndex({ key: 1 }, { unique: true, name: 'key' });
    await coll.insertOne({ a: 1 });
    const err = await duplicateKeyError(coll.insertOne({ a: 2 }));
    expect(err.errmsg).toContain('dup key: { key: null }');
  });

  it('duplicate-key errors: code 11000 and the index name in errmsg, no keyPattern/keyValue', async () => {
    const coll = db.collection('dupkey');
    await coll.createIndex({ usernameKey: 1 }, { unique: true, name: 'usernameKey' });
    await coll.insertOne({ usernameKey: 'alice' });
    const err = await duplicateKeyError(coll.insertOne({ usernameKey: 'alice' }));
    expect(err.code).toBe(11000);
    expect(err.codeName).toBe('DuplicateKey');
    expect(err.errmsg).toBe(
      'E11000 duplicate key error collection: features.dupkey index: usernameKey dup key: { usernameKey: "alice" }',
    );
    expect(err.keyPattern).toBeUndefined();
    expect(err.keyValue).toBeUndefined();
    // The same through an update and an upsert.
    await coll.insertOne({ usernameKey: 'bob' });
    expect(
      (await duplicateKeyError(coll.updateOne({ usernameKey: 'bob' }, { $set: { usernameKey: 'alice' } })))
        .code,
    ).toBe(11000);
    expect(
      (
        await duplicateKeyError(
          coll.updateOne({ other: 1 }, { $set: { usernameKey: 'alice' } }, { upsert: true }),
        )
      ).code,
    ).toBe(11000);
  });

  it('an ordered insertMany stops at the duplicate and keeps the documents before it', async () => {
    const coll = db.collection('ordered');
    await coll.createIndex({ k: 1 }, { unique: true, name: 'k' });
    const err = await coll.insertMany([{ k: 1 }, { k: 2 }, { k: 1 }, { k: 3 }]).catch((e: unknown) => e);
    expect((err as { code?: number }).code).toBe(11000);
    expect(await coll.countDocuments()).toBe(2);
  });
});

describe('updates', () => {
  it('findOneAndUpdate with upsert, $setOnInsert and returnDocument', async () => {
    const coll = db.collection<{ _id: string; n: number; created?: boolean }>('seq');
    const first = await coll.findOneAndUpdate(
      { _id: 'users' },
      { $inc: { n: 1 }, $setOnInsert: { created: true } },
      { upsert: true, returnDocument: 'after' },
    );
    expect(first).toEqual({ _id: 'users', n: 1, created: true });
    const before = await coll.findOneAndUpdate(
      { _id: 'users' },
      { $inc: { n: 1 } },
      { returnDocument: 'before' },
    );
    expect(before?.n).toBe(1);
    expect(await coll.findOneAndUpdate({ _id: 'none' }, { $inc: { n: 1 } })).toBeNull();
  });

  it('50 concurrent findOneAndUpdate upserts hand out 1..50 exactly once (id allocation)', async () => {
    const coll = db.collection<{ _id: string; next: number }>('ids');
    const docs = await Promise.all(
      Array.from({ length: 50 }, () =>
        coll.findOneAndUpdate(
          { _id: 'user' },
          { $inc: { next: 1 } },
          { upsert: true, returnDocument: 'after' },
        ),
      ),
    );
    expect(docs.map((d) => d?.next).sort((a = 0, b = 0) => a - b)).toEqual(
      Array.from({ length: 50 }, (_, i) => i + 1),
    );
  });

  it('$inc on nested counters creates the path', async () => {
    const coll = db.collection('nested');
    await coll.updateOne(
      { _id: 'u' } as never,
      { $inc: { 'counters.logins': 1, 'counters.fails.total': 2 } },
      { upsert: true },
    );
    await coll.updateOne({ _id: 'u' } as never, { $inc: { 'counters.logins': 1 } });
    expect(await coll.findOne({ _id: 'u' } as never)).toEqual({
      _id: 'u',
      counters: { logins: 2, fails: { total: 2 } },
    });
  });

  it('$addToSet with $each and $pull (membership arrays)', async () => {
    const coll = db.collection('members');
    await coll.insertOne({ _id: 'g', members: ['a'] } as never);
    await coll.updateOne(
      { _id: 'g' } as never,
      { $addToSet: { members: { $each: ['b', 'a', 'c'] } } } as never,
    );
    await coll.updateOne({ _id: 'g' } as never, { $pull: { members: 'a' } } as never);
    expect((await coll.findOne({ _id: 'g' } as never))?.members).toEqual(['b', 'c']);
  });

  it('refuses update pipelines (with an unhelpful message)', async () => {
    const coll = db.collection('pipeline');
    await coll.insertOne({ _id: 'p', a: 1 } as never);
    await expect(coll.updateOne({ _id: 'p' } as never, [{ $set: { a: 2 } }])).rejects.toThrow(
      /cannot be cast/,
    );
  });
});

describe('queries', () => {
  const people = [
    { name: 'Alice', k: 2 },
    { name: 'alfred', k: 1 },
    { name: 'Bob', k: 2 },
    { name: 'carol', k: 3 },
    { name: 'ALINA', k: 1 },
    { name: 'dan.x', k: 2 },
  ];

  beforeAll(async () => {
    const coll = db.collection('people');
    await coll.insertMany(people.map((p) => ({ ...p })));
    await coll.createIndex({ k: 1 }, { name: 'k' });
  });

  it('countDocuments, with a filter and with skip/limit', async () => {
    const coll = db.collection('people');
    expect(await coll.countDocuments()).toBe(6);
    expect(await coll.countDocuments({ k: 2 })).toBe(3);
    expect(await coll.countDocuments({}, { skip: 1, limit: 3 })).toBe(3);
  });

  it('$regex with the i flag, as a string with $options and as a RegExp', async () => {
    const coll = db.collection('people');
    const names = async (filter: object) => (await coll.find(filter).toArray()).map((d) => d.name);
    expect(await names({ name: { $regex: '^al', $options: 'i' } })).toEqual(['Alice', 'alfred', 'ALINA']);
    expect(await names({ name: /^AL/i })).toEqual(['Alice', 'alfred', 'ALINA']);
    expect(await names({ name: { $regex: 'n\\.x' } })).toEqual(['dan.x']);
  });

  it('$in, also with regexes', async () => {
    const coll = db.collection('people');
    const names = async (filter: object) => (await coll.find(filter).toArray()).map((d) => d.name);
    expect(await names({ name: { $in: ['Bob', 'carol', 'zed'] } })).toEqual(['Bob', 'carol']);
    expect(await names({ name: { $in: [/^b/i, 'carol'] } })).toEqual(['Bob', 'carol']);
  });

  it('sort on a non-unique index with skip/limit; ties keep insertion order, add _id for stable pages', async () => {
    const coll = db.collection('people');
    const page = async (skip: number) =>
      (await coll.find({}).sort({ k: 1 }).skip(skip).limit(3).toArray()).map((d) => `${d.k}:${d.name}`);
    expect(await page(1)).toEqual(['1:ALINA', '2:Alice', '2:Bob']);
    const pages: string[] = [];
    for (let i = 0; i < 3; i++) {
      const docs = await coll
        .find({})
        .sort({ k: -1, _id: 1 })
        .skip(i * 2)
        .limit(2)
        .toArray();
      pages.push(...docs.map((d) => d.name));
    }
    expect(pages).toEqual(['carol', 'Alice', 'Bob', 'dan.x', 'alfred', 'ALINA']);
  });

  it('collation is accepted and ignored (binary comparison)', async () => {
    const coll = db.collection('people');
    expect(await coll.find({ name: 'alice' }).collation({ locale: 'en', strength: 2 }).toArray()).toEqual([]);
  });
});

describe('not supported', () => {
  it('partial indexes: partialFilterExpression is stored but ignored, the index covers every document', async () => {
    const coll = db.collection('partial');
    await coll.createIndex(
      { z: 1 },
      { unique: true, partialFilterExpression: { z: { $type: 'string' } }, name: 'z' },
    );
    await coll.insertOne({ a: 1 });
    expect((await duplicateKeyError(coll.insertOne({ a: 2 }))).code).toBe(11000);
  });

  it('no sessions, so no transactions', async () => {
    const session = client.startSession();
    try {
      await expect(
        session.withTransaction(async () => {
          await db.collection('tx').insertOne({ a: 1 }, { session });
        }),
      ).rejects.toThrow(/does not support sessions/);
    } finally {
      await session.endSession();
    }
  });

  it('no collMod, no explain', async () => {
    await expect(db.command({ collMod: 'people' })).rejects.toThrow(/no such command: 'collMod'/);
    await expect(db.collection('people').find({}).explain()).rejects.toThrow(/no such command: 'explain'/);
  });
});
