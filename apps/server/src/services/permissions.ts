import { PERMISSION_RANK, type PermissionLevel } from '@roster/contracts';
import type { LinkDoc } from '../db/models';
import { AppError, invariant } from '../lib/errors';
import { uuidType } from '../lib/ids';
import type { Actor, Deps } from './deps';

export const PERMISSION_LEVELS: readonly PermissionLevel[] = ['can_read', 'can_write', 'can_manage'];
const GROUP_HEAD = { $regex: '^[a-z0-9]{5}-j7d0g-' };

export const rank = (level: PermissionLevel | null | undefined) => (level ? PERMISSION_RANK[level] : 0);
export const weakest = (a: PermissionLevel, b: PermissionLevel) => (rank(a) <= rank(b) ? a : b);
export const strongest = (a: PermissionLevel | null, b: PermissionLevel | null) =>
  rank(a) >= rank(b) ? a : b;
export const asLevel = (name: string): PermissionLevel | null =>
  PERMISSION_LEVELS.includes(name as PermissionLevel) ? (name as PermissionLevel) : null;

/**
 * The groups a user or group reaches through permission links, each with the weakest level on
 * its best path (Arvados: permissions pass through membership chains, narrowed at every step).
 * Only group heads are followed, so this stays as small as the memberships, whatever the
 * number of users.
 */
export async function groupClosure(deps: Deps, principalUuid: string): Promise<Map<string, PermissionLevel>> {
  const best = new Map<string, PermissionLevel>();
  let frontier = new Map<string, PermissionLevel>([[principalUuid, 'can_manage']]);
  for (let depth = 0; frontier.size && depth < 32; depth++) {
    const links = await deps.models.Link.find(
      { tailUuid: { $in: [...frontier.keys()] }, linkClass: 'permission', headUuid: GROUP_HEAD },
      { tailUuid: 1, headUuid: 1, name: 1 },
    ).lean<LinkDoc[]>();
    const next = new Map<string, PermissionLevel>();
    for (const l of links) {
      const via = frontier.get(l.tailUuid);
      const level = asLevel(l.name);
      if (!via || !level) continue;
      const reached = weakest(via, level);
      if (rank(reached) > rank(best.get(l.headUuid))) {
        best.set(l.headUuid, reached);
        next.set(l.headUuid, reached);
      }
    }
    frontier = next;
  }
  best.delete(principalUuid);
  return best;
}

/** Per-request memo of the caller's group closure. */
const closures = new WeakMap<Actor, Promise<Map<string, PermissionLevel>>>();
export function actorGroups(deps: Deps, actor: Actor): Promise<Map<string, PermissionLevel>> {
  let c = closures.get(actor);
  if (!c) {
    c = groupClosure(deps, actor.user.uuid);
    closures.set(actor, c);
  }
  return c;
}

/**
 * The caller's effective level on a user or group: admins manage everything, owners manage what
 * they own, and links from the caller or from groups the caller reaches give the rest.
 */
export async function levelOn(
  deps: Deps,
  actor: Actor,
  target: { uuid: string; ownerUuid: string },
): Promise<PermissionLevel | null> {
  if (actor.user.isAdmin) return 'can_manage';
  if (target.ownerUuid === actor.user.uuid) return 'can_manage';
  const groups = await actorGroups(deps, actor);
  let level: PermissionLevel | null = groups.get(target.uuid) ?? null;
  // Ownership passes the owner's permission on: a group's level covers what the group owns.
  const viaOwner = groups.get(target.ownerUuid);
  if (viaOwner) level = strongest(level, viaOwner);
  if (uuidType(target.uuid) === 'user') {
    const links = await deps.models.Link.find(
      {
        headUuid: target.uuid,
        linkClass: 'permission',
        tailUuid: { $in: [actor.user.uuid, ...groups.keys()] },
      },
      { tailUuid: 1, name: 1 },
    ).lean<LinkDoc[]>();
    for (const l of links) {
      const lv = asLevel(l.name);
      if (!lv) continue;
      const via = l.tailUuid === actor.user.uuid ? 'can_manage' : groups.get(l.tailUuid)!;
      level = strongest(level, weakest(via, lv));
    }
  }
  return level;
}

/** Refuses a membership link that would close a cycle of groups (group A in B in … in A). */
export async function assertNoCycle(deps: Deps, tailUuid: string, headUuid: string): Promise<void> {
  if (uuidType(tailUuid) !== 'group' || uuidType(headUuid) !== 'group') return;
  if (tailUuid === headUuid) throw invariant('a group cannot be a member of itself', 'tailUuid');
  // Whether or not tail → head is stored yet, head reaching tail means a cycle through it.
  const reachable = await groupClosure(deps, headUuid);
  if (reachable.has(tailUuid)) {
    throw new AppError(
      'UNPROCESSABLE_CONTENT',
      'INVARIANT_VIOLATION',
      'this membership would make a cycle of groups',
      {
        field: 'headUuid',
      },
    );
  }
}

/** Uuids that can write a record, as Arvados's `writable_by` shows them to the caller. */
export async function writableBy(
  deps: Deps,
  actor: Actor | null,
  target: { uuid: string; ownerUuid: string },
  callerLevel: PermissionLevel | null,
): Promise<string[]> {
  if (!actor || rank(callerLevel) < rank('can_write')) return [target.ownerUuid];
  const base = [target.ownerUuid, actor.user.uuid];
  if (rank(callerLevel) < rank('can_manage')) return [...new Set(base)];
  const links = await deps.models.Link.find(
    { headUuid: target.uuid, linkClass: 'permission', name: { $in: ['can_write', 'can_manage'] } },
    { tailUuid: 1 },
  ).lean<LinkDoc[]>();
  return [...new Set([...base, ...links.map((l) => l.tailUuid)])];
}
