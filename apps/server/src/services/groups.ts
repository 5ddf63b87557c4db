import type {
  GroupCreateInput,
  GroupUpdateInput,
  GroupView,
  ListGroupsInput,
  MembersInput,
  PermissionLevel,
} from '@roster/contracts';
import type { z } from 'zod';
import type { GroupDoc, LinkDoc, UserDoc } from '../db/models';
import { AppError, forbidden, invariant, notFound } from '../lib/errors';
import { newEtag, newUuid, uuidType } from '../lib/ids';
import { type ListSpec, planList } from '../lib/list-query';
import { nextId } from './counters';
import type { Actor, Deps } from './deps';
import { runList } from './listing';
import { runOperation } from './operations';
import { actorGroups, asLevel, levelOn, PERMISSION_LEVELS, rank, weakest, writableBy } from './permissions';

export function isBuiltInGroup(deps: Deps, uuid: string): boolean {
  const wk = deps.wellKnown;
  return uuid === wk.systemGroup || uuid === wk.allUsersGroup || uuid === wk.anonymousGroup;
}

export async function toGroupView(
  deps: Deps,
  actor: Actor | null,
  g: GroupDoc,
  level?: PermissionLevel | null,
): Promise<GroupView> {
  const lv = level === undefined ? (actor ? await levelOn(deps, actor, g) : null) : level;
  return {
    uuid: g.uuid,
    id: g.id,
    name: g.name,
    description: g.description ?? '',
    groupClass: g.groupClass ?? 'role',
    ownerUuid: g.ownerUuid,
    createdAt: g.createdAt.toISOString(),
    modifiedAt: g.modifiedAt.toISOString(),
    modifiedByUserUuid: g.modifiedByUserUuid ?? null,
    etag: g.etag,
    builtIn: isBuiltInGroup(deps, g.uuid),
    writableBy: await writableBy(deps, actor, g, lv),
    canWrite: rank(lv) >= rank('can_write'),
    canManage: rank(lv) >= rank('can_manage'),
  };
}

/** A group the caller can at least read, or NOT_FOUND: unreadable groups do not exist for them. */
export async function readableGroup(
  deps: Deps,
  actor: Actor,
  uuid: string,
): Promise<{ group: GroupDoc; level: PermissionLevel }> {
  const group = await deps.models.Group.findOne({ uuid }).lean<GroupDoc>();
  if (!group) throw notFound('group');
  const level = await levelOn(deps, actor, group);
  if (!level) throw notFound('group');
  return { group, level };
}

async function assertCanOwn(deps: Deps, actor: Actor, ownerUuid: string): Promise<void> {
  if (ownerUuid === actor.user.uuid || actor.user.isAdmin) {
    if (!(await ownerExists(deps, ownerUuid)))
      throw new AppError('BAD_REQUEST', 'VALIDATION_FAILED', 'no such owner', { field: 'ownerUuid' });
    return;
  }
  // Arvados: writing into an owner needs write permission on it.
  const owner =
    uuidType(ownerUuid) === 'group'
      ? await deps.models.Group.findOne({ uuid: ownerUuid }).lean<GroupDoc>()
      : null;
  if (!owner || rank(await levelOn(deps, actor, owner)) < rank('can_write')) {
    throw new AppError('FORBIDDEN', 'FORBIDDEN', 'you need write permission on the new owner', {
      field: 'ownerUuid',
    });
  }
}

async function ownerExists(deps: Deps, uuid: string): Promise<boolean> {
  if (uuidType(uuid) === 'user') {
    const user = await deps.models.User.findOne({ uuid }, { redirectToUserUuid: 1 }).lean();
    return !!user && !user.redirectToUserUuid;
  }
  if (uuidType(uuid) === 'group') return !!(await deps.models.Group.exists({ uuid }));
  return false;
}

