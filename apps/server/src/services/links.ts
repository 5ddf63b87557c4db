import type { LinkView } from '@roster/contracts';
import type { LinkDoc } from '../db/models';
import { newUuid } from '../lib/ids';
import type { Deps } from './deps';

/**
 * A permission link is unique per (tail, head) whatever its level, so that a grant replaces the
 * level; other classes are unique per (class, name, tail, head).
 */
export function relationKey(link: {
  linkClass: string;
  name: string;
  tailUuid: string;
  headUuid: string;
}): string {
  return link.linkClass === 'permission'
    ? `permission|${link.tailUuid}|${link.headUuid}`
    : `${link.linkClass}|${link.name}|${link.tailUuid}|${link.headUuid}`;
}

export function toLinkView(l: LinkDoc): LinkView {
  return {
    uuid: l.uuid,
    linkClass: l.linkClass,
    name: l.name,
    tailUuid: l.tailUuid,
    headUuid: l.headUuid,
    ownerUuid: l.ownerUuid,
    properties: (l.properties ?? {}) as Record<string, unknown>,
    createdAt: l.createdAt.toISOString(),
    modifiedAt: l.modifiedAt.toISOString(),
  };
}

/** What a link is: the rest (uuid, owner, times) is set when it is created. */
export interface LinkSpec {
  linkClass: string;
  name: string;
  tailUuid: string;
  headUuid: string;
  properties?: Record<string, unknown>;
}

/** Creates the link if it is missing (idempotent, race-safe through the unique relationKey); returns its key. */
async function upsertLink(deps: Deps, link: LinkSpec): Promise<string> {
  const key = relationKey(link);
  const now = new Date();
  try {
    await deps.models.Link.updateOne(
      { relationKey: key },
      {
        $setOnInsert: {
          uuid: newUuid(deps.config.clusterId, 'link'),
          ...link,
          properties: link.properties ?? {},
          ownerUuid: deps.wellKnown.systemUser,
          relationKey: key,
          createdAt: now,
          modifiedAt: now,
        },
      },
      { upsert: true },
    );
  } catch (err) {
    // Two upserts raced; the other one created it.
    if ((err as { code?: number }).code !== 11000) throw err;
  }
  deps.authCache.membershipsChanged();
  return key;
}

/** Creates the link if it is missing and returns it. */
export async function ensureLink(deps: Deps, link: LinkSpec): Promise<LinkDoc> {
  const key = await upsertLink(deps, link);
  return (await deps.models.Link.findOne({ relationKey: key }).lean<LinkDoc>())!;
}

/**
 * Sets a user up: member of "All users", and visible to its members (Arvados's setup). Both
 * links are written at once; they are read back only for a caller that shows them.
 */
export async function setupLinks(deps: Deps, userUuid: string): Promise<LinkDoc[]>;
export async function setupLinks(deps: Deps, userUuid: string, opts: { readBack: false }): Promise<undefined>;
export async function setupLinks(
  deps: Deps,
  userUuid: string,
  opts: { readBack: boolean } = { readBack: true },
): Promise<LinkDoc[] | undefined> {
  const { allUsersGroup } = deps.wellKnown;
  const keys = await Promise.all([
    upsertLink(deps, {
      linkClass: 'permission',
      name: 'can_write',
      tailUuid: userUuid,
      headUuid: allUsersGroup,
    }),
    upsertLink(deps, {
      linkClass: 'permission',
      name: 'can_read',
      tailUuid: allUsersGroup,
      headUuid: userUuid,
    }),
  ]);
  if (!opts.readBack) return undefined;
  // One point lookup each: a unique key alone is what every MongoDB-wire server serves from its index.
  return Promise.all(
    keys.map(async (k) => (await deps.models.Link.findOne({ relationKey: k }).lean<LinkDoc>())!),
  );
}
