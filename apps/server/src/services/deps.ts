import type { Logger } from 'pino';
import type { Config } from '../config';
import type { Models, TokenDoc, UserDoc } from '../db/models';
import type { WellKnown } from '../lib/ids';
import type { PasswordHasher } from '../lib/passwords';
import type { AuthCache } from './auth-cache';

/** Everything a service needs, built once at start-up (see app.ts) and passed down. */
export interface Deps {
  config: Config;
  models: Models;
  hasher: PasswordHasher;
  logger: Logger;
  wellKnown: WellKnown;
  authCache: AuthCache;
}

/** Who is asking: the user behind the token or session cookie of this request. */
export interface Actor {
  user: UserDoc;
  token: TokenDoc | null;
  via: 'bearer' | 'cookie' | 'internal';
}

export interface RequestMeta {
  ip: string | null;
  requestId: string;
  /** The client's User-Agent, cut to 256 characters: sessions show it so their owner can tell them apart. */
  userAgent?: string | null;
}
