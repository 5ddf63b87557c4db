import argon2 from 'argon2';
import { newEtag, newUuid } from '../../src/lib/ids';
import type { Deps } from '../../src/services/deps';
import { relationKey } from '../../src/services/links';

/** A few real argon2id hashes (cheap parameters): importing PHC strings costs no hashing. */
export async function phcHashes(n: number) {
  const out: { password: string; hash: string }[] = [];
  for (let i = 0; i < n; i++) {
    const password = `moved password ${i}`;
    out.push({
      password,
      hash: await argon2.hash(password, {
        type: argon2.argon2id,
        memoryCost: 1024,
        timeCost: 1,
        parallelism: 1,
      }),
    });
  }
  return out;
}

/**
 * A directory of `users` users and `groups` groups in the transfer format, with every kind of
 * field filled in some rows and left out in others: names with accents and quotes, commas and
 * line breaks (CSV's hard cases), nested prefs, identity URLs, admins, inactive and invited users,
 * nested groups, owners and shared users.
 */
export async function directoryRecords(opts: { users: number; groups: number; cluster?: string }) {
  const c = opts.cluster ?? 'src01';
  const hashes = await phcHashes(4);
  const pad = (n: number) => n.toString(36).padStart(15, '0');
  const userUuid = (i: number) => `${c}-tpzed-${pad(i + 1)}`;
  const groupUuid = (i: number) => `${c}-j7d0g-${pad(i + 1)}`;
  const users: Record<string, unknown>[] = [];
  for (let i = 0; i < opts.users; i++) {
    const h = hashes[i % hashes.length]!;
    const kind = i % 10;
    users.push({
      type: 'user',
      uuid: userUuid(i),
      username: `user${i}`,
      email: `User${i}@Example.org`,
      firstName: kind === 3 ? undefined : i % 7 === 0 ? `Zoë "Zed", ${i}` : `First${i}`,
      lastName: kind === 4 ? undefined : i % 11 === 0 ? `O'Brien\nline two` : `Last${i}`,
      identityUrl: kind === 5 ? `https://id.example.org/u/${i}` : undefined,
      isAdmin: i % 500 === 0,
      isActive: i % 500 === 0 || kind !== 7,
      isInvited: i % 500 === 0 || kind !== 7 || i % 20 === 7,
      prefs: kind === 6 ? { theme: 'dark', n: i, nested: { list: [1, 'two', { ok: true }] } } : {},
      passwordHash: kind === 8 ? undefined : h.hash,
      passwordChangedAt: kind === 8 ? null : new Date(Date.UTC(2024, 0, 1) + i * 60_000).toISOString(),
      passwordExpiresAt: kind === 9 ? new Date(Date.UTC(2030, 5, 1) + i * 1000).toISOString() : null,
      lastLoginAt: kind === 2 ? new Date(Date.UTC(2025, 2, 3) + i * 1000).toISOString() : null,
      createdAt: new Date(Date.UTC(2023, 0, 1) + i * 3_600_000).toISOString(),
    });
  }
  const groups: Record<string, unknown>[] = [];
  const permissions: Record<string, unknown>[] = [];
  for (let g = 0; g < opts.groups; g++) {
    // Group g+1 is owned by group g (owners come first); others by a user.
    groups.push({
      type: 'group',
      uuid: groupUuid(g),
      name: g === 3 ? 'Team, "three"' : `Team ${g % (opts.groups - 1)}`,
      description: g % 2 ? `Group ${g}\nwith a second line` : '',
      ownerUuid: g % 3 === 1 ? groupUuid(g - 1) : userUuid(g),
      createdAt: new Date(Date.UTC(2023, 5, 1) + g * 86_400_000).toISOString(),
    });
  }
  const levels = ['can_read', 'can_write', 'can_manage'] as const;
  for (let i = 0; i < opts.users; i += 3) {
    if (i % 10 === 7) continue;
    permissions.push({
      type: 'permission',
      tailUuid: userUuid(i),
      headUuid: groupUuid(i % opts.groups),
      level: levels[i % 3],
    });
  }
  for (let g = 1; g < opts.groups; g += 4) {
    permissions.push({
      type: 'permission',
      tailUuid: groupUuid(g),
      headUuid: groupUuid(g - 1),
      level: 'can_read',
    });
  }
  permissions.push({ type: 'permission', tailUuid: userUuid(1), headUuid: userUuid(2), level: 'can_read' });
  // Shared with every user, through the built-in group of the source cluster.
  permissions.push({
    type: 'permission',
    tailUuid: `${c}-j7d0g-fffffffffffffff`,
    headUuid: groupUuid(0),
    level: 'can_read',
  });
  const strip = (r: Record<string, unknown>) =>
    Object.fromEntries(Object.entries(r).filter(([, v]) => v !== undefined));
  return { users: users.map(strip), groups: groups.map(strip), permissions, hashes };
}

