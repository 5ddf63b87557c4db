import {
  ADMIN_ONLY_USER_FIELDS,
  type ListUsersInput,
  type UserCreateInput,
  type UserList,
  type UserUpdateInput,
  type UserView,
} from '@roster/contracts';
import type { z } from 'zod';
import type { UserDoc } from '../db/models';
import {
  AppError,
  duplicateKeyConflict,
  duplicateKeyIndex,
  type FailedWrite,
  forbidden,
  invariant,
  mapDuplicateKey,
  notFound,
  writeErrorsOf,
} from '../lib/errors';
import { newEtag, newUuid } from '../lib/ids';
import { type ListSpec, planList } from '../lib/list-query';
import { type IdRange, nextId, nextIds } from './counters';
import type { Actor, Deps } from './deps';
import { setupLinks } from './links';
import { runList } from './listing';
import { lockoutKey, recordFailure, recordSuccess, reserveAttempt } from './lockout';
import { PUBLIC_USER_FIELDS, viewUser, viewUsers } from './user-view';

const USERNAME_BLOCKLIST = new Set(['arvados', 'git', 'gitolite', 'gitolite-admin', 'root', 'syslog']);

/** Arvados's default username: the email's local part before "+", letters and digits only. */
export function usernameBaseFromEmail(email: string | null | undefined): string | null {
  if (!email) return null;
  const at = email.indexOf('@');
  if (at <= 0 || at === email.length - 1) return null;
  const local = email.slice(0, at);
  const beforePlus = local.split('+')[0] || local;
  return cleanUsername(beforePlus);
}

export function cleanUsername(raw: string): string | null {
  const cleaned = raw.replace(/^[^A-Za-z]+/, '').replace(/[^A-Za-z0-9]/g, '');
  return cleaned ? cleaned.slice(0, 64) : null;
}

/** The smallest free `base`, `base2`, `base3`, … (merged users still count as taken). */
async function usableUsername(deps: Deps, base: string): Promise<string | null> {
  const lower = base.toLowerCase();
  const taken = new Set(
    (
      await deps.models.User.find({ usernameKey: { $regex: `^${lower}[0-9]*$` } }, { usernameKey: 1 }).lean()
    ).map((u) => u.usernameKey),
  );
  if (!USERNAME_BLOCKLIST.has(lower) && !taken.has(lower)) return base;
  for (let n = 2; n < 1_000_000; n++) if (!taken.has(`${lower}${n}`)) return `${base}${n}`;
  return null;
}

function checkPasswordPolicy(deps: Deps, password: string, field = 'password'): void {
  const { minLength, maxLength } = deps.config.password;
  if (password.length < minLength || password.length > maxLength) {
    throw new AppError(
      'BAD_REQUEST',
      'PASSWORD_POLICY',
      `must be ${minLength} to ${maxLength} characters long`,
      { field },
    );
  }
}

export function passwordExpiry(deps: Deps, from: Date): Date | null {
  const days = deps.config.password.lifetimeDays;
  return days > 0 ? new Date(from.getTime() + days * 86_400_000) : null;
}

export async function hashNewPassword(deps: Deps, password: string, field = 'password') {
  checkPasswordPolicy(deps, password, field);
  const now = new Date();
  return {
    passwordHash: await deps.hasher.hash(password),
    passwordChangedAt: now,
    passwordExpiresAt: passwordExpiry(deps, now),
  };
}

const key = (v: string | null | undefined) => (v ? v.toLowerCase() : undefined);

export interface CreateOptions {
  /** `signup` and `bootstrap` have no actor; `admin` is an admin creating a user. */
  source: 'signup' | 'admin' | 'bootstrap';
  passwordHash?: string;
  /** An imported account's own times, kept instead of "now" (a moved account keeps its history). */
  history?: Partial<
    Record<'createdAt' | 'lastLoginAt' | 'passwordChangedAt' | 'passwordExpiresAt', Date | null>
  >;
}

/** The username fields of a user document: the name and its lowercased key for uniqueness. */
const usernameFields = (username: string | null) => ({ username, usernameKey: key(username) });

