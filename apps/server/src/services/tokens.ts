import type { ListTokensInput, TokenView } from '@roster/contracts';
import type { z } from 'zod';
import type { TokenDoc, UserDoc } from '../db/models';
import { logFor } from '../http/logging';
import { AppError, forbidden, notFound } from '../lib/errors';
import { newUuid } from '../lib/ids';
import { type ListSpec, planList } from '../lib/list-query';
import { formatToken, newTokenSecret, parseToken, sha256 } from '../lib/secrets';
import type { Actor, Deps, RequestMeta } from './deps';
import { runList } from './listing';

export function toTokenView(token: TokenDoc, actor: Actor | null): TokenView {
  return {
    uuid: token.uuid,
    userUuid: token.userUuid,
    kind: token.kind as TokenView['kind'],
    label: token.label ?? '',
    scopes: token.scopes ?? ['all'],
    createdAt: token.createdAt.toISOString(),
    expiresAt: token.expiresAt ? token.expiresAt.toISOString() : null,
    lastUsedAt: token.lastUsedAt ? token.lastUsedAt.toISOString() : null,
    createdByIp: token.createdByIp ?? null,
    createdByUserAgent: token.createdByUserAgent ?? null,
    lastUsedByIp: token.lastUsedByIp ?? null,
    current: actor?.token?.uuid === token.uuid,
  };
}

/** Issues a token and returns it with its secret, the only time the secret exists outside the client. */
export async function issueToken(
  deps: Deps,
  userUuid: string,
  opts: {
    kind: 'api' | 'session';
    label?: string;
    scopes?: string[];
    expiresAt?: Date | null;
    meta?: RequestMeta;
  },
): Promise<{ token: TokenDoc; secret: string }> {
  const secret = newTokenSecret();
  // Every field of the schema, set here: a plain insert, without a mongoose document to build,
  // validate and convert back, on the path of every login.
  const doc = {
    uuid: newUuid(deps.config.clusterId, 'token'),
    userUuid,
    secretHash: sha256(secret),
    kind: opts.kind,
    label: opts.label ?? '',
    scopes: opts.scopes ?? ['all'],
    createdAt: new Date(),
    expiresAt: opts.expiresAt ?? null,
    lastUsedAt: null,
    createdByIp: opts.meta?.ip ?? null,
    createdByUserAgent: opts.meta?.userAgent ?? null,
    lastUsedByIp: null,
  };
  await deps.models.Token.collection.insertOne(doc);
  const token = doc as unknown as TokenDoc;
  return { token, secret: formatToken(token.uuid, secret) };
}

const LAST_USED_RESOLUTION_MS = 60_000;

/**
 * Resolves a presented token to its user, or null. Expired tokens, unknown tokens and tokens of
 * users who may not sign in all resolve to null (the caller answers UNAUTHORIZED).
 */
export async function authenticateToken(
  deps: Deps,
  raw: string,
  meta: RequestMeta,
): Promise<{ token: TokenDoc; user: UserDoc } | null> {
  const parsed = parseToken(raw);
  if (!parsed) return null;
  const hash = sha256(parsed.secret);
  let entry = deps.authCache.get(hash);
  if (!entry) {
    const token = await deps.models.Token.findOne({ secretHash: hash }).lean<TokenDoc>();
    if (!token) return null;
    let user = await deps.models.User.findOne({ uuid: token.userUuid }).lean<UserDoc>();
    // A merged user's tokens act as the user it was merged into.
    if (user?.redirectToUserUuid)
      user = await deps.models.User.findOne({ uuid: user.redirectToUserUuid }).lean<UserDoc>();
    if (!user) return null;
    entry = { token, user };
    deps.authCache.set(hash, entry);
  }
  const { token, user } = entry;
  if (parsed.uuid && parsed.uuid !== token.uuid) return null;
  const now = Date.now();
  if (token.expiresAt && token.expiresAt.getTime() <= now) return null;
  if (!token.lastUsedAt || now - token.lastUsedAt.getTime() > LAST_USED_RESOLUTION_MS) {
    // Written at most once a minute per token, off the request's path.
    token.lastUsedAt = new Date(now);
    deps.models.Token.updateOne(
      { uuid: token.uuid },
      { $set: { lastUsedAt: token.lastUsedAt, lastUsedByIp: meta.ip } },
    )
      .exec()
      .catch((err) => logFor(deps.logger, meta).warn({ err }, 'could not record token use'));
  }
  return { token, user };
}

