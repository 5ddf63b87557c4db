import type { Deps } from './deps';

/** The next positive integer id for a collection, allocated atomically with `$inc`. */
export async function nextId(deps: Deps, name: 'users' | 'groups'): Promise<number> {
  for (let attempt = 0; ; attempt++) {
    try {
      const doc = await deps.models.Counter.findOneAndUpdate(
        { _id: name },
        { $inc: { seq: 1 } },
        { upsert: true, new: true, lean: true },
      );
      return doc!.seq as number;
    } catch (err) {
      // Two first-ever upserts can race on _id; the loser simply tries again.
      if ((err as { code?: number }).code === 11000 && attempt < 3) continue;
      throw err;
    }
  }
}