/** A new user's document as it is stored, but for its id, which is allocated when it is inserted. */
function newUserDocument(
  deps: Deps,
  actor: Actor | null,
  input: UserCreateInput,
  opts: CreateOptions,
  fields: {
    now: Date;
    username: string | null;
    password: Awaited<ReturnType<typeof hashNewPassword>> | undefined;
  },
) {
  const { now, password } = fields;
  return {
    uuid: newUuid(deps.config.clusterId, 'user'),
    ...usernameFields(fields.username),
    email: input.email,
    emailKey: key(input.email),
    firstName: input.firstName ?? null,
    lastName: input.lastName ?? null,
    identityUrl: input.identityUrl ?? null,
    identityUrlKey: key(input.identityUrl),
    isAdmin: input.isAdmin,
    isActive: input.isAdmin || (input.isActive ?? deps.config.autoSetupNewUsers),
    prefs: input.prefs,
    passwordHash: opts.passwordHash ?? password?.passwordHash ?? null,
    passwordChangedAt: password?.passwordChangedAt ?? (opts.passwordHash ? now : null),
    passwordExpiresAt: password?.passwordExpiresAt ?? (opts.passwordHash ? passwordExpiry(deps, now) : null),
    ownerUuid: deps.wellKnown.systemUser,
    modifiedByUserUuid: actor?.user.uuid ?? null,
    createdAt: now,
    modifiedAt: now,
    etag: newEtag(),
    ...opts.history,
  };
}

/** A user checked, normalized and hashed, ready to insert (see createUser). */
export interface PreparedUser {
  doc: ReturnType<typeof newUserDocument>;
  /** No username was given: one clashing at insert is replaced by the next free one instead of refused. */
  derivedUsername: boolean;
}

/**
 * Everything createUser does before the write: the password policy and hash, the default
 * username, the normalized keys. Throws the AppError of a rule the input breaks.
 */
export async function prepareUser(
  deps: Deps,
  actor: Actor | null,
  input: UserCreateInput,
  opts: CreateOptions,
): Promise<PreparedUser> {
  const now = new Date();
  const password = input.password ? await hashNewPassword(deps, input.password) : undefined;
  const explicitUsername = input.username ?? null;
  const username =
    explicitUsername ?? (await usableUsername(deps, usernameBaseFromEmail(input.email) ?? 'user'));
  return {
    doc: newUserDocument(deps, actor, input, opts, { now, username, password }),
    derivedUsername: explicitUsername === null,
  };
}

/** Whether a failed insert lost a derived username to another user, so that the next free one may be taken. */
function lostDerivedUsername(prepared: PreparedUser, err: unknown): boolean {
  return prepared.derivedUsername && !!prepared.doc.username && duplicateKeyIndex(err) === 'usernameKey';
}

/** The same document with the next free username after the one it lost. */
async function withNextUsername(deps: Deps, prepared: PreparedUser): Promise<PreparedUser> {
  const base = prepared.doc.username?.replace(/\d+$/, '') || 'user';
  return { ...prepared, doc: { ...prepared.doc, ...usernameFields(await usableUsername(deps, base)) } };
}

/** Inserts one prepared user with the next id. A taken username or email is a CONFLICT naming the field. */
export async function insertUser(deps: Deps, prepared: PreparedUser): Promise<UserDoc> {
  let current = prepared;
  for (let attempt = 0; ; attempt++) {
    try {
      const [created] = await deps.models.User.create([{ ...current.doc, id: await nextId(deps, 'users') }]);
      return created!.toObject() as UserDoc;
    } catch (err) {
      // A derived username lost a race to another insert: take the next free one.
      if (lostDerivedUsername(current, err) && attempt < 5) {
        current = await withNextUsername(deps, current);
        continue;
      }
      mapDuplicateKey(err);
    }
  }
}

/**
 * Inserts many prepared users with one block of ids and one unordered insertMany (a bulk import).
 * Each gets what insertUser would give: its document, or the CONFLICT of a taken username or
 * email; a derived username that clashed is inserted again alone, as insertUser retries it. Any
 * error other than a duplicate key is thrown.
 */
