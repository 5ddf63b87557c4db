import type { AppErrorCode } from '@roster/contracts';
import type { AppRouter } from '@roster/server/router';
import { createTRPCClient, httpBatchLink, httpLink, TRPCClientError } from '@trpc/client';
import type { inferRouterInputs, inferRouterOutputs } from '@trpc/server';

export type { AppRouter };
export type RouterInputs = inferRouterInputs<AppRouter>;
export type RouterOutputs = inferRouterOutputs<AppRouter>;

export interface RosterClientOptions {
  /** The server's base URL, e.g. http://127.0.0.1:3000 (the client adds /trpc). Use "" in a browser on the same origin. */
  url: string;
  /** `v2/<uuid>/<secret>`: sent as `Authorization: Bearer …`. Omit in browsers that use the session cookie. */
  token?: string | (() => string | undefined);
  /** For cookie sessions: returns the CSRF token to send on mutations. */
  csrfToken?: () => string | undefined;
  /** Batch concurrent calls into one HTTP request (default true). */
  batch?: boolean;
  fetch?: typeof fetch;
  headers?: Record<string, string>;
}

export function createRosterClient(opts: RosterClientOptions) {
  const url = `${opts.url.replace(/\/$/, '')}/trpc`;
  const headers = () => {
    const h: Record<string, string> = { ...opts.headers };
    const token = typeof opts.token === 'function' ? opts.token() : opts.token;
    if (token) h.authorization = `Bearer ${token}`;
    const csrf = opts.csrfToken?.();
    if (csrf) h['x-csrf-token'] = csrf;
    return h;
  };
  const common = {
    url,
    headers,
    fetch:
      opts.fetch ??
      ((input: RequestInfo | URL, init?: RequestInit) => fetch(input, { ...init, credentials: 'include' })),
  };
  return createTRPCClient<AppRouter>({
    links: [opts.batch === false ? httpLink(common) : httpBatchLink(common)],
  });
}
export type RosterClient = ReturnType<typeof createRosterClient>;

/** The error data every Roster error carries, next to tRPC's own code. */
export interface RosterErrorData {
  code: string;
  httpStatus: number;
  appCode: AppErrorCode | string;
  field: string | null;
  fieldErrors: Record<string, string[]> | null;
  formErrors: string[] | null;
}

export function isRosterError(err: unknown): err is TRPCClientError<AppRouter> & { data: RosterErrorData } {
  return (
    err instanceof TRPCClientError && !!err.data && typeof (err.data as RosterErrorData).appCode === 'string'
  );
}

/** The field errors of a failed call, for putting them next to form fields. */
export function fieldErrorsOf(err: unknown): Record<string, string[]> {
  if (!isRosterError(err)) return {};
  const { fieldErrors, field } = err.data;
  if (fieldErrors) return fieldErrors;
  return field ? { [field]: [err.message] } : {};
}

export { TRPCClientError };