export async function createGroup(
  deps: Deps,
  actor: Actor,
  input: z.output<typeof GroupCreateInput>,
): Promise<GroupView> {
  const ownerUuid = input.ownerUuid ?? actor.user.uuid;
  await assertCanOwn(deps, actor, ownerUuid);
  const now = new Date();
  const [created] = await deps.models.Group.create([
    {
      uuid: newUuid(deps.config.clusterId, 'group'),
      id: await nextId(deps, 'groups'),
      name: input.name,
      description: input.description,
      groupClass: 'role',
      ownerUuid,
      modifiedByUserUuid: actor.user.uuid,
      createdAt: now,
      modifiedAt: now,
      etag: newEtag(),
    },
  ]);
  deps.authCache.membershipsChanged();
  return toGroupView(deps, actor, created!.toObject() as GroupDoc, 'can_manage');
}

export async function getGroup(deps: Deps, actor: Actor, uuid: string): Promise<GroupView> {
  const { group, level } = await readableGroup(deps, actor, uuid);
  return toGroupView(deps, actor, group, level);
}

const GROUP_LIST: ListSpec = {
  fields: {
    uuid: { type: 'uuid' },
    id: { type: 'number' },
    name: { type: 'string' },
    ownerUuid: { type: 'uuid' },
    createdAt: { type: 'date' },
    modifiedAt: { type: 'date' },
  },
  tiebreak: 'id',
  defaultOrder: [{ field: 'id', dir: 'asc' }],
};

export async function listGroups(deps: Deps, actor: Actor, input: z.output<typeof ListGroupsInput>) {
  let base: Record<string, unknown> = {};
  if (!actor.user.isAdmin) {
    const levels = await actorGroups(deps, actor);
    // Readable: reached through links, owned by the caller, or owned by a group the caller reaches.
    const reach = [...levels.keys()];
    base = { $or: [{ uuid: { $in: reach } }, { ownerUuid: { $in: [actor.user.uuid, ...reach] } }] };
  }
  return runList(deps.models.Group, planList(GROUP_LIST, input, base), input, (docs: GroupDoc[]) =>
    Promise.all(docs.map((g) => toGroupView(deps, actor, g))),
  );
}

export async function updateGroup(
  deps: Deps,
  actor: Actor,
  input: z.output<typeof GroupUpdateInput>,
): Promise<GroupView> {
  const { group, level } = await readableGroup(deps, actor, input.uuid);
  if (rank(level) < rank('can_write')) throw forbidden('you need write permission on this group');
  if (isBuiltInGroup(deps, group.uuid)) throw invariant('built-in groups cannot be changed');
  if (input.patch.ownerUuid !== undefined) {
    if (rank(level) < rank('can_manage')) throw forbidden('changing the owner needs manage permission');
    await assertCanOwn(deps, actor, input.patch.ownerUuid);
  }
  const updated = await deps.models.Group.findOneAndUpdate(
    { uuid: group.uuid, ...(input.ifMatch ? { etag: input.ifMatch } : {}) },
    {
      $set: { ...input.patch, modifiedAt: new Date(), modifiedByUserUuid: actor.user.uuid, etag: newEtag() },
    },
    { new: true },
  ).lean<GroupDoc>();
  if (!updated)
    throw new AppError('CONFLICT', 'CONFLICT', 'the group changed since you read it; reload and retry', {
      field: 'ifMatch',
    });
  return toGroupView(deps, actor, updated);
}

/** Deleting a group removes every link to or from it, as a resumable operation. */
export async function deleteGroup(deps: Deps, actor: Actor, uuid: string): Promise<GroupView> {
  const { group, level } = await readableGroup(deps, actor, uuid);
  if (rank(level) < rank('can_manage')) throw forbidden('deleting a group needs manage permission');
  if (isBuiltInGroup(deps, group.uuid)) throw invariant('built-in groups cannot be deleted');
  if (await deps.models.Group.exists({ ownerUuid: group.uuid })) {
    throw invariant('this group owns other groups; reassign them first');
  }
  const view = await toGroupView(deps, actor, group, level);
  await runOperation(deps, 'deleteGroup', { groupUuid: group.uuid });
  return view;
}

