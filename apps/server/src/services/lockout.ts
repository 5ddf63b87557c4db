import type { mongo } from 'mongoose';
import { metrics } from '../http/metrics';
import type { Deps } from './deps';

interface LockoutDoc {
  _id: string;
  attempts: number;
  level: number;
  lockedUntil: Date | null;
  lastFailureAt: Date | null;
}

export const lockoutKey = (user: { uuid: string } | null, login: string) =>
  user ? `u:${user.uuid}` : `l:${login.toLowerCase()}`;

/**
 * Takes one login attempt from the key's allowance, atomically, before the password is checked:
 * of many parallel attempts no more than the threshold get through, however they interleave.
 * Returns the attempt's record, or null when the key is locked.
 */
export async function reserveAttempt(deps: Deps, key: string): Promise<LockoutDoc | null> {
  const { threshold } = deps.config.lockout;
  if (threshold === 0) return { _id: key, attempts: 0, level: 0, lockedUntil: null, lastFailureAt: null };
  for (let wait = 0; ; wait++) {
    const now = new Date();
    try {
      // With the driver: on the login path, mongoose's casting and query building cost more CPU
      // than the round trip. The defaults mongoose would add on insert are spelled out.
      const lockouts = deps.models.Lockout.collection as unknown as mongo.Collection<LockoutDoc>;
      return await lockouts.findOneAndUpdate(
        {
          _id: key,
          attempts: { $lt: threshold },
          $or: [{ lockedUntil: null }, { lockedUntil: { $lte: now } }],
        },
        { $inc: { attempts: 1 }, $setOnInsert: { level: 0, lockedUntil: null, lastFailureAt: null } },
        { upsert: true, returnDocument: 'after', includeResultMetadata: false },
      );
    } catch (err) {
      // The record exists but did not match: locked, or every attempt of the window is in flight.
      if ((err as { code?: number }).code !== 11000) throw err;
    }
    const doc = await deps.models.Lockout.findOne({ _id: key }).lean<LockoutDoc>();
    const locked = !!doc?.lockedUntil && doc.lockedUntil.getTime() > Date.now();
    // Attempts still in flight free their slot when they finish (a success resets the count):
    // wait a little for them rather than refuse the owner's parallel logins outright.
    if (locked || wait >= 20) return null;
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** A failed attempt: the last allowed one locks the key for base × 2^level, up to the maximum. */
export async function recordFailure(deps: Deps, attempt: LockoutDoc): Promise<void> {
  const { threshold, baseMs, maxMs } = deps.config.lockout;
  if (threshold === 0) return;
  const now = new Date();
  if (attempt.attempts >= threshold) {
    metrics.lockout();
    const wait = Math.min(maxMs, baseMs * 2 ** attempt.level);
    await deps.models.Lockout.updateOne(
      { _id: attempt._id },
      {
        $set: { attempts: 0, lockedUntil: new Date(now.getTime() + wait), lastFailureAt: now },
        $inc: { level: 1 },
      },
    );
  } else {
    await deps.models.Lockout.updateOne({ _id: attempt._id }, { $set: { lastFailureAt: now } });
  }
}

export async function recordSuccess(deps: Deps, key: string): Promise<void> {
  if (deps.config.lockout.threshold === 0) return;
  await (deps.models.Lockout.collection as unknown as mongo.Collection<LockoutDoc>).deleteOne({ _id: key });
}

export async function lockoutStatus(deps: Deps, userUuid: string) {
  const doc = await deps.models.Lockout.findOne({ _id: `u:${userUuid}` }).lean<LockoutDoc>();
  const locked = !!doc?.lockedUntil && doc.lockedUntil.getTime() > Date.now();
  return {
    locked,
    lockedUntil: locked ? doc!.lockedUntil!.toISOString() : null,
    failedAttempts: doc?.attempts ?? 0,
    lockouts: doc?.level ?? 0,
  };
}

export async function clearLockout(deps: Deps, userUuid: string): Promise<boolean> {
  const res = await deps.models.Lockout.deleteOne({ _id: `u:${userUuid}` });
  return res.deletedCount === 1;
}

/** Forgets lockout records idle for a day and expired rate-limit windows (no TTL indexes, see DESIGN.md). */
export async function sweepCounters(deps: Deps): Promise<void> {
  const now = Date.now();
  await deps.models.Lockout.deleteMany({
    lastFailureAt: { $lt: new Date(now - 86_400_000) },
    lockedUntil: { $lt: new Date(now) },
  });
  await deps.models.RateCounter.deleteMany({ resetAt: { $lt: new Date(now) } });
}
