import { randomBytes, randomUUID } from 'node:crypto';
import { UserCreateInput } from '@roster/contracts';
import type { UserDoc } from '../db/models';
import { AppError } from '../lib/errors';
import { uuidType } from '../lib/ids';
import { recordAudit } from '../services/audit';
import { SETUP_TOKEN_LABEL } from '../services/bootstrap';
import type { Actor, Deps } from '../services/deps';
import { setupUser, unsetupUser } from '../services/lifecycle';
import { clearLockout, lockoutStatus } from '../services/lockout';
import { resetPassword as resetUserPassword } from '../services/password-reset';
import { createUser } from '../services/users';

/** A failure the operator can act on: printed as it is, exit code 1. */
export class CliError extends Error {}

/** The system user acting: what the CLI's changes are attributed to in the audit log. */
export async function systemActor(deps: Deps): Promise<Actor> {
  const user = await deps.models.User.findOne({ uuid: deps.wellKnown.systemUser }).lean<UserDoc>();
  if (!user) throw new CliError('the system user is missing');
  return { user, token: null, via: 'internal' };
}

/** A user by uuid, username or email (username and email whatever their case). */
export async function findUserByRef(deps: Deps, ref: string): Promise<UserDoc> {
  const key = ref.toLowerCase();
  const filter =
    uuidType(ref) === 'user' ? { uuid: ref } : ref.includes('@') ? { emailKey: key } : { usernameKey: key };
  const user = await deps.models.User.findOne({ ...filter, redirectToUserUuid: null }).lean<UserDoc>();
  if (!user) throw new CliError(`no user "${ref}" (give a uuid, username or email)`);
  return user;
}

/** 24 characters from 144 random bits, shown once. */
export const generatePassword = () => randomBytes(18).toString('base64url');

async function audit(
  deps: Deps,
  action: string,
  targetUuid: string | null,
  changes: Record<string, unknown> = {},
) {
  await recordAudit(deps, {
    actorUuid: deps.wellKnown.systemUser,
    action: `cli.${action}`,
    targetUuid,
    outcome: 'success',
    changes,
    meta: { ip: null, requestId: `cli-${randomUUID()}` },
  });
}

/** Service rules (password policy, taken names, invariants) as operator messages. */
async function asCliError<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (err) {
    if (err instanceof AppError) throw new CliError(err.field ? `${err.field}: ${err.message}` : err.message);
    throw err;
  }
}

/**
 * Creates an active admin, and retires the one-time setup token printed at first start (it would
 * otherwise still create another admin for its remaining hours).
 */
export async function createAdmin(
  deps: Deps,
  input: { username: string; email: string; password: string; firstName?: string; lastName?: string },
) {
  const parsed = UserCreateInput.safeParse({ ...input, isAdmin: true, isActive: true });
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new CliError(`${issue.path.join('.')}: ${issue.message}`);
  }
  const user = await asCliError(() => createUser(deps, null, parsed.data, { source: 'bootstrap' }));
  await deps.models.Token.deleteMany({ userUuid: deps.wellKnown.systemUser, label: SETUP_TOKEN_LABEL });
  await audit(deps, 'create-admin', user.uuid, { username: user.username, email: user.email });
  return user;
}

/**
 * Sets a new password and ends every session and token of the user. `mustChange` expires it at
 * once, so that the user has to choose their own at the next sign-in.
 */
export async function resetPassword(
  deps: Deps,
  ref: string,
  password: string,
  opts: { mustChange?: boolean; unlock?: boolean } = {},
) {
  const user = await findUserByRef(deps, ref);
  const { revoked, unlocked } = await asCliError(() =>
    resetUserPassword(deps, user, password, { by: deps.wellKnown.systemUser, field: 'password', ...opts }),
  );
  await audit(deps, 'reset-password', user.uuid, { mustChange: !!opts.mustChange, unlock: !!opts.unlock });
  return { user, revoked, unlocked };
}

export async function unlockUser(deps: Deps, ref: string) {
  const user = await findUserByRef(deps, ref);
  const before = await lockoutStatus(deps, user.uuid);
  const cleared = await clearLockout(deps, user.uuid);
  await audit(deps, 'unlock', user.uuid, { cleared });
  return { user, wasLocked: before.locked, cleared };
}

export async function setupAccount(deps: Deps, ref: string) {
  const user = await findUserByRef(deps, ref);
  const result = await asCliError(async () => setupUser(deps, await systemActor(deps), { uuid: user.uuid }));
  await audit(deps, 'setup', user.uuid);
  return result;
}

export async function unsetupAccount(deps: Deps, ref: string) {
  const user = await findUserByRef(deps, ref);
  const view = await asCliError(async () => unsetupUser(deps, await systemActor(deps), user.uuid));
  await audit(deps, 'unsetup', user.uuid);
  return view;
}
