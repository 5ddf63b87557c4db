import type { UserDoc } from '../db/models';
import { invariant } from '../lib/errors';
import type { Deps } from './deps';
import { clearLockout } from './lockout';
import { revokeAllTokens, setPassword } from './users';

/**
 * An administrator's password reset, from the API or the CLI: a new password, every session and
 * token of the user ended, optionally expired at once (the user must choose their own at the next
 * sign-in) and the lockout cleared. `keepToken` spares the session making the request (an admin
 * resetting their own password stays signed in). Built-in accounts never get a password: nobody signs in as them.
 */
export async function resetPassword(
  deps: Deps,
  user: UserDoc,
  newPassword: string,
  opts: { by: string; mustChange?: boolean; unlock?: boolean; field?: string; keepToken?: string },
) {
  const { systemUser, anonymousUser } = deps.wellKnown;
  if (user.uuid === systemUser || user.uuid === anonymousUser) {
    throw invariant('built-in accounts have no password', 'uuid');
  }
  let updated = await setPassword(deps, user, newPassword, {
    by: opts.by,
    field: opts.field ?? 'newPassword',
  });
  if (opts.mustChange) {
    updated = (await deps.models.User.findOneAndUpdate(
      { uuid: user.uuid },
      { $set: { passwordExpiresAt: new Date() } },
      { new: true },
    ).lean<UserDoc>())!;
  }
  const revoked = await revokeAllTokens(deps, user.uuid, { except: opts.keepToken });
  const unlocked = opts.unlock ? await clearLockout(deps, user.uuid) : false;
  return { user: updated, revoked, unlocked };
}
