import { PUBLIC_USER_FIELDS, type UserView } from '@roster/contracts';
import type { UserDoc } from '../db/models';
import type { GroupRef } from './auth-cache';
import type { Actor, Deps } from './deps';
import { relationKey } from './links';

export const fullName = (u: Pick<UserDoc, 'firstName' | 'lastName'>) =>
  [u.firstName, u.lastName].filter(Boolean).join(' ').trim();

const iso = (d: Date | null | undefined) => (d ? d.toISOString() : null);

/** Above this many (user, group) pairs, memberships are read by member rather than by relation key. */
const MAX_RELATION_KEYS = 2_000;

/** Every group's uuid and id, from the cache when it is fresh enough, and when they were read. */
async function groupRefs(
  deps: Deps,
  cached: boolean,
): Promise<{ value: readonly GroupRef[]; readAt: number }> {
  const hit = cached ? deps.authCache.groups() : undefined;
  if (hit) return hit;
  const generation = deps.authCache.currentGeneration;
  const readAt = Date.now();
  const groups = await deps.models.Group.find({}, { _id: 0, uuid: 1, id: 1 }).lean<GroupRef[]>();
  deps.authCache.setGroups(groups, generation, readAt);
  return { value: groups, readAt };
}

/**
 * Group ids (Dioptra's `groups`) of many users: membership is a permission link from the user to
 * the group. The links are fetched by their unique relation key (`permission|<user>|<group>`) for
 * every known group, point lookups on any server: the embedded one serves nothing else from an
 * index, and scanned every link of the directory for a lookup by member. With `cached`, results
 * of the last few seconds are reused (AuthCache).
 */
export async function groupIdsOf(
  deps: Deps,
  userUuids: string[],
  opts: { cached?: boolean } = {},
): Promise<Map<string, number[]>> {
  const cached = !!opts.cached;
  const result = new Map<string, number[]>();
  const missing: string[] = [];
  for (const u of new Set(userUuids)) {
    const hit = cached ? deps.authCache.groupIds(u) : undefined;
    if (hit) result.set(u, [...hit]);
    else missing.push(u);
  }
  if (!missing.length) return result;
  const generation = deps.authCache.currentGeneration;
  const { value: groups, readAt } = await groupRefs(deps, cached);
  const idOf = new Map(groups.map((g) => [g.uuid, g.id]));
  const links = !groups.length
    ? []
    : missing.length * groups.length <= MAX_RELATION_KEYS
      ? await deps.models.Link.find(
          {
            relationKey: {
              $in: missing.flatMap((tailUuid) =>
                groups.map((g) =>
                  relationKey({ linkClass: 'permission', name: '', tailUuid, headUuid: g.uuid }),
                ),
              ),
            },
          },
          { _id: 0, tailUuid: 1, headUuid: 1 },
        ).lean<{ tailUuid: string; headUuid: string }[]>()
      : await deps.models.Link.find(
          {
            tailUuid: { $in: missing },
            linkClass: 'permission',
            headUuid: { $regex: '^[a-z0-9]{5}-j7d0g-' },
          },
          { _id: 0, tailUuid: 1, headUuid: 1 },
        ).lean<{ tailUuid: string; headUuid: string }[]>();
  for (const u of missing) result.set(u, []);
  for (const l of links) {
    const id = idOf.get(l.headUuid);
    if (id !== undefined) result.get(l.tailUuid)?.push(id);
  }
  for (const u of missing) {
    const ids = result.get(u)!.sort((a, b) => a - b);
    if (cached) deps.authCache.setGroupIds(u, [...ids], generation, readAt);
  }
  return result;
}

/** Sees every field: the user themself, or an admin. */
export function seesPrivateFields(actor: Actor | null, user: Pick<UserDoc, 'uuid'>): boolean {
  return !!actor && (actor.user.isAdmin || actor.user.uuid === user.uuid);
}

export function isInvited(
  user: UserDoc,
  groups: number[] | undefined,
  allUsersId: number | undefined,
): boolean {
  if (user.isActive) return true;
  return allUsersId !== undefined && !!groups?.includes(allUsersId);
}

