import type { IncomingMessage, ServerResponse } from 'node:http';
import { serialize } from 'cookie';
import { AppError, isDatabaseUnavailable } from './lib/errors';
import { sha256 } from './lib/secrets';
import type { Actor, Deps, RequestMeta } from './services/deps';
import { authenticateToken } from './services/tokens';

export const SESSION_COOKIE = 'roster_session';

/** What the router needs to set or clear the browser session; tests pass a recorder. */
export interface SessionCookies {
  set(token: string, expiresAt: Date): void;
  clear(): void;
}

export interface ContextInner {
  deps: Deps;
  actor: Actor | null;
  meta: RequestMeta;
  cookies: SessionCookies;
  /** A token was presented but is unknown, expired or revoked. */
  badToken: boolean;
  /** For cookie-authenticated requests: whether the CSRF header matched the session. */
  csrfOk: boolean;
  /** The presented token, kept only to derive the CSRF token of a cookie session. */
  rawToken: string | null;
}

/** The pure part of the context, which tests call directly (tRPC's createContextInner pattern). */
export function createContextInner(opts: Partial<ContextInner> & { deps: Deps }): ContextInner {
  return {
    actor: null,
    meta: { ip: '127.0.0.1', requestId: 'test' },
    cookies: { set() {}, clear() {} },
    badToken: false,
    csrfOk: true,
    rawToken: null,
    ...opts,
  };
}

/** The CSRF token of a cookie session, derived from its secret so nothing extra is stored. */
export const csrfTokenFor = (sessionToken: string) => sha256(`csrf:${sessionToken}`).slice(0, 40);

/**
 * What the context reads of a request: node's own, plus what the middleware in front adds
 * (parsed cookies, the request id, and the client's address and scheme by the trust-proxy
 * rules). Express's requests have all of it; the lean tRPC path sets it on node's.
 */
export interface HttpRequest extends IncomingMessage {
  cookies?: Record<string, string>;
  id?: string;
  ip?: string;
  secure?: boolean;
}

const AUTH_HEADER = /^(?:OAuth2|Bearer) ([!-~]+)$/;

/** The token a request presents, and how: header first, then the session cookie. */
export function presentedToken(req: HttpRequest): { raw: string; via: 'bearer' | 'cookie' } | undefined {
  const header = req.headers.authorization;
  if (header) {
    const m = AUTH_HEADER.exec(header.trim());
    return m?.[1] ? { raw: m[1], via: 'bearer' } : { raw: '', via: 'bearer' };
  }
  const cookie = req.cookies?.[SESSION_COOKIE];
  return cookie ? { raw: cookie, via: 'cookie' } : undefined;
}

export function requestMeta(req: HttpRequest): RequestMeta {
  return {
    ip: req.ip ?? null,
    requestId: req.id ?? '',
    userAgent: req.headers['user-agent']?.slice(0, 256) || null,
  };
}

export function sessionCookies(deps: Deps, req: HttpRequest, res: ServerResponse): SessionCookies {
  const secure = deps.config.cookieSecure === 'auto' ? req.secure === true : deps.config.cookieSecure;
  const put = (value: string, expires: Date) =>
    res.appendHeader(
      'set-cookie',
      serialize(SESSION_COOKIE, value, { httpOnly: true, sameSite: 'lax', secure, path: '/', expires }),
    );
  return {
    set: (token, expiresAt) => put(token, expiresAt),
    // Expired at the epoch: the browser drops it at once.
    clear: () => put('', new Date(0)),
  };
}

/** Resolves the caller of an HTTP request. Shared by the tRPC adapter and the REST facades. */
export async function resolveActor(deps: Deps, req: HttpRequest) {
  const meta = requestMeta(req);
  const presented = presentedToken(req);
  if (!presented) return { actor: null, meta, badToken: false, csrfOk: true, rawToken: null };
  let found: Awaited<ReturnType<typeof authenticateToken>> = null;
  try {
    found = presented.raw ? await authenticateToken(deps, presented.raw, meta) : null;
  } catch (err) {
    // Checking the token needs the database: while it is away, say so rather than fail with a 500.
    if (isDatabaseUnavailable(err)) {
      throw new AppError(
        'SERVICE_UNAVAILABLE',
        'DATABASE_UNAVAILABLE',
        'The database is unavailable; try again shortly',
        { cause: err },
      );
    }
    throw err;
  }
  const csrfOk = presented.via !== 'cookie' || req.headers['x-csrf-token'] === csrfTokenFor(presented.raw);
  return {
    actor: found ? ({ user: found.user, token: found.token, via: presented.via } satisfies Actor) : null,
    meta,
    badToken: !found,
    csrfOk,
    rawToken: presented.raw,
  };
}

export function contextFactory(deps: Deps) {
  return async ({ req, res }: { req: HttpRequest; res: ServerResponse }): Promise<ContextInner> => {
    const r = await resolveActor(deps, req);
    // Spelled out: every request makes one, with no intermediate copies.
    return {
      deps,
      actor: r.actor,
      meta: r.meta,
      cookies: sessionCookies(deps, req, res),
      badToken: r.badToken,
      csrfOk: r.csrfOk,
      rawToken: r.rawToken,
    };
  };
}
