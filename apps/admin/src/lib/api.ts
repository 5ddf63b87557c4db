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
export type GroupListInput = RouterInputs['groups']['list'];
export type MembersInput = RouterInputs['groups']['members'];
export type LinkListInput = RouterInputs['permissions']['list'];
export type AuditListInput = RouterInputs['audit']['list'];
export type SignaturesInput = RouterInputs['agreements']['signatures'];

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
  groups: (input: GroupListInput) =>
    queryOptions({
      queryKey: ['groups.list', input],
      queryFn: () => api.groups.list.query(input),
      placeholderData: keepPreviousData,
    }),
  group: (uuid: string) =>
    queryOptions({ queryKey: ['groups.get', uuid], queryFn: () => api.groups.get.query({ uuid }) }),
  members: (input: MembersInput) =>
    queryOptions({
      queryKey: ['groups.members', input],
      queryFn: () => api.groups.members.query(input),
      placeholderData: keepPreviousData,
    }),
  links: (input: LinkListInput) =>
    queryOptions({
      queryKey: ['permissions.list', input],
      queryFn: () => api.permissions.list.query(input),
      placeholderData: keepPreviousData,
    }),
  audit: (input: AuditListInput) =>
    queryOptions({
      queryKey: ['audit.list', input],
      queryFn: () => api.audit.list.query(input),
      placeholderData: keepPreviousData,
    }),
  agreements: () =>
    queryOptions({ queryKey: ['agreements.list'], queryFn: () => api.agreements.list.query() }),
  signatures: (input: SignaturesInput) =>
    queryOptions({
      queryKey: ['agreements.signatures', input],
      queryFn: () => api.agreements.signatures.query(input),
      placeholderData: keepPreviousData,
    }),
};

/** Refreshes every query of these procedures, whatever their inputs. */
export const invalidate = (qc: QueryClient, ...procedures: string[]) =>
  Promise.all(procedures.map((p) => qc.invalidateQueries({ queryKey: [p] })));

/**
 * What a change of who holds what may have made stale: memberships, members, and the views of
 * groups and users (their `groups` and computed flags).
 */
export const PERMISSION_PROCEDURES = [
  'permissions.list',
  'groups.members',
  'groups.get',
  'groups.list',
  'users.get',
];

export function createQueryClient() {
  const signedOut = (err: unknown) => {
    if (!isUnauthenticated(err)) return;
    setCsrfToken(null);
    client.setQueryData(queries.session().queryKey, null);
  };
  const client: QueryClient = new QueryClient({
    mutationCache: new MutationCache({
      onError: signedOut,
      // Every mutation, refused ones included, writes an audit event: the log on screen is stale.
      onSettled: () => client.invalidateQueries({ queryKey: ['audit.list'] }),
    }),
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
