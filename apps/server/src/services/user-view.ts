import { PUBLIC_USER_FIELDS, type UserView } from '@roster/contracts';
import type { UserDoc } from '../db/models';
import type { Actor, Deps } from './deps';

export const fullName = (u: Pick<UserDoc, 'firstName' | 'lastName'>) =>
  [u.firstName, u.lastName].filter(Boolean).join(' ').trim();

const iso = (d: Date | null | undefined) => (d ? d.toISOString() : null);

/**
 * Group ids (Dioptra's `groups`) of many users in two queries, for a page of results.
 * Membership is a permission link from the user to the group.
 */
export async function groupIdsOf(deps: Deps, userUuids: string[]): Promise<Map<string, number[]>> {
  const result = new Map<string, number[]>(userUuids.map((u) => [u, []]));
  if (!userUuids.length) return result;
  const links = await deps.models.Link.find(
    { tailUuid: { $in: userUuids }, linkClass: 'permission', headUuid: { $regex: '^[a-z0-9]{5}-j7d0g-' } },
    { tailUuid: 1, headUuid: 1 },
  ).lean();
  const groupUuids = [...new Set(links.map((l) => l.headUuid))];
  const groups = groupUuids.length
    ? await deps.models.Group.find({ uuid: { $in: groupUuids } }, { uuid: 1, id: 1 }).lean()
    : [];
  const idOf = new Map(groups.map((g) => [g.uuid, g.id]));
  for (const l of links) {
    const id = idOf.get(l.headUuid);
    if (id !== undefined) result.get(l.tailUuid)?.push(id);
  }
  for (const ids of result.values()) ids.sort((a, b) => a - b);
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
  const view: UserView = {
    uuid: user.uuid,
    id: user.id,
    username: user.username ?? null,
    email: user.email ?? null,
    firstName: user.firstName ?? null,
    lastName: user.lastName ?? null,
    fullName: fullName(user),
    isAdmin: user.isAdmin,
    isActive: user.isActive,
    isInvited: isInvited(user, ctx.groups, ctx.allUsersId),
    canWrite,
    canManage: admin,
  };
  if (!seesPrivateFields(actor, user)) return view;
  return {
    ...view,
    identityUrl: user.identityUrl ?? null,
    prefs: (user.prefs ?? {}) as UserView['prefs'],
    groups: ctx.groups,
    ownerUuid: user.ownerUuid,
    writableBy: [user.ownerUuid, user.uuid, deps.wellKnown.systemGroup].filter(
      (v, i, a) => a.indexOf(v) === i,
    ),
    createdAt: user.createdAt.toISOString(),
    modifiedAt: user.modifiedAt.toISOString(),
    modifiedByUserUuid: user.modifiedByUserUuid ?? null,
    lastLoginAt: iso(user.lastLoginAt),
    passwordChangedAt: iso(user.passwordChangedAt),
    passwordExpiresAt: iso(user.passwordExpiresAt),
    etag: user.etag,
    ...(admin ? { redirectToUserUuid: user.redirectToUserUuid ?? null } : {}),
  };
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
  // Group ids cost two queries; they are needed only where the view shows them (self, admins)
  // or to tell whether an inactive user is invited. Other users' public views skip them.
  const need = users.filter((u) => seesPrivateFields(actor, u) || !u.isActive).map((u) => u.uuid);
  const [groups, allUsersId] = need.length
    ? await Promise.all([groupIdsOf(deps, need), allUsersGroupId(deps)])
    : [new Map<string, number[]>(), undefined];
  return users.map((u) => toUserView(deps, actor, u, { groups: groups.get(u.uuid) ?? [], allUsersId }));
}

export async function viewUser(deps: Deps, actor: Actor | null, user: UserDoc): Promise<UserView> {
  const [view] = await viewUsers(deps, actor, [user]);
  return view!;
}

export { PUBLIC_USER_FIELDS };
