import { useMutation, useQueryClient } from '@tanstack/react-query';
import { api } from '../../lib/api';
import { notifyError, notifySuccess } from '../../lib/notify';

/** Ends every session of the signed-in user but this one. */
export function useRevokeOtherSessions() {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: () => api.tokens.revokeAll.mutate({ kind: 'session', exceptCurrent: true }),
    onSuccess: ({ revoked }) => {
      notifySuccess(
        revoked === 1 ? 'One other session was signed out' : `${revoked} other sessions were signed out`,
      );
      return qc.invalidateQueries({ queryKey: ['tokens.list'] });
    },
    onError: (err) => notifyError(err, 'Could not sign out the other sessions'),
  });
}