/**
 * Writes transfer records straight into a directory's collections, the way the services store
 * them, without the importer: the export is then checked against data that no import made.
 * Record uuids must already be of this directory's cluster.
 */
export async function seedDirectory(
  deps: Deps,
  records: {
    users: Record<string, unknown>[];
    groups: Record<string, unknown>[];
    permissions: Record<string, unknown>[];
  },
) {
  const date = (v: unknown) => (typeof v === 'string' ? new Date(v) : null);
  const str = (v: unknown) => (typeof v === 'string' ? v : null);
  const system = deps.wellKnown.systemUser;
  const base = 1_000_000;
  const users = records.users.map((r, i) => ({
    uuid: r.uuid,
    id: base + i,
    username: r.username,
    usernameKey: String(r.username).toLowerCase(),
    email: r.email,
    emailKey: String(r.email).toLowerCase(),
    firstName: str(r.firstName),
    lastName: str(r.lastName),
    identityUrl: str(r.identityUrl),
    ...(r.identityUrl ? { identityUrlKey: String(r.identityUrl).toLowerCase() } : {}),
    isAdmin: r.isAdmin,
    isActive: r.isActive,
    prefs: r.prefs ?? {},
    passwordHash: str(r.passwordHash),
    passwordChangedAt: date(r.passwordChangedAt),
    passwordExpiresAt: date(r.passwordExpiresAt),
    lastLoginAt: date(r.lastLoginAt),
    ownerUuid: system,
    modifiedByUserUuid: null,
    redirectToUserUuid: null,
    createdAt: date(r.createdAt),
    modifiedAt: date(r.createdAt),
    etag: newEtag(),
  }));
  const groups = records.groups.map((r, i) => ({
    uuid: r.uuid,
    id: base + i,
    name: r.name,
    description: r.description ?? '',
    groupClass: 'role',
    ownerUuid: r.ownerUuid,
    modifiedByUserUuid: null,
    createdAt: date(r.createdAt),
    modifiedAt: date(r.createdAt),
    etag: newEtag(),
  }));
  const now = new Date();
  const link = (tailUuid: string, headUuid: string, name: string) => {
    const l = { linkClass: 'permission', name, tailUuid, headUuid };
    return {
      ...l,
      uuid: newUuid(deps.config.clusterId, 'link'),
      ownerUuid: system,
      properties: {},
      relationKey: relationKey(l),
      createdAt: now,
      modifiedAt: now,
    };
  };
  const links = [
    ...records.users
      .filter((r) => r.isInvited)
      .flatMap((r) => [
        link(String(r.uuid), deps.wellKnown.allUsersGroup, 'can_write'),
        link(deps.wellKnown.allUsersGroup, String(r.uuid), 'can_read'),
      ]),
    ...records.permissions.map((r) => link(String(r.tailUuid), String(r.headUuid), String(r.level))),
  ];
  const { User, Group, Link } = deps.models;
  await User.collection.insertMany(users, { ordered: false });
  await Group.collection.insertMany(groups, { ordered: false });
  await Link.collection.insertMany(links, { ordered: false });
}
