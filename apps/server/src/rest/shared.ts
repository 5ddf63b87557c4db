import { TRPCError } from '@trpc/server';
import { getHTTPStatusCodeFromError } from '@trpc/server/http';
import type { ErrorRequestHandler, Request, RequestHandler, Response } from 'express';
import type { z } from 'zod';
import { requestMeta, resolveActor } from '../context';
import { requestLog } from '../http/logging';
import { AppError, isDatabaseUnavailable } from '../lib/errors';
import { recordAudit } from '../services/audit';
import type { Actor, Deps, RequestMeta } from '../services/deps';
import { scopeAllows } from '../services/tokens';

/**
 * What the REST facades share: authentication with the same gates as the tRPC procedures
 * (public, authed, active, admin), input validation with zod, the audit record of every
 * mutation, and one HTTP status per service error. Each dialect adds its own paths, shapes and
 * error envelope on top.
 */

/** The same gates as trpc.ts's publicProcedure, authedProcedure, activeProcedure and adminProcedure. */
export type Gate = 'public' | 'authed' | 'active' | 'admin';

export interface Call<A extends Actor | null = Actor | null> {
  deps: Deps;
  req: Request;
  res: Response;
  actor: A;
  meta: RequestMeta;
  /** What the audit record says where a handler knows better than the route (a login's user, a signup's target). */
  audit: { action?: string; actorUuid?: string; targetUuid?: string };
}

export interface Dialect {
  name: 'dioptra' | 'arvados';
  /**
   * How a cookie session proves a mutation comes from Roster's own pages: `header` needs the
   * x-csrf-token header; `same-origin` also accepts a request no browser marked as cross-site.
   */
  csrf: 'header' | 'same-origin';
  /** Requests a token of any scope may make (Arvados: reading the token itself). */
  alwaysAllowed?: (method: string, path: string) => boolean;
  sendError(call: Call, err: unknown): void;
}

export interface Route<I, A extends Actor | null> {
  /** The native procedure a mutation stands for, as written to the audit log (e.g. `users.update`). */
  audit?: string;
  input?: z.ZodType<I>;
  handle(call: Call<A>, input: I): Promise<unknown>;
}

export const isMutation = (method: string) => !['GET', 'HEAD', 'OPTIONS'].includes(method);

/**
 * True unless a browser says the request comes from another site. Non-browser clients (such as
 * Dioptra's Python client) send neither header; browsers send `Sec-Fetch-Site`, and `Origin` on
 * every cross-origin mutation.
 */
export function sameOrigin(deps: Deps, req: Request): boolean {
  const site = req.get('sec-fetch-site');
  if (site && site !== 'same-origin' && site !== 'none') return false;
  const origin = req.get('origin');
  if (!origin) return true;
  return origin === `${req.protocol}://${req.get('host')}` || deps.config.corsOrigins.includes(origin);
}

/** The caller, checked against a gate: the rules of trpc.ts's procedure builders, for REST. */
async function authenticate(deps: Deps, req: Request, dialect: Dialect, gate: Gate) {
  const resolved = await resolveActor(deps, req);
  const { meta } = resolved;
  const csrfOk =
    resolved.csrfOk || !isMutation(req.method) || (dialect.csrf === 'same-origin' && sameOrigin(deps, req));
  if (gate === 'public') return { actor: csrfOk ? resolved.actor : null, meta };
  const actor = resolved.actor;
  if (!actor) {
    throw new AppError(
      'UNAUTHORIZED',
      'UNAUTHENTICATED',
      resolved.badToken
        ? 'The token is unknown, expired or revoked'
        : 'Sign in first: no token or session was given',
    );
  }
  if (actor.via === 'cookie' && !csrfOk) {
    throw new AppError(
      'FORBIDDEN',
      'CSRF_FAILED',
      dialect.csrf === 'header'
        ? 'Missing or wrong x-csrf-token header for a cookie session'
        : 'A cookie session may not be used from another site',
    );
  }
  const path = `${req.baseUrl}${req.path}`;
  const scopes = actor.token?.scopes ?? ['all'];
  if (!scopeAllows(scopes, { method: req.method, path }) && !dialect.alwaysAllowed?.(req.method, path)) {
    throw new AppError('FORBIDDEN', 'FORBIDDEN', `This token's scopes do not allow ${req.method} ${path}`);
  }
  if (gate !== 'authed' && !actor.user.isActive)
    throw new AppError('FORBIDDEN', 'FORBIDDEN', 'Your account is not active');
  if (gate === 'admin' && !actor.user.isAdmin)
    throw new AppError('FORBIDDEN', 'FORBIDDEN', 'Only administrators may do that');
  return { actor, meta };
}

/** Zod issues as one VALIDATION_FAILED error naming every field, as the tRPC error formatter does. */
export function parseInput<I>(schema: z.ZodType<I>, raw: unknown): I {
  const parsed = schema.safeParse(raw);
  if (parsed.success) return parsed.data;
  const parts = parsed.error.issues.map((i) => {
    const path = i.path.map(String).join('.');
    return path ? `${path} ${i.message}` : i.message;
  });
  const first = parsed.error.issues[0]?.path.map(String).join('.');
  throw new AppError('BAD_REQUEST', 'VALIDATION_FAILED', `Invalid input: ${parts.join(', ')}`, {
    field: first || undefined,
    cause: parsed.error,
  });
}

