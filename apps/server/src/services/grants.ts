import type {
  ComputedPermissionsInput,
  GrantInput,
  ListLinksInput,
  PermissionLevel,
} from '@roster/contracts';
import type { z } from 'zod';
import type { GroupDoc, LinkDoc, UserDoc } from '../db/models';
import { AppError, forbidden, notFound } from '../lib/errors';
import { newUuid, uuidType } from '../lib/ids';
import { type ListSpec, planList } from '../lib/list-query';
import type { Actor, Deps } from './deps';
import { relationKey, toLinkView } from './links';
import { runList } from './listing';
import {
  actorGroups,
  asLevel,
  assertNoCycle,
  groupClosure,
  levelOn,
  rank,
  strongest,
  weakest,
} from './permissions';

async function principal(deps: Deps, uuid: string, field: string): Promise<UserDoc | GroupDoc> {
  const type = uuidType(uuid);
  const doc =
    type === 'user'
      ? await deps.models.User.findOne({ uuid })
          .lean<UserDoc>()
          .then((u) => (u?.redirectToUserUuid ? null : u))
      : type === 'group'
        ? await deps.models.Group.findOne({ uuid }).lean<GroupDoc>()
        : null;
  if (!doc)
    throw new AppError('NOT_FOUND', 'NOT_FOUND', `${field === 'tailUuid' ? 'member' : 'target'} not found`, {
      field,
    });
  return doc;
}

/** Grants `level` on head to tail, replacing any level the pair had. Needs manage permission on the head. */
export async function grant(deps: Deps, actor: Actor, input: z.output<typeof GrantInput>) {
  const head = await principal(deps, input.headUuid, 'headUuid');
  const level = await levelOn(deps, actor, head);
  if (!level) throw notFound('target');
  if (rank(level) < rank('can_manage')) throw forbidden('granting needs manage permission on the target');
  await principal(deps, input.tailUuid, 'tailUuid');
  await assertNoCycle(deps, input.tailUuid, input.headUuid);
  const link = {
    linkClass: 'permission',
    name: input.level,
    tailUuid: input.tailUuid,
    headUuid: input.headUuid,
  };
  const key = relationKey(link);
  const now = new Date();
  try {
    await deps.models.Link.updateOne(
      { relationKey: key },
      {
        $set: { name: input.level, modifiedAt: now },
        $setOnInsert: {
          uuid: newUuid(deps.config.clusterId, 'link'),
          linkClass: 'permission',
          tailUuid: input.tailUuid,
          headUuid: input.headUuid,
          ownerUuid: deps.wellKnown.systemUser,
          properties: {},
          relationKey: key,
          createdAt: now,
        },
      },
      { upsert: true },
    );
  } catch (err) {
    if ((err as { code?: number }).code !== 11000) throw err;
    await deps.models.Link.updateOne({ relationKey: key }, { $set: { name: input.level, modifiedAt: now } });
  }
  deps.authCache.membershipsChanged();
  // Also when this call only updated the level: a parallel grant may have stored the edge a
  // moment before, and may be about to take it back because it closes a cycle.
  await undoIfCycle(deps, key, input.tailUuid, input.headUuid);
  const stored = await deps.models.Link.findOne({ relationKey: key }).lean<LinkDoc>();
  if (!stored)
    throw new AppError('CONFLICT', 'CONFLICT', 'the permission was revoked while it was being granted');
  return toLinkView(stored);
}

/**
 * The check before the insert cannot see a concurrent grant of the opposite edge (A in B while
 * B joins A). Checked again once the edge is stored, every such race is caught by at least the
 * later of the two: a grant that now closes a cycle takes its own edge back and is refused.
 */
async function undoIfCycle(deps: Deps, key: string, tailUuid: string, headUuid: string) {
  try {
    await assertNoCycle(deps, tailUuid, headUuid);
  } catch (err) {
    await deps.models.Link.deleteOne({ relationKey: key });
    deps.authCache.membershipsChanged();
    throw err;
  }
}