// Oldest first; the link uuid breaks ties between links of the same millisecond.
export const DIRECT_MEMBERS: ListSpec = {
  fields: { addedAt: { type: 'date', db: 'createdAt' } },
  tiebreak: 'uuid',
  defaultOrder: [{ field: 'addedAt', dir: 'asc' }],
};

export const directMembersFilter = (groupUuid: string) => ({
  headUuid: groupUuid,
  linkClass: 'permission',
  name: { $in: PERMISSION_LEVELS },
});

type MemberRow = { memberUuid: string; level: PermissionLevel; linkUuid: string | null };

/**
 * A group's members, a page at a time. Direct members are the permission links to the group,
 * paged and counted by the database (the index on head, class, time and uuid serves both), so
 * "All users" of a large directory costs one page, not every link. Effective members follow
 * membership chains in memory and are paged from the result.
 */
export async function members(deps: Deps, actor: Actor, input: z.output<typeof MembersInput>) {
  await readableGroup(deps, actor, input.uuid);
  let rows: MemberRow[];
  let total: number;
  if (input.mode === 'direct') {
    const plan = planList(
      DIRECT_MEMBERS,
      { ...input, filters: [], order: [], count: true },
      directMembersFilter(input.uuid),
    );
    const page = await runList(deps.models.Link, plan, { count: true }, (links: LinkDoc[]) =>
      links.map((l) => ({ memberUuid: l.tailUuid, level: asLevel(l.name)!, linkUuid: l.uuid })),
    );
    rows = page.items;
    total = page.itemsAvailable ?? 0;
  } else {
    const all = [...(await effectiveMembers(deps, input.uuid)).entries()].map(([memberUuid, level]) => ({
      memberUuid,
      level,
      linkUuid: null,
    }));
    all.sort((a, b) => a.memberUuid.localeCompare(b.memberUuid));
    rows = all.slice(input.offset, input.offset + input.limit);
    total = all.length;
  }
  const userUuids = rows.filter((r) => uuidType(r.memberUuid) === 'user').map((r) => r.memberUuid);
  const groupUuids = rows.filter((r) => uuidType(r.memberUuid) === 'group').map((r) => r.memberUuid);
  const [users, groups] = await Promise.all([
    deps.models.User.find({ uuid: { $in: userUuids } }, { uuid: 1, username: 1 }).lean<UserDoc[]>(),
    deps.models.Group.find({ uuid: { $in: groupUuids } }, { uuid: 1, name: 1 }).lean<GroupDoc[]>(),
  ]);
  const names = new Map<string, string | null>([
    ...users.map((u) => [u.uuid, u.username ?? null] as const),
    ...groups.map((g) => [g.uuid, g.name] as const),
  ]);
  return {
    items: rows.map((r) => ({
      ...r,
      kind: uuidType(r.memberUuid) === 'group' ? ('group' as const) : ('user' as const),
      name: names.get(r.memberUuid) ?? null,
    })),
    itemsAvailable: total,
    limit: input.limit,
    offset: input.offset,
  };
}

/** Every user and group that reaches `groupUuid`, following membership chains backwards. */
export async function effectiveMembers(deps: Deps, groupUuid: string): Promise<Map<string, PermissionLevel>> {
  const best = new Map<string, PermissionLevel>();
  let frontier = new Map<string, PermissionLevel>([[groupUuid, 'can_manage']]);
  for (let depth = 0; frontier.size && depth < 32; depth++) {
    const links = await deps.models.Link.find(
      { headUuid: { $in: [...frontier.keys()] }, linkClass: 'permission' },
      { tailUuid: 1, headUuid: 1, name: 1 },
    ).lean<LinkDoc[]>();
    const next = new Map<string, PermissionLevel>();
    for (const l of links) {
      const level = asLevel(l.name);
      const downstream = frontier.get(l.headUuid);
      if (!level || !downstream) continue;
      const reached = weakest(level, downstream);
      if (rank(reached) > rank(best.get(l.tailUuid))) {
        best.set(l.tailUuid, reached);
        if (uuidType(l.tailUuid) === 'group') next.set(l.tailUuid, reached);
      }
    }
    frontier = next;
  }
  best.delete(groupUuid);
  return best;
}
