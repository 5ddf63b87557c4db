import {
  getTRPCErrorFromUnknown,
  initTRPC,
  type TRPCProcedureType as ProcedureType,
  type TRPCError,
} from '@trpc/server';
import type { ContextInner } from './context';
import { AppError, isDatabaseUnavailable } from './lib/errors';
import { recordAudit } from './services/audit';
import type { Actor } from './services/deps';
import { scopeAllows } from './services/tokens';

interface Issue {
  path?: readonly (PropertyKey | { key: PropertyKey })[];
  message: string;
}

/** `{ formErrors, fieldErrors }` from zod (or any Standard Schema) issues, keyed by dotted path. */
export function flattenIssues(issues: readonly Issue[]) {
  const fieldErrors: Record<string, string[]> = {};
  const formErrors: string[] = [];
  for (const issue of issues) {
    const path = (issue.path ?? []).map((p) => (typeof p === 'object' ? String(p.key) : String(p))).join('.');
    if (!path) formErrors.push(issue.message);
    else fieldErrors[path] = [...(fieldErrors[path] ?? []), issue.message];
  }
  return { formErrors, fieldErrors };
}

function issuesOf(cause: unknown): readonly Issue[] | undefined {
  const issues = (cause as { issues?: unknown } | null)?.issues;
  return Array.isArray(issues) ? (issues as Issue[]) : undefined;
}

const t = initTRPC.context<ContextInner>().create({
  errorFormatter({ shape, error }) {
    const issues = error.code === 'BAD_REQUEST' ? issuesOf(error.cause) : undefined;
    const flattened = issues ? flattenIssues(issues) : null;
    const appCode =
      error instanceof AppError
        ? error.appCode
        : issues
          ? 'VALIDATION_FAILED'
          : error.code === 'INTERNAL_SERVER_ERROR'
            ? 'INTERNAL'
            : error.code;
    const field =
      error instanceof AppError ? error.field : flattened ? Object.keys(flattened.fieldErrors)[0] : undefined;
    const message = flattened
      ? `Invalid input: ${Object.entries(flattened.fieldErrors)
          .map(([f, m]) => `${f} ${m.join('; ')}`)
          .concat(flattened.formErrors)
          .join(', ')}`
      : shape.message;
    return {
      ...shape,
      message,
      data: {
        code: shape.data.code,
        httpStatus: shape.data.httpStatus,
        path: shape.data.path,
        appCode,
        field: field ?? null,
        fieldErrors: flattened?.fieldErrors ?? null,
        formErrors: flattened?.formErrors ?? null,
      },
    };
  },
});

export const router = t.router;
export const createCallerFactory = t.createCallerFactory;
export const middleware = t.middleware;

function targetOf(input: unknown, output: unknown): string | null {
  const i = (input ?? {}) as Record<string, unknown>;
  const o = (output ?? {}) as Record<string, unknown>;
  for (const v of [
    i.uuid,
    i.userUuid,
    i.headUuid,
    i.oldUserUuid,
    o.uuid,
    (o.user as { uuid?: unknown } | undefined)?.uuid,
    (o.token as { uuid?: unknown } | undefined)?.uuid,
  ]) {
    if (typeof v === 'string') return v;
  }
  return null;
}

/**
 * The one middleware of every procedure: its gate (who may call it), then the call. Every
 * mutation writes an audit event, whether it succeeded, failed or was refused, with the input's
 * fields (credentials redacted) as its changes. Logins included. Then database outages become
 * a clear 503 instead of a generic 500 (the audit event records the original failure). One
 * level for all of it: each level of tRPC's middleware chain copies the call's options twice,
 * a cost every procedure pays on every call.
 */
function guarded<Narrowed extends object>(
  gate: (ctx: ContextInner, type: ProcedureType, path: string) => Narrowed,
) {
  return t.middleware(async ({ ctx, type, path, next, getRawInput }) => {
    let narrowed: Narrowed;
    try {
      narrowed = gate(ctx, type, path);
    } catch (cause) {
      if (type === 'mutation')
        await auditCall(ctx, path, { ok: false, error: getTRPCErrorFromUnknown(cause) }, getRawInput);
      throw cause;
    }
    const result = await next({ ctx: narrowed });
    if (type === 'mutation') await auditCall(ctx, path, result, getRawInput);
    if (!result.ok && isDatabaseUnavailable(result.error.cause)) {
      throw new AppError(
        'SERVICE_UNAVAILABLE',
        'DATABASE_UNAVAILABLE',
        'The database is unavailable; try again shortly',
        { cause: result.error.cause },
      );
    }
    return result;
  });
}

async function auditCall(
  ctx: ContextInner,
  path: string,
  result: { ok: true; data: unknown } | { ok: false; error: TRPCError },
  getRawInput: () => Promise<unknown>,
) {
  const input = await getRawInput().catch(() => undefined);
  const output = result.ok ? result.data : undefined;
  const code = result.ok ? null : result.error instanceof AppError ? result.error.appCode : result.error.code;
  // Refused by authorization; a failed authentication (UNAUTHORIZED) is a failure.
  const denied = !result.ok && ['FORBIDDEN', 'NOT_FOUND'].includes(result.error.code);
  const loggedIn =
    path === 'auth.login' && result.ok ? ((output as { user?: { uuid?: string } }).user?.uuid ?? null) : null;
  await recordAudit(ctx.deps, {
    actorUuid: ctx.actor?.user.uuid ?? loggedIn,
    action: path,
    targetUuid: targetOf(input, output),
    outcome: result.ok ? 'success' : denied ? 'denied' : 'failure',
    errorCode: code,
    changes: (input as { patch?: unknown } | undefined)?.patch ?? input ?? {},
    meta: ctx.meta,
  });
}

/** Anyone, signed in or not. */
export const publicProcedure = t.procedure.use(guarded(() => ({})));

/** Any signed-in user whose token allows this procedure; cookie sessions must also pass CSRF on mutations. */
function signedIn(ctx: ContextInner, type: ProcedureType, path: string): { actor: Actor } {
  if (!ctx.actor) {
    throw new AppError(
      'UNAUTHORIZED',
      'UNAUTHENTICATED',
      ctx.badToken
        ? 'The token is unknown, expired or revoked'
        : 'Sign in first: no token or session was given',
    );
  }
  if (type === 'mutation' && ctx.actor.via === 'cookie' && !ctx.csrfOk) {
    throw new AppError(
      'FORBIDDEN',
      'CSRF_FAILED',
      'Missing or wrong x-csrf-token header for a cookie session',
    );
  }
  const scopes = ctx.actor.token?.scopes ?? ['all'];
  if (!scopeAllows(scopes, { procedure: path })) {
    throw new AppError('FORBIDDEN', 'FORBIDDEN', `This token's scopes do not allow ${path}`);
  }
  return { actor: ctx.actor };
}

/** Signed in and active. */
function active(ctx: ContextInner, type: ProcedureType, path: string): { actor: Actor } {
  const narrowed = signedIn(ctx, type, path);
  if (!narrowed.actor.user.isActive)
    throw new AppError('FORBIDDEN', 'FORBIDDEN', 'Your account is not active');
  return narrowed;
}

export const authedProcedure = t.procedure.use(guarded(signedIn));

export const activeProcedure = t.procedure.use(guarded(active));

export const adminProcedure = t.procedure.use(
  guarded((ctx, type, path) => {
    const narrowed = active(ctx, type, path);
    if (!narrowed.actor.user.isAdmin)
      throw new AppError('FORBIDDEN', 'FORBIDDEN', 'Only administrators may do that');
    return narrowed;
  }),
);