/** Removes a permission link. The target's managers may, and so may the member leaving. */
export async function revoke(
  deps: Deps,
  actor: Actor,
  input: { uuid: string } | { tailUuid: string; headUuid: string },
) {
  const link =
    'uuid' in input
      ? await deps.models.Link.findOne({ uuid: input.uuid, linkClass: 'permission' }).lean<LinkDoc>()
      : await deps.models.Link.findOne({
          relationKey: relationKey({ linkClass: 'permission', name: '', ...input }),
        }).lean<LinkDoc>();
  if (!link) throw notFound('permission');
  if (link.tailUuid !== actor.user.uuid) {
    const head = await principal(deps, link.headUuid, 'headUuid').catch(() => null);
    const level = head ? await levelOn(deps, actor, head) : actor.user.isAdmin ? 'can_manage' : null;
    if (!level) throw notFound('permission');
    if (rank(level) < rank('can_manage')) throw forbidden('revoking needs manage permission on the target');
  }
  await deps.models.Link.deleteOne({ uuid: link.uuid });
  deps.authCache.membershipsChanged();
  return toLinkView(link);
}

const LINK_LIST: ListSpec = {
  fields: {
    uuid: { type: 'uuid' },
    linkClass: { type: 'string' },
    name: { type: 'string' },
    tailUuid: { type: 'uuid' },
    headUuid: { type: 'uuid' },
    createdAt: { type: 'date' },
  },
  tiebreak: 'uuid',
  defaultOrder: [{ field: 'createdAt', dir: 'asc' }],
};

/** Links the caller can see: all for admins; otherwise links from or to the caller or a group the caller reaches. */
export async function listLinks(deps: Deps, actor: Actor, input: z.output<typeof ListLinksInput>) {
  let base: Record<string, unknown> = {};
  if (!actor.user.isAdmin) {
    const mine = [actor.user.uuid, ...(await actorGroups(deps, actor)).keys()];
    base = { $or: [{ tailUuid: { $in: mine } }, { headUuid: { $in: mine } }] };
  }
  return runList(deps.models.Link, planList(LINK_LIST, input, base), input, (docs: LinkDoc[]) =>
    docs.map(toLinkView),
  );
}

/**
 * One row per (user, target) with the user's effective level, like Arvados's computed
 * permissions: groups reached through membership chains and users shared with the user or its
 * groups. The "All users can read every set-up user" visibility links are left out: they would
 * add a row for every pair of users.
 */
export async function computedPermissions(deps: Deps, input: z.output<typeof ComputedPermissionsInput>) {
  const users = await deps.models.User.find(
    {
      redirectToUserUuid: null,
      ...(input.userUuid ? { uuid: input.userUuid } : input.cursor ? { uuid: { $gt: input.cursor } } : {}),
    },
    { uuid: 1, isAdmin: 1 },
  )
    .sort({ uuid: 1 })
    .limit(input.limit)
    .lean<UserDoc[]>();
  const items: { userUuid: string; targetUuid: string; level: PermissionLevel }[] = [];
  for (const u of users) {
    const groups = await groupClosure(deps, u.uuid);
    const rows = new Map<string, PermissionLevel>(groups);
    const shared = await deps.models.Link.find(
      {
        linkClass: 'permission',
        tailUuid: { $in: [u.uuid, ...[...groups.keys()].filter((g) => g !== deps.wellKnown.allUsersGroup)] },
        headUuid: { $regex: '^[a-z0-9]{5}-tpzed-' },
      },
      { tailUuid: 1, headUuid: 1, name: 1 },
    ).lean<LinkDoc[]>();
    for (const l of shared) {
      const lv = asLevel(l.name);
      if (!lv) continue;
      const via = l.tailUuid === u.uuid ? 'can_manage' : groups.get(l.tailUuid)!;
      rows.set(l.headUuid, strongest(rows.get(l.headUuid) ?? null, weakest(via, lv))!);
    }
    for (const [targetUuid, level] of rows) {
      if (!input.targetUuid || input.targetUuid === targetUuid)
        items.push({ userUuid: u.uuid, targetUuid, level });
    }
  }
  items.sort((a, b) => a.userUuid.localeCompare(b.userUuid) || a.targetUuid.localeCompare(b.targetUuid));
  const last = users[users.length - 1];
  return { items, nextCursor: !input.userUuid && last && users.length === input.limit ? last.uuid : null };
}
