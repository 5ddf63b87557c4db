import type { LoginInput, SignupInput } from '@roster/contracts';
import type { UserDoc } from '../db/models';
import { logFor } from '../http/logging';
import { metrics } from '../http/metrics';
import { AppError } from '../lib/errors';
import type { Actor, Deps, RequestMeta } from './deps';
import { invited } from './lifecycle';
import { lockoutKey, recordFailure, recordSuccess, reserveAttempt } from './lockout';
import { issueToken, toTokenView } from './tokens';
import { viewUser } from './user-view';
import { createUser, revokeAllTokens, setPassword } from './users';

/** The one answer to every failed login, whatever the cause. */
const invalidCredentials = () =>
  new AppError('UNAUTHORIZED', 'INVALID_CREDENTIALS', 'Invalid username or password', { field: 'password' });

/**
 * Who may sign in with a password: active users, and invited users who have yet to activate
 * (Arvados's flow: they sign agreements and activate themselves). Deactivated users may not.
 */
export async function canLogIn(deps: Deps, user: UserDoc): Promise<boolean> {
  if (user.redirectToUserUuid) return false;
  return user.isActive || invited(deps, user);
}

async function findByLogin(deps: Deps, login: string): Promise<UserDoc | null> {
  const k = login.toLowerCase();
  const field = k.includes('@') ? 'emailKey' : 'usernameKey';
  // The driver's own findOne: a plain lookup by a unique key needs no mongoose query to build.
  return (await deps.models.User.collection.findOne({ [field]: k })) as UserDoc | null;
}

/**
 * Checks a username or email and a password. Unknown users pay for a verify against a dummy
 * hash, so that failures look alike in body and in time (DESIGN.md, "Authentication").
 */
export async function verifyCredentials(
  deps: Deps,
  input: LoginInput,
  opts: { allowExpired?: boolean; meta?: RequestMeta } = {},
): Promise<UserDoc> {
  const { user, released } = await checkCredentials(deps, input, opts);
  await released;
  return user;
}

/**
 * verifyCredentials, except that the release of the lockout reservation may still be under way:
 * `released` settles when it is done. A login waits for it beside its token insert (two
 * single-document writes that do not depend on each other) rather than before it.
 */
async function checkCredentials(
  deps: Deps,
  input: LoginInput,
  opts: { allowExpired?: boolean; meta?: RequestMeta },
): Promise<{ user: UserDoc; released: Promise<void> }> {
  let user = await findByLogin(deps, input.login);
  if (user?.redirectToUserUuid)
    user = await deps.models.User.findOne({ uuid: user.redirectToUserUuid }).lean<UserDoc>();
  // Unknown logins are counted too, under their name, so that lockout reveals nothing either.
  const key = lockoutKey(user, input.login);
  const attempt = await reserveAttempt(deps, key);
  const ok =
    attempt && user?.passwordHash
      ? await deps.hasher.verify(user.passwordHash, input.password)
      : await deps.hasher.verifyDummy(input.password);
  if (!attempt) {
    logFor(deps.logger, opts.meta).warn(
      { key: key.startsWith('u:') ? key : 'l:<unknown login>' },
      'login refused: locked out',
    );
    metrics.login('locked');
    throw invalidCredentials();
  }
  if (!user || !ok || !(await canLogIn(deps, user))) {
    await recordFailure(deps, attempt);
    metrics.login('failure');
    throw invalidCredentials();
  }
  const released = recordSuccess(deps, key);
  // Awaited by the caller (or below); this only keeps a failure from going unhandled meanwhile.
  released.catch(() => {});
  metrics.login('success');
  if (!opts.allowExpired && user.passwordExpiresAt && user.passwordExpiresAt.getTime() <= Date.now()) {
    await released;
    // Told only to someone who knows the password, so it reveals nothing to a guesser.
    throw new AppError(
      'UNAUTHORIZED',
      'PASSWORD_EXPIRED',
      'Your password has expired; change it to sign in',
      {
        field: 'password',
      },
    );
  }
  if (deps.hasher.needsRehash(user.passwordHash!)) {
    const passwordHash = await deps.hasher.hash(input.password);
    await deps.models.User.updateOne({ uuid: user.uuid }, { $set: { passwordHash } });
  }
  return { user, released };
}

export async function login(deps: Deps, input: LoginInput, meta: RequestMeta) {
  const { user, released } = await checkCredentials(deps, input, { meta });
  const expiresAt = new Date(Date.now() + deps.config.sessionLifetimeMs);
  const now = new Date();
  const [{ token, secret }] = await Promise.all([
    issueToken(deps, user.uuid, { kind: 'session', label: 'login', expiresAt, meta }),
    deps.models.User.collection.updateOne({ uuid: user.uuid }, { $set: { lastLoginAt: now } }),
    released,
  ]);
  const updated = { ...user, lastLoginAt: now };
  // The session is likely used at once: its first request need not read it back.
  deps.authCache.set(token.secretHash, { token, user: updated });
  const actor: Actor = { user: updated, token, via: 'bearer' };
  return {
    user: await viewUser(deps, actor, updated),
    token: secret,
    session: toTokenView(token, actor),
    expiresAt: expiresAt.toISOString(),
  };
}

export async function signup(deps: Deps, input: SignupInput) {
  if (!deps.config.signupEnabled) {
    throw new AppError(
      'FORBIDDEN',
      'SIGNUP_DISABLED',
      'Self-registration is turned off; ask an administrator for an account',
    );
  }
  return createUser(deps, null, { ...input, isAdmin: false, prefs: {} }, { source: 'signup' });
}

/** Ends this session, or every session and token of the user. */
export async function logout(deps: Deps, actor: Actor, everywhere: boolean): Promise<number> {
  if (everywhere) return revokeAllTokens(deps, actor.user.uuid);
  if (!actor.token) return 0;
  const res = await deps.models.Token.deleteOne({ uuid: actor.token.uuid });
  deps.authCache.evictToken(actor.token.secretHash);
  return res.deletedCount;
}

/** Changes an expired (or current) password with the old one, without a session: Dioptra's flow. */
export async function changeExpiredPassword(
  deps: Deps,
  input: { login: string; oldPassword: string; newPassword: string },
  meta?: RequestMeta,
) {
  const user = await verifyCredentials(
    deps,
    { login: input.login, password: input.oldPassword },
    { allowExpired: true, meta },
  );
  const updated = await setPassword(deps, user, input.newPassword, { by: user.uuid, field: 'newPassword' });
  await revokeAllTokens(deps, user.uuid);
  return viewUser(deps, { user: updated, token: null, via: 'internal' }, updated);
}
