import type { SignupInput } from '@roster/contracts';
import { ipKeyGenerator } from 'express-rate-limit';
import { MongoRateLimitStore } from '../http/rate-limit';
import { AppError } from '../lib/errors';
import * as auth from './auth';
import type { Deps, RequestMeta } from './deps';

const CONFLICTS: ReadonlySet<string> = new Set(['USERNAME_TAKEN', 'EMAIL_TAKEN', 'IDENTITY_URL_TAKEN']);
const HOUR = 3_600_000;

/**
 * Self-registration with a budget of "taken" answers per client address and hour.
 *
 * A signup must say when a username or email is taken (the person has to pick another), and that
 * answer tells anyone whether an account exists. Without an out-of-band channel (a mail to the
 * address's owner) it cannot be hidden, only rationed: each address may be told "taken" a few
 * times an hour (ROSTER_SIGNUP_CONFLICTS_PER_HOUR), which a person choosing a name never
 * notices and which turns a scan of a million names into years. The slot is reserved before the
 * attempt and given back when the name was free, so parallel probes cannot overrun the budget.
 */
export async function signupWithConflictBudget(deps: Deps, input: SignupInput, meta: RequestMeta) {
  const budget = deps.config.signupConflictsPerHour;
  if (budget === 0 || !meta.ip) return auth.signup(deps, input);
  const store = new MongoRateLimitStore(deps, 'signup-taken');
  store.windowMs = HOUR;
  // IPv6 clients are counted by /56, as the other rate limits count them: a /64 is one client.
  const { counted, giveBack } = await store.take(ipKeyGenerator(meta.ip, 56));
  if (counted.totalHits > budget) {
    await giveBack();
    throw new AppError(
      'TOO_MANY_REQUESTS',
      'RATE_LIMITED',
      'Too many sign-ups with names or emails already in use from this address; try again in an hour',
    );
  }
  let conflict = false;
  try {
    return await auth.signup(deps, input);
  } catch (err) {
    conflict = err instanceof AppError && CONFLICTS.has(err.appCode);
    throw err;
  } finally {
    if (!conflict) await giveBack().catch(() => {});
  }
}
