import { createRosterClient, isRosterError, type RouterInputs } from '@roster/client';
import { keepPreviousData, MutationCache, QueryClient, queryOptions } from '@tanstack/react-query';

/**
 * The CSRF token of the cookie session, in memory only: a reload gets it back from
 * `auth.session`. The session itself lives in an HttpOnly cookie the page cannot read.
 */
let csrfToken: string | undefined;
export function setCsrfToken(token: string | null | undefined) {
  csrfToken = token ?? undefined;
}

/** The console talks to the server that serves it. */
export const api = createRosterClient({ url: '', csrfToken: () => csrfToken });

/** A client for one call with a bearer token (the first-admin setup token), not the cookie session. */
export const bearerClient = (token: string) => createRosterClient({ url: '', token, batch: false });

export const isUnauthenticated = (err: unknown) =>
  isRosterError(err) && err.data.appCode === 'UNAUTHENTICATED';

export type Session = Awaited<ReturnType<typeof api.auth.session.query>>;
export type UserListInput = RouterInputs['users']['list'];
export type TokenListInput = RouterInputs['tokens']['list'];

/** Query options per procedure; the first key part is the procedure path, so invalidating it covers every input. */
export const queries = {
  /** `null` when signed out. */
  session: () =>
    queryOptions({
      queryKey: ['auth.session'],
      queryFn: async (): Promise<Session | null> => {
        try {
          const session = await api.auth.session.query();
          setCsrfToken(session.csrfToken);
          return session;
        } catch (err) {
          if (isUnauthenticated(err)) return null;
          throw err;
        }
      },
      staleTime: Number.POSITIVE_INFINITY,
      retry: false,
    }),
  info: () =>
    queryOptions({
      queryKey: ['auth.info'],
      queryFn: () => api.auth.info.query(),
      staleTime: Number.POSITIVE_INFINITY,
    }),
  users: (input: UserListInput) =>
    queryOptions({
      queryKey: ['users.list', input],
      queryFn: () => api.users.list.query(input),
      placeholderData: keepPreviousData,
    }),
  user: (uuid: string) =>
    queryOptions({ queryKey: ['users.get', uuid], queryFn: () => api.users.get.query({ uuid }) }),
  lockout: (uuid: string) =>
    queryOptions({ queryKey: ['users.lockout', uuid], queryFn: () => api.users.lockout.query({ uuid }) }),
  tokens: (input: TokenListInput) =>
    queryOptions({
      queryKey: ['tokens.list', input],
      queryFn: () => api.tokens.list.query(input),
      placeholderData: keepPreviousData,
    }),
};

export function createQueryClient() {
  const signedOut = (err: unknown) => {
    if (!isUnauthenticated(err)) return;
    setCsrfToken(null);
    client.setQueryData(queries.session().queryKey, null);
  };
  const client: QueryClient = new QueryClient({
    mutationCache: new MutationCache({ onError: signedOut }),
    defaultOptions: {
      queries: {
        staleTime: 10_000,
        refetchOnWindowFocus: false,
        // Authorization and validation failures will not pass on a second try.
        retry: (count, err) => count < 2 && !(isRosterError(err) && err.data.httpStatus < 500),
      },
    },
  });
  // A session that ended elsewhere (expired, revoked, logged out everywhere) sends the console back to sign-in.
  client.getQueryCache().subscribe((event) => {
    if (event.type === 'updated' && event.action.type === 'error') signedOut(event.action.error);
  });
  return client;
}
