import type { OperationDoc } from '../db/models';
import { newEtag, newUuid } from '../lib/ids';
import type { Deps } from './deps';
import { relationKey } from './links';

type Params = Record<string, unknown>;
type Step = (deps: Deps, params: Params) => Promise<void>;

/**
 * Each kind is a list of idempotent steps. The operation record is written first and marked done
 * last, so a crash anywhere leaves a pending record that `resumeOperations` finishes at start-up
 * (before the server reports ready).
 */
const KINDS: Record<string, Step[]> = {
  deleteGroup: [
    async (deps, p) => {
      await deps.models.Link.deleteMany({ $or: [{ tailUuid: p.groupUuid }, { headUuid: p.groupUuid }] });
    },
    async (deps, p) => {
      await deps.models.Group.deleteOne({ uuid: p.groupUuid });
    },
  ],
  unsetup: [
    // The user's flags flip first, so that a half-done unsetup already denies access.
    async (deps, p) => {
      await deps.models.User.updateOne(
        { uuid: p.userUuid },
        {
          $set: {
            isActive: false,
            isAdmin: false,
            prefs: {},
            modifiedAt: new Date(),
            modifiedByUserUuid: p.by,
            etag: newEtag(),
          },
        },
      );
      deps.authCache.evictUser(String(p.userUuid));
    },
    async (deps, p) => {
      await deps.models.Token.deleteMany({ userUuid: p.userUuid });
      deps.authCache.evictUser(String(p.userUuid));
    },
    async (deps, p) => {
      // Memberships and sharing from the user, and signatures; All users' can_read on the user stays.
      await deps.models.Link.deleteMany({
        tailUuid: p.userUuid,
        linkClass: { $in: ['permission', 'signature'] },
      });
    },
  ],
  merge: [
    async (deps, p) => {
      const {
        oldUuid,
        newUuid: target,
        redirect,
      } = p as { oldUuid: string; newUuid: string; redirect: boolean };
      if (redirect) await deps.models.Token.updateMany({ userUuid: oldUuid }, { $set: { userUuid: target } });
      else await deps.models.Token.deleteMany({ userUuid: oldUuid });
      deps.authCache.evictUser(oldUuid);
    },
    async (deps, p) => {
      const {
        oldUuid,
        newUuid: target,
        redirect,
      } = p as { oldUuid: string; newUuid: string; redirect: boolean };
      await rewriteLinks(
        deps,
        oldUuid,
        target,
        redirect ? ['tailUuid', 'headUuid', 'ownerUuid'] : ['tailUuid', 'ownerUuid'],
      );
    },
    async (deps, p) => {
      await deps.models.Group.updateMany(
        { ownerUuid: p.oldUuid },
        { $set: { ownerUuid: p.newOwnerUuid, etag: newEtag() } },
      );
      await deps.models.Agreement.updateMany(
        { ownerUuid: p.oldUuid },
        { $set: { ownerUuid: p.newOwnerUuid } },
      );
    },
    async (deps, p) => {
      if (!p.redirect) return;
      await deps.models.User.updateOne(
        { uuid: p.oldUuid },
        {
          $set: {
            redirectToUserUuid: p.newUuid,
            username: null,
            modifiedAt: new Date(),
            modifiedByUserUuid: p.by,
            etag: newEtag(),
          },
          // The username stays taken (merged users count for uniqueness) through its key.
        },
      );
      deps.authCache.evictUser(String(p.oldUuid));
    },
  ],
};

/**
 * Moves links from one user to another, one link at a time: a link whose rewritten relation
 * already exists is dropped instead (the new user already has that permission).
 */
async function rewriteLinks(
  deps: Deps,
  from: string,
  to: string,
  fields: ('tailUuid' | 'headUuid' | 'ownerUuid')[],
) {
  for (const field of fields) {
    const links = await deps.models.Link.find({ [field]: from }).lean();
    for (const l of links) {
      const moved = { ...l, [field]: to };
      try {
        await deps.models.Link.updateOne(
          { uuid: l.uuid },
          { $set: { [field]: to, relationKey: relationKey(moved) } },
        );
      } catch (err) {
        if ((err as { code?: number }).code !== 11000) throw err;
        await deps.models.Link.deleteOne({ uuid: l.uuid });
      }
    }
  }
}

/** Test hook: throw after this many steps, as a crash would stop the process. */
export interface FaultInjection {
  crashAfterStep?: number;
}
export const faults: FaultInjection = {};

export class SimulatedCrash extends Error {}

async function execute(deps: Deps, op: Pick<OperationDoc, 'uuid' | 'kind' | 'params'>): Promise<void> {
  const steps = KINDS[op.kind];
  if (!steps) throw new Error(`unknown operation kind ${op.kind}`);
  let done = 0;
  for (const step of steps) {
    await step(deps, op.params as Params);
    // Every kind moves or removes links (memberships) or groups.
    deps.authCache.membershipsChanged();
    done += 1;
    if (faults.crashAfterStep !== undefined && done === faults.crashAfterStep)
      throw new SimulatedCrash(`crash after step ${done}`);
  }
  await deps.models.Operation.updateOne(
    { uuid: op.uuid },
    { $set: { state: 'done', finishedAt: new Date() } },
  );
}

export async function runOperation(deps: Deps, kind: keyof typeof KINDS, params: Params): Promise<void> {
  const op = {
    uuid: newUuid(deps.config.clusterId, 'operation'),
    kind,
    params,
    state: 'pending',
    createdAt: new Date(),
  };
  await deps.models.Operation.create(op);
  await execute(deps, op);
}

/** Finishes operations a crash left pending. Run at start-up before serving. */
export async function resumeOperations(deps: Deps): Promise<number> {
  const pending = await deps.models.Operation.find({ state: 'pending' })
    .sort({ createdAt: 1 })
    .lean<OperationDoc[]>();
  for (const op of pending) {
    deps.logger.info({ operation: op.uuid, kind: op.kind }, 'resuming an interrupted operation');
    await execute(deps, op);
  }
  return pending.length;
}
