import type { ListSignaturesInput, UserCreateInput } from '@roster/contracts';
import type { z } from 'zod';
import type { AgreementDoc, LinkDoc, UserDoc } from '../db/models';
import { AppError, forbidden, invariant, notFound } from '../lib/errors';
import { newEtag, newUuid } from '../lib/ids';
import { type ListSpec, planList } from '../lib/list-query';
import type { Actor, Deps } from './deps';
import { ensureLink, setupLinks, toLinkView } from './links';
import { runList } from './listing';
import { runOperation } from './operations';
import { authenticateToken } from './tokens';
import { allUsersGroupId, groupIdsOf, isInvited, viewUser } from './user-view';
import { assertAdminInvariants, createUser, findUser } from './users';

/** Arvados's setup: idempotent; joins "All users" and makes the user visible to its members. */
export async function setupUser(
  deps: Deps,
  actor: Actor,
  input: { uuid: string } | { user: UserCreateInput },
) {
  let user: UserDoc | null;
  if ('uuid' in input) {
    user = await findUser(deps, input.uuid);
    if (!user) throw notFound('user');
  } else {
    user = await createUser(
      deps,
      actor,
      { ...input.user, isActive: input.user.isActive ?? false },
      { source: 'admin' },
    );
  }
  const links = await setupLinks(deps, user.uuid);
  return { user: await viewUser(deps, actor, user), links: links.map(toLinkView) };
}

export async function invited(deps: Deps, user: UserDoc): Promise<boolean> {
  const [groups, allUsersId] = await Promise.all([groupIdsOf(deps, [user.uuid]), allUsersGroupId(deps)]);
  return isInvited(user, groups.get(user.uuid), allUsersId);
}

/** Self-activation (or an admin's): needs an invitation and every required agreement signed. */
export async function activateUser(deps: Deps, actor: Actor, uuid?: string) {
  // Arvados: a non-admin naming another uuid activates themself.
  const targetUuid = actor.user.isAdmin && uuid ? uuid : actor.user.uuid;
  const user = await findUser(deps, targetUuid);
  if (!user) throw notFound('user');
  if (user.isActive) return viewUser(deps, actor, user);
  if (!actor.user.isAdmin && !(await invited(deps, user))) {
    throw invariant('Cannot activate without being invited.');
  }
  const missing = await unsignedAgreements(deps, user.uuid);
  if (missing.length) {
    throw new AppError(
      'FORBIDDEN',
      'FORBIDDEN',
      `Cannot activate without user agreements ${JSON.stringify(missing.map((a) => a.uuid))}`,
    );
  }
  const updated = await deps.models.User.findOneAndUpdate(
    { uuid: user.uuid },
    {
      $set: { isActive: true, modifiedAt: new Date(), modifiedByUserUuid: actor.user.uuid, etag: newEtag() },
    },
    { new: true },
  ).lean<UserDoc>();
  deps.authCache.evictUser(user.uuid);
  await setupLinks(deps, user.uuid, { readBack: false });
  return viewUser(deps, actor, updated!);
}

/** Removes memberships, sharing, signatures, tokens and sessions; clears prefs and both flags. */
export async function unsetupUser(deps: Deps, actor: Actor, uuid: string) {
  const user = await findUser(deps, uuid);
  if (!user) throw notFound('user');
  if (user.uuid === deps.wellKnown.systemUser) throw invariant('the system user cannot be unset up');
  if (user.isAdmin && user.isActive) {
    const others = await deps.models.User.countDocuments({
      isAdmin: true,
      isActive: true,
      uuid: { $nin: [user.uuid, deps.wellKnown.systemUser] },
      redirectToUserUuid: null,
    });
    if (others === 0) throw invariant('the last active admin cannot be unset up');
  }
  await runOperation(deps, 'unsetup', { userUuid: user.uuid, by: actor.user.uuid });
  return viewUser(deps, actor, (await findUser(deps, uuid))!);
}

export type MergeRequest =
  | { newUserToken: string; newOwnerUuid: string; redirectToNewUser: boolean }
  | { oldUserUuid: string; newUserUuid: string; newOwnerUuid: string; redirectToNewUser: boolean };

