import type { LinkView } from '@roster/contracts';
import type { LinkDoc } from '../db/models';
import { writeErrorsOf } from '../lib/errors';
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

/** The upsert that creates a link if it is missing: matched on its unique relationKey, so it is idempotent. */
function upsertOperation(deps: Deps, link: LinkSpec) {
  const key = relationKey(link);
  const now = new Date();
  return {
    key,
    filter: { relationKey: key },
    update: {
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
  };
}

/** Creates the link if it is missing (idempotent, race-safe through the unique relationKey); returns its key. */
async function upsertLink(deps: Deps, link: LinkSpec): Promise<string> {
  const { key, filter, update } = upsertOperation(deps, link);
  try {
    await deps.models.Link.updateOne(filter, update, { upsert: true });
  } catch (err) {
    // Two upserts raced; the other one created it.
    if ((err as { code?: number }).code !== 11000) throw err;
  }
  deps.authCache.membershipsChanged();
  return key;
}

/** Creates the links that are missing, in one unordered bulk write (the same upserts as upsertLink). */
export async function upsertLinks(deps: Deps, links: readonly LinkSpec[]): Promise<void> {
  if (!links.length) return;
  const ops = links.map((link) => {
    const { filter, update } = upsertOperation(deps, link);
    return { updateOne: { filter, update, upsert: true } };
  });
  try {
    // Through the driver: the upserts are whole documents of the schema's types already, and
    // mongoose's casting of each costs a bulk import more CPU than the write itself.
    await deps.models.Link.collection.bulkWrite(ops, { ordered: false });
  } catch (err) {
    // Upserts that raced with another writer of the same relation: that one created the link.
    const failed = writeErrorsOf(err);
    if (!failed?.length || failed.some((w) => w.code !== 11000)) throw err;
  }
  deps.authCache.membershipsChanged();
}

/** Creates the link if it is missing and returns it. */
export async function ensureLink(deps: Deps, link: LinkSpec): Promise<LinkDoc> {
  const key = await upsertLink(deps, link);
  return (await deps.models.Link.findOne({ relationKey: key }).lean<LinkDoc>())!;
}

/** The two links of a set-up user: member of "All users", and visible to its members (Arvados's setup). */
function setupLinkSpecs(deps: Deps, userUuid: string): LinkSpec[] {
  const { allUsersGroup } = deps.wellKnown;
  return [
    { linkClass: 'permission', name: 'can_write', tailUuid: userUuid, headUuid: allUsersGroup },
    { linkClass: 'permission', name: 'can_read', tailUuid: allUsersGroup, headUuid: userUuid },
  ];
}

/**
 * Sets a user up (see setupLinkSpecs). Both links are written at once; they are read back only
 * for a caller that shows them.
 */
export async function setupLinks(deps: Deps, userUuid: string): Promise<LinkDoc[]>;
export async function setupLinks(deps: Deps, userUuid: string, opts: { readBack: false }): Promise<undefined>;
export async function setupLinks(
  deps: Deps,
  userUuid: string,
  opts: { readBack: boolean } = { readBack: true },
): Promise<LinkDoc[] | undefined> {
  const keys = await Promise.all(setupLinkSpecs(deps, userUuid).map((link) => upsertLink(deps, link)));
  if (!opts.readBack) return undefined;
  // One point lookup each: a unique key alone is what every MongoDB-wire server serves from its index.
  return Promise.all(
    keys.map(async (k) => (await deps.models.Link.findOne({ relationKey: k }).lean<LinkDoc>())!),
  );
}

/** Sets many users up with one bulk write (a bulk import), without reading the links back. */
export async function setupLinksOfUsers(deps: Deps, userUuids: readonly string[]): Promise<void> {
  await upsertLinks(
    deps,
    userUuids.flatMap((uuid) => setupLinkSpecs(deps, uuid)),
  );
}
