import type { RouterInputs } from '@roster/client';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { api, queries, type Session, setCsrfToken } from './api';

/** The signed-in session: `undefined` while loading, `null` when signed out. */
export function useSession() {
  return useQuery(queries.session());
}

/** The signed-in user; only for components rendered inside the signed-in layout. */
export function useMe() {
  const { data } = useSession();
  if (!data) throw new Error('useMe() outside a signed-in page');
  return data.user;
}

export function useLogin() {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: (input: RouterInputs['auth']['login']) => api.auth.login.mutate(input),
    onSuccess: (result) => {
      setCsrfToken(result.csrfToken);
      const session: Session = { csrfToken: result.csrfToken, user: result.user };
      qc.setQueryData(queries.session().queryKey, session);
    },
  });
}

export function useLogout() {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: () => api.auth.logout.mutate({ everywhere: false }),
    // Signed out locally even if the server call failed: the cookie is then cleared on next login.
    onSettled: () => {
      setCsrfToken(null);
      qc.removeQueries({
        predicate: (q) => q.queryKey[0] !== 'auth.session' && q.queryKey[0] !== 'auth.info',
      });
      qc.setQueryData(queries.session().queryKey, null);
    },
  });
}

/** Refreshes the signed-in user after they changed themself. */
export function useSetMe() {
  const qc = useQueryClient();
  return (user: Session['user']) =>
    qc.setQueryData(queries.session().queryKey, (s) => (s ? { ...s, user } : s));
}