export async function insertUsers(
  deps: Deps,
  prepared: readonly PreparedUser[],
  /** Where the block of ids comes from: a caller writing several batches at once may order them. */
  allocateIds: (count: number) => Promise<IdRange> = (count) => nextIds(deps, 'users', count),
): Promise<(UserDoc | AppError)[]> {
  if (!prepared.length) return [];
  const { User } = deps.models;
  // Documents built by the model, as create() builds them: the same defaults and casts. Built
  // before the ids are asked for, so that this work overlaps another batch's write.
  const docs = prepared.map((p) => new User(p.doc));
  const { first } = await allocateIds(docs.length);
  for (const [i, doc] of docs.entries()) doc.set('id', first + i);
  const failed = new Map<number, FailedWrite>();
  try {
    await User.insertMany(docs, { ordered: false, throwOnValidationError: true });
  } catch (err) {
    const writeErrors = writeErrorsOf(err);
    if (!writeErrors?.length || writeErrors.some((w) => w.code !== 11000)) throw err;
    for (const w of writeErrors) failed.set(w.index, w);
  }
  const results: (UserDoc | AppError)[] = [];
  for (const [i, p] of prepared.entries()) {
    const error = failed.get(i);
    if (!error) results.push(docs[i]!.toObject() as UserDoc);
    else if (!lostDerivedUsername(p, error)) results.push(duplicateKeyConflict(error)!);
    // One at a time, as createUser would: concurrent retries would all pick the same next free name.
    else results.push(await insertUser(deps, await withNextUsername(deps, p)).catch(appErrorOrThrow));
  }
  return results;
}

const appErrorOrThrow = (err: unknown): AppError => {
  if (err instanceof AppError) return err;
  throw err;
};

/**
 * Creates a user. Uniqueness of username and email (whatever their case) is enforced by
 * unique indexes, so of many concurrent requests for one name exactly one wins.
 */
export async function createUser(
  deps: Deps,
  actor: Actor | null,
  input: UserCreateInput,
  opts: CreateOptions,
): Promise<UserDoc> {
  const user = await insertUser(deps, await prepareUser(deps, actor, input, opts));
  if (deps.config.autoSetupNewUsers || user.isActive) await setupLinks(deps, user.uuid, { readBack: false });
  return user;
}

/** Hidden from every query: users merged into another one. */
const VISIBLE = { redirectToUserUuid: null };

export async function findUser(deps: Deps, uuid: string): Promise<UserDoc | null> {
  // By uuid alone, then checked here: a filter with any other field is a full scan on the
  // embedded server, which serves lookups only from unique indexes. The driver's own findOne,
  // as for logins: a lookup by one string key needs no mongoose query to build and cast.
  const user = (await deps.models.User.collection.findOne({ uuid })) as UserDoc | null;
  return user && !user.redirectToUserUuid ? user : null;
}

/** A user the actor may read, or NOT_FOUND (existence of an invisible user is private). */
export async function readableUser(deps: Deps, actor: Actor, uuid: string): Promise<UserDoc> {
  const user = await findUser(deps, uuid);
  if (!user) throw notFound('user');
  const mayRead = actor.user.isAdmin || actor.user.uuid === uuid || (actor.user.isActive && user.isActive);
  if (!mayRead) throw notFound('user');
  return user;
}

export async function getUser(deps: Deps, actor: Actor, uuid: string): Promise<UserView> {
  return viewUser(deps, actor, await readableUser(deps, actor, uuid));
}

export const USER_LIST: ListSpec = {
  fields: {
    uuid: { type: 'uuid', unique: true },
    id: { type: 'number', unique: true },
    username: { type: 'string', key: 'usernameKey' },
    email: { type: 'string', key: 'emailKey' },
    firstName: { type: 'string' },
    lastName: { type: 'string' },
    isAdmin: { type: 'boolean' },
    isActive: { type: 'boolean' },
    createdAt: { type: 'date' },
    modifiedAt: { type: 'date' },
    lastLoginAt: { type: 'date' },
  },
  tiebreak: 'id',
  defaultOrder: [{ field: 'id', dir: 'asc' }],
};

export async function listUsers(
  deps: Deps,
  actor: Actor,
  input: z.output<typeof ListUsersInput>,
): Promise<UserList> {
  const admin = actor.user.isAdmin;
  if (!admin) {
    // Non-admins see active users and only their public fields; filtering on a private field would leak it.
    const privateFilter = input.filters.find(([f]) => !(PUBLIC_USER_FIELDS as readonly string[]).includes(f));
    if (privateFilter) {
      throw new AppError('FORBIDDEN', 'FORBIDDEN', `only admins may filter on ${privateFilter[0]}`, {
        field: 'filters',
      });
    }
  }
  const base = admin ? { ...VISIBLE } : { ...VISIBLE, isActive: true };
  const select = admin
    ? input.select
    : input.select?.filter((f) => (PUBLIC_USER_FIELDS as readonly string[]).includes(f));
  return runList(
    deps.models.User,
    planList(USER_LIST, input, base),
    { count: input.count, select },
    (docs: UserDoc[]) => viewUsers(deps, actor, docs),
  );
}

