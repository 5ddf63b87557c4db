import { once } from 'node:events';
import type { Writable } from 'node:stream';
import { stringify } from 'csv-stringify/sync';
import type { GroupDoc, LinkDoc, UserDoc } from '../db/models';
import { uuidType } from '../lib/ids';
import type { Deps } from '../services/deps';
import type { Progress } from './progress';
import { CSV_COLUMNS, type GroupRecord, type PermissionRecord, toCsvRow, type UserRecord } from './records';

export type TransferFormat = 'jsonl' | 'csv';

const BATCH = 1_000;
const iso = (d: Date | null | undefined) => (d ? d.toISOString() : null);

export function userRecord(u: UserDoc, invited: boolean): UserRecord & Record<string, unknown> {
  return {
    type: 'user',
    uuid: u.uuid,
    username: u.username ?? undefined,
    email: u.email ?? '',
    firstName: u.firstName ?? undefined,
    lastName: u.lastName ?? undefined,
    identityUrl: u.identityUrl ?? undefined,
    isAdmin: !!u.isAdmin,
    isActive: !!u.isActive,
    isInvited: invited,
    prefs: (u.prefs ?? {}) as UserRecord['prefs'],
    passwordHash: u.passwordHash ?? undefined,
    passwordChangedAt: iso(u.passwordChangedAt),
    passwordExpiresAt: iso(u.passwordExpiresAt),
    lastLoginAt: iso(u.lastLoginAt),
    createdAt: u.createdAt.toISOString(),
  };
}

/** Groups with every owning group before the groups it owns, so that an import can resolve owners. */
function ownersFirst(groups: GroupDoc[]): GroupDoc[] {
  const byUuid = new Map(groups.map((g) => [g.uuid, g]));
  const out: GroupDoc[] = [];
  const state = new Map<string, 'visiting' | 'done'>();
  const visit = (g: GroupDoc) => {
    if (state.get(g.uuid)) return; // done, or an ownership cycle: emitted where it was entered
    state.set(g.uuid, 'visiting');
    const owner = byUuid.get(g.ownerUuid);
    if (owner) visit(owner);
    state.set(g.uuid, 'done');
    out.push(g);
  };
  for (const g of groups) visit(g);
  return out;
}

/**
 * Writes every user (but the built-in ones and merged accounts), every group (but the built-in
 * ones) and every permission link between them or to the built-in groups, in the transfer
 * format. Password hashes are included: the output is as sensitive as the database.
 */
export async function exportDirectory(
  deps: Deps,
  opts: { format: TransferFormat; out: Writable; progress?: Progress },
): Promise<{ users: number; groups: number; permissions: number }> {
  const { models, wellKnown: wk } = deps;
  const write = async (record: Record<string, unknown>) => {
    const text = opts.format === 'csv' ? stringify([toCsvRow(record)]) : `${JSON.stringify(record)}\n`;
    if (!opts.out.write(text)) await once(opts.out, 'drain');
  };
  if (opts.format === 'csv') {
    if (!opts.out.write(stringify([[...CSV_COLUMNS]]))) await once(opts.out, 'drain');
  }

  const builtInUsers = [wk.systemUser, wk.anonymousUser];
  const builtInGroups = [wk.systemGroup, wk.allUsersGroup, wk.anonymousGroup];
  const userFilter = { uuid: { $nin: builtInUsers }, redirectToUserUuid: null };
  const [userTotal, groupDocs, linkTotal] = await Promise.all([
    models.User.countDocuments(userFilter),
    models.Group.find({ uuid: { $nin: builtInGroups } }).lean<GroupDoc[]>(),
    models.Link.countDocuments({ linkClass: 'permission' }),
  ]);
  opts.progress?.start(userTotal + groupDocs.length + linkTotal);

  // One read of the "All users" members: per batch with $in, it costs a scan of them each time.
  const invited = new Set(
    (
      await models.Link.find({ headUuid: wk.allUsersGroup, linkClass: 'permission' }, { tailUuid: 1 }).lean<
        LinkDoc[]
      >()
    ).map((l) => l.tailUuid),
  );
  const exported = new Set<string>([...builtInUsers, ...builtInGroups]);
  let users = 0;
  let lastId = 0;
  for (;;) {
    const batch = await models.User.find({ ...userFilter, id: { $gt: lastId } })
      .sort({ id: 1 })
      .limit(BATCH)
      .lean<UserDoc[]>();
    if (!batch.length) break;
    lastId = batch.at(-1)!.id;
    for (const u of batch) {
      await write(userRecord(u, invited.has(u.uuid)));
      exported.add(u.uuid);
    }
    users += batch.length;
    opts.progress?.increment(batch.length);
  }

  for (const g of ownersFirst(groupDocs)) {
    const record: GroupRecord & Record<string, unknown> = {
      type: 'group',
      uuid: g.uuid,
      name: g.name,
      description: g.description ?? '',
      ownerUuid: g.ownerUuid,
      createdAt: g.createdAt.toISOString(),
    };
    await write(record);
    exported.add(g.uuid);
  }
  opts.progress?.increment(groupDocs.length);

  // Set-up links ("All users" membership and visibility) travel as the users' isInvited.
  const isUser = (uuid: string) => uuidType(uuid) === 'user';
  const isSetupLink = (l: LinkDoc) =>
    (l.headUuid === wk.allUsersGroup && l.name === 'can_write' && isUser(l.tailUuid)) ||
    (l.tailUuid === wk.allUsersGroup && l.name === 'can_read' && isUser(l.headUuid));
  let permissions = 0;
  const cursor = models.Link.find({ linkClass: 'permission' }).sort({ _id: 1 }).lean<LinkDoc[]>().cursor();
  let seen = 0;
  for await (const link of cursor as AsyncIterable<LinkDoc>) {
    seen++;
    if (seen % BATCH === 0) opts.progress?.increment(BATCH);
    if (isSetupLink(link) || !exported.has(link.tailUuid) || !exported.has(link.headUuid)) continue;
    const record: PermissionRecord & Record<string, unknown> = {
      type: 'permission',
      tailUuid: link.tailUuid,
      headUuid: link.headUuid,
      level: link.name as PermissionRecord['level'],
    };
    await write(record);
    permissions++;
  }
  opts.progress?.increment(seen % BATCH);
  opts.progress?.stop();
  return { users, groups: groupDocs.length, permissions };
}