/**
 * The one place a stored user becomes an API view. Output schemas strip anything else, but
 * this never copies the password hash in the first place.
 */
export function toUserView(
  deps: Deps,
  actor: Actor | null,
  user: UserDoc,
  ctx: { groups: number[]; allUsersId: number | undefined },
): UserView {
  const self = actor?.user.uuid === user.uuid;
  const admin = !!actor?.user.isAdmin;
  const canWrite = admin || self;
  const uuid = user.uuid;
  const id = user.id;
  const username = user.username ?? null;
  const email = user.email ?? null;
  const firstName = user.firstName ?? null;
  const lastName = user.lastName ?? null;
  const invited = isInvited(user, ctx.groups, ctx.allUsersId);
  if (!seesPrivateFields(actor, user)) {
    return {
      uuid,
      id,
      username,
      email,
      firstName,
      lastName,
      fullName: fullName(user),
      isAdmin: user.isAdmin,
      isActive: user.isActive,
      isInvited: invited,
      canWrite,
      canManage: admin,
    };
  }
  // One literal, not the public view spread into a bigger one with a conditional spread at the
  // end: V8 (Node 20) took a slow path there, 25 to 40 µs a view, most of a cached
  // users.current's own work; this literal takes about 5 µs.
  const view: UserView = {
    uuid,
    id,
    username,
    email,
    firstName,
    lastName,
    fullName: fullName(user),
    isAdmin: user.isAdmin,
    isActive: user.isActive,
    isInvited: invited,
    canWrite,
    canManage: admin,
    identityUrl: user.identityUrl ?? null,
    prefs: (user.prefs ?? {}) as UserView['prefs'],
    groups: ctx.groups,
    ownerUuid: user.ownerUuid,
    writableBy: [user.ownerUuid, uuid, deps.wellKnown.systemGroup].filter((v, i, a) => a.indexOf(v) === i),
    createdAt: user.createdAt.toISOString(),
    modifiedAt: user.modifiedAt.toISOString(),
    modifiedByUserUuid: user.modifiedByUserUuid ?? null,
    lastLoginAt: iso(user.lastLoginAt),
    passwordChangedAt: iso(user.passwordChangedAt),
    passwordExpiresAt: iso(user.passwordExpiresAt),
    etag: user.etag,
  };
  if (admin) view.redirectToUserUuid = user.redirectToUserUuid ?? null;
  return view;
}

// The "All users" group never changes its id once created; remember it per database.
const allUsersIds = new WeakMap<object, number>();

export async function allUsersGroupId(deps: Deps): Promise<number | undefined> {
  const known = allUsersIds.get(deps.models);
  if (known !== undefined) return known;
  const g = await deps.models.Group.findOne({ uuid: deps.wellKnown.allUsersGroup }, { id: 1 }).lean();
  if (g) allUsersIds.set(deps.models, g.id);
  return g?.id;
}

export async function viewUsers(deps: Deps, actor: Actor | null, users: UserDoc[]): Promise<UserView[]> {
  // Group ids are needed only where the view shows them (self, admins) or to tell whether an
  // inactive user is invited. Other users' public views skip them. A view may be a few seconds
  // behind a membership change made by another process (AuthCache).
  const need = users.filter((u) => seesPrivateFields(actor, u) || !u.isActive).map((u) => u.uuid);
  const [groups, allUsersId] = need.length
    ? await Promise.all([groupIdsOf(deps, need, { cached: true }), allUsersGroupId(deps)])
    : [new Map<string, number[]>(), undefined];
  return users.map((u) => toUserView(deps, actor, u, { groups: groups.get(u.uuid) ?? [], allUsersId }));
}

export async function viewUser(deps: Deps, actor: Actor | null, user: UserDoc): Promise<UserView> {
  const [view] = await viewUsers(deps, actor, [user]);
  return view!;
}

export { PUBLIC_USER_FIELDS };
