import { randomBytes } from 'node:crypto';
import type { Db } from 'mongodb';

/**
 * Inserts users straight into the database, the way a bulk import would: with the driver,
 * in batches, with one precomputed argon2id hash for all of them. Each document has the shape
 * apps/server/src/db/models.ts gives a user created through the API with auto set-up on,
 * including the two permission links of set-up (services/links.ts), so that queries see a
 * directory as the API would have left it.
 */

const ALPHABET = '0123456789abcdefghijklmnopqrstuvwxyz';
const FIRST = ['Ada', 'Alan', 'Barbara', 'Claude', 'Dennis', 'Edsger', 'Frances', 'Grace', 'Hedy', 'John'];
const LAST = [
  'Allen',
  'Backus',
  'Cerf',
  'Dijkstra',
  'Engelbart',
  'Floyd',
  'Gray',
  'Hopper',
  'Iverson',
  'Knuth',
];

export function randomBase36(length: number): string {
  const bytes = randomBytes(length);
  let out = '';
  for (const b of bytes) out += ALPHABET[b % 36];
  return out;
}

export interface SeedTarget {
  db: Db;
  clusterId: string;
  /** A PHC string made with the server's argon2id parameters, shared by every seeded user. */
  passwordHash: string;
}

/** Takes `n` ids from the same counter the server allocates user ids from. Returns the first. */
export async function reserveUserIds(db: Db, n: number): Promise<number> {
  const doc = await db
    .collection<{ _id: string; seq: number }>('counters')
    .findOneAndUpdate({ _id: 'users' }, { $inc: { seq: n } }, { upsert: true, returnDocument: 'after' });
  return doc!.seq - n + 1;
}

export function userDocument(target: SeedTarget, i: number, id: number, now: number) {
  const c = target.clusterId;
  const username = `seed${i}`;
  const email = `seed${i}@example.com`;
  const created = new Date(now - ((i * 7919) % 31_536_000) * 1000);
  return {
    uuid: `${c}-tpzed-${randomBase36(15)}`,
    id,
    username,
    usernameKey: username,
    email,
    emailKey: email,
    firstName: FIRST[i % FIRST.length]!,
    lastName: LAST[Math.floor(i / FIRST.length) % LAST.length]!,
    identityUrl: null,
    // One user in ten is inactive, so the benchmark's filter has something to leave out.
    isAdmin: false,
    isActive: i % 10 !== 0,
    prefs: {},
    passwordHash: target.passwordHash,
    passwordChangedAt: created,
    passwordExpiresAt: null,
    lastLoginAt: i % 3 === 0 ? null : new Date(created.getTime() + 3_600_000),
    ownerUuid: `${c}-tpzed-000000000000000`,
    modifiedByUserUuid: null,
    redirectToUserUuid: null,
    createdAt: created,
    modifiedAt: created,
    etag: randomBase36(20),
  };
}

function setupLinks(clusterId: string, userUuid: string, at: Date) {
  const allUsers = `${clusterId}-j7d0g-fffffffffffffff`;
  const link = (name: string, tailUuid: string, headUuid: string) => ({
    uuid: `${clusterId}-o0j2j-${randomBase36(15)}`,
    linkClass: 'permission',
    name,
    tailUuid,
    headUuid,
    ownerUuid: `${clusterId}-tpzed-000000000000000`,
    properties: {},
    relationKey: `permission|${tailUuid}|${headUuid}`,
    createdAt: at,
    modifiedAt: at,
  });
  return [link('can_write', userUuid, allUsers), link('can_read', allUsers, userUuid)];
}

/**
 * Inserts `count` users (numbered from `from`) and their set-up links, in batches. Returns
 * the number of users inserted and the seconds it took.
 */
export async function insertUsers(
  target: SeedTarget,
  opts: { from: number; count: number; batch?: number; onProgress?: (inserted: number) => void },
): Promise<{ inserted: number; seconds: number }> {
  const batch = opts.batch ?? 1000;
  const users = target.db.collection('users');
  const links = target.db.collection('links');
  const t0 = performance.now();
  let inserted = 0;
  while (inserted < opts.count) {
    const n = Math.min(batch, opts.count - inserted);
    const firstId = await reserveUserIds(target.db, n);
    const now = Date.now();
    const docs = Array.from({ length: n }, (_, k) =>
      userDocument(target, opts.from + inserted + k, firstId + k, now),
    );
    await users.insertMany(docs, { ordered: false });
    await links.insertMany(
      docs.flatMap((d) => setupLinks(target.clusterId, d.uuid, d.createdAt)),
      { ordered: false },
    );
    inserted += n;
    opts.onProgress?.(inserted);
  }
  return { inserted, seconds: (performance.now() - t0) / 1000 };
}
