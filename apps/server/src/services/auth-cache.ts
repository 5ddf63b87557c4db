import { LRUCache } from 'lru-cache';
import type { TokenDoc, UserDoc } from '../db/models';

interface Entry {
  token: TokenDoc;
  user: UserDoc;
}

/**
 * Token → (token, user) for a few seconds, so that an authenticated read does not cost a
 * database round trip. A revocation in this process evicts at once; one in another process
 * takes effect here within `ttlMs` (DESIGN.md, "Scale").
 */
export class AuthCache {
  private readonly cache: LRUCache<string, Entry> | undefined;

  constructor(ttlMs: number, max = 50_000) {
    this.cache =
      ttlMs > 0 ? new LRUCache<string, Entry>({ max, ttl: ttlMs, ttlAutopurge: false }) : undefined;
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
    if (!this.cache) return;
    for (const [key, entry] of this.cache.entries()) {
      if (entry.user.uuid === userUuid || entry.token.userUuid === userUuid) this.cache.delete(key);
    }
  }

  clear(): void {
    this.cache?.clear();
  }
}