/** Whether a token's scopes allow a tRPC procedure or an HTTP request (Arvados's rules). */
export function scopeAllows(
  scopes: readonly string[],
  request: { procedure: string } | { method: string; path: string },
): boolean {
  for (const scope of scopes) {
    if (scope === 'all') return true;
    if ('procedure' in request) {
      if (!scope.startsWith('trpc:')) continue;
      const s = scope.slice(5);
      if (s === request.procedure || (s.endsWith('.') && request.procedure.startsWith(s))) return true;
    } else {
      const [method, path] = scope.split(' ');
      if (method !== request.method || !path) continue;
      if (path === request.path || (path.endsWith('/') && request.path.startsWith(path))) return true;
    }
  }
  return false;
}

export async function createApiToken(
  deps: Deps,
  actor: Actor,
  input: { label: string; scopes: string[]; expiresAt?: string | undefined; userUuid?: string | undefined },
  meta: RequestMeta,
) {
  const owner = input.userUuid ?? actor.user.uuid;
  if (owner !== actor.user.uuid) {
    if (!actor.user.isAdmin) throw forbidden('you may only create tokens for yourself');
    const user = await deps.models.User.findOne({ uuid: owner }, { redirectToUserUuid: 1 }).lean();
    if (!user || user.redirectToUserUuid) throw notFound('user');
  }
  const expiresAt = input.expiresAt ? new Date(input.expiresAt) : null;
  if (expiresAt && expiresAt.getTime() <= Date.now()) {
    throw new AppError('BAD_REQUEST', 'VALIDATION_FAILED', 'must be in the future', { field: 'expiresAt' });
  }
  // A token cannot grant more than the token that creates it.
  if (
    actor.token &&
    !actor.token.scopes.includes('all') &&
    !input.scopes.every((s) => actor.token!.scopes.includes(s))
  ) {
    throw forbidden('a token may not create a token with wider scopes than its own');
  }
  const { token, secret } = await issueToken(deps, owner, {
    kind: 'api',
    label: input.label,
    scopes: input.scopes,
    expiresAt,
    meta,
  });
  return { token: toTokenView(token, actor), secret };
}

const TOKEN_LIST: ListSpec = {
  fields: {
    uuid: { type: 'uuid' },
    userUuid: { type: 'uuid' },
    kind: { type: 'string' },
    label: { type: 'string' },
    createdAt: { type: 'date' },
    expiresAt: { type: 'date' },
    lastUsedAt: { type: 'date' },
  },
  tiebreak: 'uuid',
  defaultOrder: [{ field: 'createdAt', dir: 'desc' }],
};

export async function listTokens(deps: Deps, actor: Actor, input: z.output<typeof ListTokensInput>) {
  const mine = !actor.user.isAdmin || !input.filters.some(([f]) => f === 'userUuid');
  const base = mine ? { userUuid: actor.user.uuid } : {};
  return runList(deps.models.Token, planList(TOKEN_LIST, input, base), input, (docs: TokenDoc[]) =>
    docs.map((t) => toTokenView(t, actor)),
  );
}

export async function revokeToken(deps: Deps, actor: Actor, uuid: string): Promise<TokenView> {
  const token = await deps.models.Token.findOne({ uuid }).lean<TokenDoc>();
  // Someone else's token is as good as absent: its existence is private.
  if (!token || (token.userUuid !== actor.user.uuid && !actor.user.isAdmin)) throw notFound('token');
  await deps.models.Token.deleteOne({ uuid });
  deps.authCache.evictToken(token.secretHash);
  return toTokenView(token, actor);
}