/** Moves an account into another (Arvados's merge): tokens, links and owned objects. */
export async function mergeUsers(deps: Deps, actor: Actor, req: MergeRequest) {
  let oldUser: UserDoc | null;
  let newUser: UserDoc | null;
  if ('newUserToken' in req) {
    if (actor.token && !actor.token.scopes.includes('all'))
      throw forbidden('merging needs a token with scope "all"');
    const found = await authenticateToken(deps, req.newUserToken, { ip: null, requestId: 'merge' });
    if (!found)
      throw new AppError(
        'UNAUTHORIZED',
        'UNAUTHENTICATED',
        'the new user token is unknown, expired or revoked',
      );
    if (!found.token.scopes.includes('all')) throw forbidden('the new user token must have scope "all"');
    oldUser = actor.user;
    newUser = found.user;
  } else {
    if (!actor.user.isAdmin) throw forbidden('only admins may merge users by uuid');
    oldUser = await findUser(deps, req.oldUserUuid);
    newUser = await findUser(deps, req.newUserUuid);
    if (!oldUser || !newUser)
      throw invariant('both users must exist', !oldUser ? 'oldUserUuid' : 'newUserUuid');
  }
  if (oldUser.uuid === newUser.uuid) throw invariant('cannot merge a user into themself');
  if (oldUser.redirectToUserUuid) throw invariant('this user was already merged');
  const builtIn = [deps.wellKnown.systemUser, deps.wellKnown.anonymousUser];
  if (builtIn.includes(oldUser.uuid) || builtIn.includes(newUser.uuid))
    throw invariant(
      'built-in accounts cannot be merged',
      builtIn.includes(oldUser.uuid) ? 'oldUserUuid' : 'newUserUuid',
    );
  // The old account goes away as surely as a deleted one: the last active admin may not.
  await assertAdminInvariants(deps, oldUser, 'delete');
  // The new user must be able to write into the new owner.
  const owner = req.newOwnerUuid;
  const ownerOk =
    owner === newUser.uuid ||
    newUser.isAdmin ||
    !!(await deps.models.Group.exists({ uuid: owner, ownerUuid: newUser.uuid })) ||
    !!(await deps.models.Link.exists({
      tailUuid: newUser.uuid,
      headUuid: owner,
      linkClass: 'permission',
      name: { $in: ['can_write', 'can_manage'] },
    }));
  if (!ownerOk)
    throw new AppError('FORBIDDEN', 'FORBIDDEN', 'the new user cannot write to the new owner', {
      field: 'newOwnerUuid',
    });
  await runOperation(deps, 'merge', {
    oldUuid: oldUser.uuid,
    newUuid: newUser.uuid,
    newOwnerUuid: owner,
    redirect: req.redirectToNewUser,
    by: actor.user.uuid,
  });
  const after = await deps.models.User.findOne({ uuid: oldUser.uuid }).lean<UserDoc>();
  return viewUser(deps, { ...actor, user: actor.user.isAdmin ? actor.user : after! }, after!);
}

export async function requiredAgreements(deps: Deps): Promise<AgreementDoc[]> {
  return deps.models.Agreement.find({ required: true }).sort({ createdAt: 1 }).lean<AgreementDoc[]>();
}

export async function unsignedAgreements(deps: Deps, userUuid: string): Promise<AgreementDoc[]> {
  const required = await requiredAgreements(deps);
  if (!required.length) return [];
  const signed = await deps.models.Link.find(
    {
      tailUuid: userUuid,
      linkClass: 'signature',
      name: 'click',
      headUuid: { $in: required.map((a) => a.uuid) },
    },
    { headUuid: 1 },
  ).lean<LinkDoc[]>();
  const done = new Set(signed.map((l) => l.headUuid));
  return required.filter((a) => !done.has(a.uuid));
}

export async function publishAgreement(
  deps: Deps,
  input: { title: string; text: string; version: string; required: boolean },
) {
  const [doc] = await deps.models.Agreement.create([
    {
      uuid: newUuid(deps.config.clusterId, 'agreement'),
      ...input,
      ownerUuid: deps.wellKnown.systemUser,
      createdAt: new Date(),
    },
  ]);
  return agreementView(doc!.toObject() as AgreementDoc, false);
}

export function agreementView(a: AgreementDoc, signedByMe: boolean) {
  return {
    uuid: a.uuid,
    title: a.title,
    text: a.text,
    version: a.version,
    required: a.required,
    createdAt: a.createdAt.toISOString(),
    signedByMe,
  };
}

export async function listAgreements(deps: Deps, actor: Actor) {
  const all = await deps.models.Agreement.find({}).sort({ createdAt: 1 }).limit(1000).lean<AgreementDoc[]>();
  const signed = await deps.models.Link.find(
    { tailUuid: actor.user.uuid, linkClass: 'signature' },
    { headUuid: 1 },
  ).lean<LinkDoc[]>();
  const mine = new Set(signed.map((l) => l.headUuid));
  return all.map((a) => agreementView(a, mine.has(a.uuid)));
}

export async function signAgreement(deps: Deps, actor: Actor, uuid: string) {
  const a = await deps.models.Agreement.findOne({ uuid }).lean<AgreementDoc>();
  if (!a) throw notFound('agreement');
  await ensureLink(deps, {
    linkClass: 'signature',
    name: 'click',
    tailUuid: actor.user.uuid,
    headUuid: a.uuid,
  });
  return agreementView(a, true);
}

// Newest first; the link uuid breaks ties between signatures of the same millisecond.
const SIGNATURE_LIST: ListSpec = {
  fields: { signedAt: { type: 'date', db: 'createdAt' } },
  tiebreak: 'uuid',
  defaultOrder: [{ field: 'signedAt', dir: 'desc' }],
};

/** Who signed an agreement, a page at a time: the signature links, with the usernames of that page. */
export async function agreementSignatures(deps: Deps, input: z.output<typeof ListSignaturesInput>) {
  if (!(await deps.models.Agreement.exists({ uuid: input.uuid }))) throw notFound('agreement');
  const base = { headUuid: input.uuid, linkClass: 'signature', name: 'click' };
  const plan = planList(SIGNATURE_LIST, { ...input, filters: [], order: [] }, base);
  return runList(deps.models.Link, plan, input, async (links: LinkDoc[]) => {
    const users = await deps.models.User.find(
      { uuid: { $in: links.map((l) => l.tailUuid) } },
      { uuid: 1, username: 1 },
    ).lean<UserDoc[]>();
    const names = new Map(users.map((u) => [u.uuid, u.username ?? null]));
    return links.map((l) => ({
      userUuid: l.tailUuid,
      username: names.get(l.tailUuid) ?? null,
      signedAt: l.createdAt.toISOString(),
    }));
  });
}