/** The HTTP status of an error thrown by a service (or by the facade's own validation). */
export function statusOf(err: unknown): number {
  if (isDatabaseUnavailable(err)) return 503;
  if (err instanceof TRPCError) return getHTTPStatusCodeFromError(err);
  return 500;
}

export function appCodeOf(err: unknown): string {
  if (isDatabaseUnavailable(err)) return 'DATABASE_UNAVAILABLE';
  if (err instanceof AppError) return err.appCode;
  if (err instanceof TRPCError) return err.code;
  return 'INTERNAL';
}

/** A message safe to show: the service's own for client errors, nothing internal for the rest. */
export function messageOf(err: unknown): string {
  const status = statusOf(err);
  if (status === 503) return 'The database is unavailable; try again shortly';
  if (status >= 500) return 'Internal error';
  return err instanceof Error ? err.message : String(err);
}

function targetOf(input: unknown, output: unknown): string | null {
  for (const v of [input, output, (output as { user?: unknown } | undefined)?.user]) {
    const uuid = (v as { uuid?: unknown } | null | undefined)?.uuid;
    if (typeof uuid === 'string') return uuid;
  }
  return null;
}

/**
 * A request's parameters before validation: the query string, then a JSON or form body, then
 * the path's (which nothing else may override). Both dialects take parameters from all three.
 */
function requestParams(req: Request): Record<string, unknown> {
  return {
    ...(req.query as Record<string, unknown>),
    ...(req.body && typeof req.body === 'object' ? (req.body as Record<string, unknown>) : {}),
    ...req.params,
  };
}

/** A call before (or without) authentication. */
export function bareCall(deps: Deps, req: Request, res: Response): Call {
  return { deps, req, res, actor: null, meta: requestMeta(req), audit: {} };
}

/**
 * Errors of the body parsers, which run before the facades' routers: a too large or malformed
 * body gets the dialect's envelope too (413 or 400), not the native one.
 */
export function bodyErrors(deps: Deps, send: (call: Call, err: unknown) => void): ErrorRequestHandler {
  return (err, req, res, next) => {
    const e = err as { status?: unknown; type?: unknown };
    if (typeof e?.status !== 'number' || e.status >= 500) return next(err);
    const error =
      e.type === 'entity.too.large'
        ? new AppError(
            'PAYLOAD_TOO_LARGE',
            'PAYLOAD_TOO_LARGE',
            `The request body is larger than ${deps.config.bodyLimit}`,
          )
        : new AppError(
            'BAD_REQUEST',
            'VALIDATION_FAILED',
            e.type === 'entity.parse.failed'
              ? 'The request body is not valid JSON'
              : 'The request body cannot be read',
          );
    send(bareCall(deps, req, res), error);
  };
}

/** Builds the Express handler of one REST route: authenticate, validate, run, audit, answer. */
export function restHandler<I>(
  deps: Deps,
  dialect: Dialect,
  gate: Exclude<Gate, 'public'>,
  route: Route<I, Actor>,
): RequestHandler;
export function restHandler<I>(
  deps: Deps,
  dialect: Dialect,
  gate: 'public',
  route: Route<I, Actor | null>,
): RequestHandler;
export function restHandler<I>(
  deps: Deps,
  dialect: Dialect,
  gate: Gate,
  route: Route<I, Actor> | Route<I, Actor | null>,
): RequestHandler {
  return async (req, res) => {
    const call = bareCall(deps, req, res);
    let input: unknown;
    let output: unknown;
    let failure: unknown;
    try {
      const who = await authenticate(deps, req, dialect, gate);
      call.actor = who.actor;
      call.meta = who.meta;
      input = route.input ? parseInput(route.input, requestParams(req)) : undefined;
      output = await (route as Route<I, Actor | null>).handle(call, input as I);
      if (!res.headersSent) res.status(200).json(output);
    } catch (err) {
      failure = err;
      if (statusOf(err) >= 500 && !isDatabaseUnavailable(err))
        requestLog(req, deps.logger).error({ err, url: req.originalUrl }, 'REST request failed');
      dialect.sendError(call, err);
    }
    const action = call.audit.action ?? route.audit;
    if (action) {
      const denied = failure && [403, 404].includes(statusOf(failure));
      await recordAudit(deps, {
        actorUuid: call.actor?.user.uuid ?? call.audit.actorUuid ?? null,
        action,
        targetUuid: call.audit.targetUuid ?? targetOf(input, output),
        outcome: !failure ? 'success' : denied ? 'denied' : 'failure',
        errorCode: failure ? appCodeOf(failure) : null,
        changes: { ...(typeof input === 'object' && input ? input : {}), via: dialect.name },
        meta: call.meta,
      });
    }
  };
}

/** `true`/`false` as query strings write them, Python's `True`/`False` included. */
export function parseBool(v: unknown): unknown {
  if (typeof v !== 'string') return v;
  const s = v.toLowerCase();
  if (['true', 't', '1', 'yes', 'y'].includes(s)) return true;
  if (['false', 'f', '0', 'no', 'n', ''].includes(s)) return false;
  return v;
}