/** Invariants that keep the directory administrable (DESIGN.md, "Identifiers"; issue on lifecycle). */
export async function assertAdminInvariants(
  deps: Deps,
  user: UserDoc,
  next: { isAdmin: boolean; isActive: boolean } | 'delete',
) {
  const { systemUser, anonymousUser } = deps.wellKnown;
  const losesAdmin = next === 'delete' || (user.isAdmin && (!next.isAdmin || !next.isActive));
  if (user.uuid === systemUser && losesAdmin) throw invariant('the system user must stay an active admin');
  if (next === 'delete' && user.uuid === anonymousUser)
    throw invariant('the anonymous user cannot be deleted');
  if (next !== 'delete' && next.isAdmin && !next.isActive)
    throw invariant('an admin must be active', 'isActive');
  if (user.isAdmin && user.isActive && losesAdmin) {
    const others = await deps.models.User.countDocuments({
      isAdmin: true,
      isActive: true,
      uuid: { $nin: [user.uuid, systemUser] },
      ...VISIBLE,
    });
    if (others === 0) throw invariant('the last active admin cannot be demoted, deactivated or deleted');
  }
}

export async function updateUser(deps: Deps, actor: Actor, input: UserUpdateInput): Promise<UserView> {
  const user = await readableUser(deps, actor, input.uuid);
  const admin = actor.user.isAdmin;
  if (!admin && actor.user.uuid !== user.uuid) throw forbidden('you may only update your own account');
  const patch = input.patch;
  if (!admin) {
    const denied = ADMIN_ONLY_USER_FIELDS.find((f) => patch[f] !== undefined);
    if (denied)
      throw new AppError('FORBIDDEN', 'FORBIDDEN', `only admins may change ${denied}`, { field: denied });
  }
  const next = { isAdmin: patch.isAdmin ?? user.isAdmin, isActive: patch.isActive ?? user.isActive };
  // Making someone an admin makes them active too (an admin is always active).
  if (patch.isAdmin === true && patch.isActive === undefined) next.isActive = true;
  await assertAdminInvariants(deps, user, next);

  const set: Record<string, unknown> = {
    modifiedAt: new Date(),
    modifiedByUserUuid: actor.user.uuid,
    etag: newEtag(),
    isAdmin: next.isAdmin,
    isActive: next.isActive,
  };
  const unset: Record<string, 1> = {};
  for (const f of ['firstName', 'lastName', 'prefs', 'passwordExpiresAt'] as const) {
    if (patch[f] !== undefined)
      set[f] = f === 'passwordExpiresAt' && patch[f] ? new Date(patch[f]) : patch[f];
  }
  if (patch.username !== undefined)
    Object.assign(set, { username: patch.username, usernameKey: key(patch.username) });
  if (patch.email !== undefined) Object.assign(set, { email: patch.email, emailKey: key(patch.email) });
  if (patch.identityUrl !== undefined) {
    set.identityUrl = patch.identityUrl;
    if (patch.identityUrl) set.identityUrlKey = key(patch.identityUrl);
    else unset.identityUrlKey = 1;
  }
  const filter = { uuid: user.uuid, ...VISIBLE, ...(input.ifMatch ? { etag: input.ifMatch } : {}) };
  let updated: UserDoc | null;
  try {
    updated = await deps.models.User.findOneAndUpdate(
      filter,
      { $set: set, ...(Object.keys(unset).length ? { $unset: unset } : {}) },
      { new: true },
    ).lean<UserDoc>();
  } catch (err) {
    mapDuplicateKey(err);
  }
  if (!updated) {
    if (input.ifMatch)
      throw new AppError('CONFLICT', 'CONFLICT', 'the user changed since you read it; reload and retry', {
        field: 'ifMatch',
      });
    throw notFound('user');
  }
  deps.authCache.evictUser(user.uuid);
  if (user.isActive && !updated.isActive) {
    // Deactivation also withdraws the invitation, so the user can neither sign in nor reactivate themself.
    await deps.models.Link.deleteOne({
      tailUuid: user.uuid,
      headUuid: deps.wellKnown.allUsersGroup,
      linkClass: 'permission',
    });
    deps.authCache.membershipsChanged();
    await revokeAllTokens(deps, user.uuid);
  }
  if (!user.isActive && updated.isActive) await setupLinks(deps, user.uuid, { readBack: false });
  return viewUser(deps, actor, updated);
}

