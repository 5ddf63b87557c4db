import { LRUCache } from 'lru-cache';
import type { TokenDoc, UserDoc } from '../db/models';

interface Entry {
  token: TokenDoc;
  user: UserDoc;
}

/** A group's uuid and its Dioptra id. */
export interface GroupRef {
  uuid: string;
  id: number;
}

/**
 * What an authenticated read needs, for a few seconds, so that it does not cost a database round
 * trip: token → (token, user), user → ids of the groups it is a direct member of, and the list
 * of groups. A change made in this process evicts at once; one made in another process takes
 * effect here within `ttlMs` (DESIGN.md, "Scale"). With `ttlMs` 0 nothing is kept.
 */
export class AuthCache {
  private readonly cache: LRUCache<string, Entry> | undefined;
  private readonly memberships: LRUCache<string, readonly number[]> | undefined;
  private groupList: { value: readonly GroupRef[]; readAt: number } | undefined;
  /**
   * Bumped by every membership or group change: a lookup that started before one must not store
   * what it read, which may predate the change.
   */
  private generation = 0;

  constructor(
    private readonly ttlMs: number,
    max = 50_000,
  ) {
    this.cache =
      ttlMs > 0 ? new LRUCache<string, Entry>({ max, ttl: ttlMs, ttlAutopurge: false }) : undefined;
    this.memberships =
      ttlMs > 0
        ? new LRUCache<string, readonly number[]>({ max, ttl: ttlMs, ttlAutopurge: false })
        : undefined;
  }

  get(secretHash: string): Entry | undefined {
    return this.cache?.get(secretHash);
  }

  set(secretHash: string, entry: Entry): void {
    this.cache?.set(secretHash, entry);
  }

  evictToken(secretHash: string): void {
    this.cache?.delete(secretHash);
  }

  /** After any change to a user (update, deactivation, password change): drop their entries. */
  evictUser(userUuid: string): void {
    this.memberships?.delete(userUuid);
    if (!this.cache) return;
    for (const [key, entry] of this.cache.entries()) {
      if (entry.user.uuid === userUuid || entry.token.userUuid === userUuid) this.cache.delete(key);
    }
  }

  /** The generation to pass back to `setGroupIds` and `setGroups` after a lookup. */
  get currentGeneration(): number {
    return this.generation;
  }

  groupIds(userUuid: string): readonly number[] | undefined {
    return this.memberships?.get(userUuid);
  }

  /**
   * `readAt`: when the oldest data the ids were computed from was read (the group list may come
   * from this cache), so that nothing is served longer than the bound after it was read.
   */
  setGroupIds(userUuid: string, ids: readonly number[], generation: number, readAt: number): void {
    const ttl = readAt + this.ttlMs - Date.now();
    if (generation === this.generation && ttl > 0) this.memberships?.set(userUuid, ids, { ttl });
  }

  /** The cached list of every group, and when it was read. */
  groups(): { value: readonly GroupRef[]; readAt: number } | undefined {
    const list = this.groupList;
    return list && list.readAt + this.ttlMs > Date.now() ? list : undefined;
  }

  setGroups(value: readonly GroupRef[], generation: number, readAt: number): void {
    if (this.ttlMs > 0 && generation === this.generation) this.groupList = { value, readAt };
  }

  /** After any change to permission links or groups: memberships are read again. */
  membershipsChanged(): void {
    this.generation++;
    // lru-cache's clear() walks every slot of its capacity even when empty: a grant or an
    // imported user would pay that each time.
    if (this.memberships?.size) this.memberships.clear();
    this.groupList = undefined;
  }

  clear(): void {
    if (this.cache?.size) this.cache.clear();
    this.membershipsChanged();
  }
}
