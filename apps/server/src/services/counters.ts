import type { Deps } from './deps';

/** Consecutive ids from `first` to `last`, both included. */
export interface IdRange {
  first: number;
  last: number;
}

/**
 * A block of `count` consecutive ids for a collection, allocated atomically with one `$inc`:
 * a bulk insert pays one round trip for its ids instead of one per document.
 */
export async function nextIds(deps: Deps, name: 'users' | 'groups', count: number): Promise<IdRange> {
  if (!Number.isInteger(count) || count < 1) throw new RangeError(`cannot allocate ${count} ids`);
  for (let attempt = 0; ; attempt++) {
    try {
      const doc = await deps.models.Counter.findOneAndUpdate(
        { _id: name },
        { $inc: { seq: count } },
        { upsert: true, new: true, lean: true },
      );
      const last = doc!.seq as number;
      return { first: last - count + 1, last };
    } catch (err) {
      // Two first-ever upserts can race on _id; the loser simply tries again.
      if ((err as { code?: number }).code === 11000 && attempt < 3) continue;
      throw err;
    }
  }
}

/** The next positive integer id for a collection, allocated atomically with `$inc`. */
export async function nextId(deps: Deps, name: 'users' | 'groups'): Promise<number> {
  return (await nextIds(deps, name, 1)).first;
}