export async function revokeAllTokens(
  deps: Deps,
  userUuid: string,
  opts: { except?: string | undefined; kind?: 'api' | 'session' | undefined } = {},
): Promise<number> {
  const filter = {
    userUuid,
    ...(opts.except ? { uuid: { $ne: opts.except } } : {}),
    ...(opts.kind ? { kind: opts.kind } : {}),
  };
  const res = await deps.models.Token.deleteMany(filter);
  deps.authCache.evictUser(userUuid);
  return res.deletedCount;
}

export async function deleteUser(deps: Deps, actor: Actor, uuid: string): Promise<UserView> {
  const user = await readableUser(deps, actor, uuid);
  await assertAdminInvariants(deps, user, 'delete');
  if (await deps.models.Group.exists({ ownerUuid: user.uuid })) {
    throw invariant('this user owns groups; reassign them to another owner first');
  }
  const view = await viewUser(deps, actor, user);
  await deps.models.User.deleteOne({ uuid: user.uuid });
  // Dependent records go after the user: a crash in between leaves only unreachable rows.
  await Promise.all([
    revokeAllTokens(deps, user.uuid),
    deps.models.Link.deleteMany({ $or: [{ tailUuid: user.uuid }, { headUuid: user.uuid }] }),
  ]);
  deps.authCache.membershipsChanged();
  return view;
}

/**
 * The signed-in user's password, asked again before a change that matters. It goes through the
 * account's lockout like a login: a stolen session cannot guess the password without limit.
 */
async function confirmOwnPassword(
  deps: Deps,
  actor: Actor,
  password: string,
  field: string,
): Promise<UserDoc> {
  const user = await deps.models.User.findOne({ uuid: actor.user.uuid }).lean<UserDoc>();
  if (!user) throw notFound('user');
  const key = lockoutKey(user, '');
  const attempt = await reserveAttempt(deps, key);
  const ok =
    attempt && user.passwordHash
      ? await deps.hasher.verify(user.passwordHash, password)
      : await deps.hasher.verifyDummy(password);
  if (!attempt || !ok) {
    if (attempt) await recordFailure(deps, attempt);
    throw new AppError('UNAUTHORIZED', 'INVALID_CREDENTIALS', 'the current password is not correct', {
      field,
    });
  }
  await recordSuccess(deps, key);
  return user;
}

/**
 * A user deletes their own account, proving it with the password (a stolen session alone cannot).
 * The same invariants as an admin's deletion hold: the last active admin and the owner of groups
 * cannot go.
 */
export async function deleteSelf(deps: Deps, actor: Actor, password: string): Promise<UserView> {
  const user = await confirmOwnPassword(deps, actor, password, 'password');
  return deleteUser(deps, actor, user.uuid);
}

export async function changePassword(
  deps: Deps,
  actor: Actor,
  oldPassword: string,
  newPassword: string,
): Promise<UserView> {
  const user = await confirmOwnPassword(deps, actor, oldPassword, 'oldPassword');
  const updated = await setPassword(deps, user, newPassword, { by: actor.user.uuid, field: 'newPassword' });
  // Every other session and token ends; the one making the change stays.
  await revokeAllTokens(deps, user.uuid, { except: actor.token?.uuid });
  return viewUser(deps, actor, updated);
}

export async function setPassword(
  deps: Deps,
  user: UserDoc,
  newPassword: string,
  opts: { by: string; field?: string },
): Promise<UserDoc> {
  const fields = await hashNewPassword(deps, newPassword, opts.field);
  const updated = await deps.models.User.findOneAndUpdate(
    { uuid: user.uuid },
    { $set: { ...fields, modifiedAt: new Date(), modifiedByUserUuid: opts.by, etag: newEtag() } },
    { new: true },
  ).lean<UserDoc>();
  if (!updated) throw notFound('user');
  deps.authCache.evictUser(user.uuid);
  return updated;
}
