import { newUuid } from '../lib/ids';
import type { Deps } from './deps';

export type PermissionLevel = 'can_read' | 'can_write' | 'can_manage';

/** Creates the link if it is missing (idempotent, race-safe through the unique relationKey). */
export async function ensureLink(
  deps: Deps,
  link: { linkClass: string; name: string; tailUuid: string; headUuid: string; properties?: Record<string, unknown> },
): Promise<void> {
  const relationKey = `${link.linkClass}|${link.name}|${link.tailUuid}|${link.headUuid}`;
  const now = new Date();
  await deps.models.Link.updateOne(
    { relationKey },
    {
      $setOnInsert: {
        uuid: newUuid(deps.config.clusterId, 'link'),
        ...link,
        properties: link.properties ?? {},
        ownerUuid: deps.wellKnown.systemUser,
        relationKey,
        createdAt: now,
        modifiedAt: now,
      },
    },
    { upsert: true },
  ).catch((err: { code?: number }) => {
    if (err.code !== 11000) throw err;
  });
}

/** Sets a user up: member of "All users", and visible to its members (Arvados's setup). */
export async function setupLinks(deps: Deps, userUuid: string): Promise<void> {
  const { allUsersGroup } = deps.wellKnown;
  await ensureLink(deps, { linkClass: 'permission', name: 'can_write', tailUuid: userUuid, headUuid: allUsersGroup });
  await ensureLink(deps, { linkClass: 'permission', name: 'can_read', tailUuid: allUsersGroup, headUuid: userUuid });
}
