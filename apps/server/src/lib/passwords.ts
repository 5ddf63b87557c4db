import argon2 from 'argon2';

export interface Argon2Params {
  memoryCost: number;
  timeCost: number;
  parallelism: number;
}

/**
 * argon2id in PHC strings. argon2's hash and verify run on libuv's thread pool, so a login
 * never blocks the event loop.
 */
export class PasswordHasher {
  private readonly options: Argon2Params & { type: typeof argon2.argon2id };
  /** Verified against when the user is unknown, so that the answer takes as long as a real check. */
  private dummyHash: Promise<string>;

  constructor(params: Argon2Params) {
    this.options = { type: argon2.argon2id, ...params };
    this.dummyHash = argon2.hash('roster-dummy-password-for-timing', this.options);
  }

  hash(password: string): Promise<string> {
    return argon2.hash(password, this.options);
  }

  /** False for a malformed stored hash rather than an exception: a bad record must not become a 500. */
  async verify(hash: string | null | undefined, password: string): Promise<boolean> {
    try {
      return await argon2.verify(hash ?? (await this.dummyHash), password);
    } catch {
      return false;
    }
  }

  /** Spends the time of a verify and always fails. */
  async verifyDummy(password: string): Promise<false> {
    await this.verify(await this.dummyHash, password);
    return false;
  }

  needsRehash(hash: string): boolean {
    try {
      return argon2.needsRehash(hash, this.options);
    } catch {
      return true;
    }
  }

  /** PHC strings accepted for pre-hashed imports. */
  static isPhc(value: string): boolean {
    return /^\$argon2(id|i|d)\$v=\d+\$m=\d+,t=\d+,p=\d+\$[A-Za-z0-9+/]+\$[A-Za-z0-9+/]+$/.test(value);
  }
}
