import { Alert, Button, Group, List, Modal, Stack, Switch, Text } from '@mantine/core';
import { fieldErrorsOf } from '@roster/client';
import type { UserView } from '@roster/contracts';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { useNavigate } from 'react-router';
import { PrincipalPicker } from '../../components/principal-picker';
import { api, invalidate, PERMISSION_PROCEDURES, queries } from '../../lib/api';
import { notifyError, notifySuccess } from '../../lib/notify';

const some = (n: number | undefined, one: string, many: string) =>
  n === undefined ? many : `${n} ${n === 1 ? one : many}`;

/**
 * Merges this user (the old account) into another one (which remains), as Arvados does, after
 * saying what moves. What it says follows the server's merge (services/lifecycle.ts, operations.ts).
 */
export function MergeButton({ user }: { user: UserView }) {
  const [open, setOpen] = useState(false);
  const [target, setTarget] = useState<{ uuid: string; name: string } | null>(null);
  const [redirect, setRedirect] = useState(true);
  const [error, setError] = useState<string | undefined>();
  const qc = useQueryClient();
  const navigate = useNavigate();
  const name = user.username ?? user.email ?? user.uuid;

  // How much will move, one row asked for each: the totals are what counts.
  const tokens = useQuery({
    ...queries.tokens({ filters: [['userUuid', '=', user.uuid]], limit: 1, count: true }),
    enabled: open,
  }).data?.itemsAvailable;
  const links = useQuery({
    ...queries.links({ filters: [['tailUuid', '=', user.uuid]], limit: 1, count: true, select: ['uuid'] }),
    enabled: open,
  }).data?.itemsAvailable;
  const owned = useQuery({
    ...queries.groups({ filters: [['ownerUuid', '=', user.uuid]], limit: 1, count: true, select: ['uuid'] }),
    enabled: open,
  }).data?.itemsAvailable;

  const close = () => {
    setOpen(false);
    setTarget(null);
    setError(undefined);
    setRedirect(true);
  };
  const merge = useMutation({
    mutationFn: (into: { uuid: string; name: string }) =>
      api.users.merge.mutate({
        oldUserUuid: user.uuid,
        newUserUuid: into.uuid,
        newOwnerUuid: into.uuid,
        redirectToNewUser: redirect,
      }),
    onSuccess: (_old, into) => {
      notifySuccess(`${name} was merged into ${into.name}`);
      close();
      void invalidate(qc, 'users.list', 'tokens.list', ...PERMISSION_PROCEDURES);
      if (redirect) {
        qc.removeQueries({ queryKey: queries.user(user.uuid).queryKey });
        navigate(`/users/${into.uuid}`);
      }
    },
    onError: (err) => {
      // A refusal about either account belongs under the picker; anything else is a notification.
      const fields = fieldErrorsOf(err);
      const onPicker = fields.newUserUuid ?? fields.newOwnerUuid;
      if (onPicker) setError(onPicker.join('; '));
      else notifyError(err, 'The accounts were not merged');
    },
  });

  const into = target?.name ?? 'the account that remains';
  return (
    <>
      <Button variant="light" color="red" onClick={() => setOpen(true)}>
        Merge into another account…
      </Button>
      <Modal
        opened={open}
        onClose={() => !merge.isPending && close()}
        title={`Merge ${name} into another account?`}
        size="lg"
      >
        <Stack>
          <PrincipalPicker
            label="Account that remains"
            description={`${name} is merged into it`}
            kinds={['user']}
            exclude={[user.uuid]}
            value={target?.uuid ?? null}
            onChange={(uuid, picked) => {
              setTarget(uuid ? { uuid, name: picked ?? uuid } : null);
              setError(undefined);
            }}
            error={error}
          />
          <Switch
            label={`Redirect ${name} to the remaining account`}
            description="Recommended: the old account's tokens keep working, and its username or email signs in to the remaining account."
            checked={redirect}
            onChange={(e) => setRedirect(e.currentTarget.checked)}
          />
          <div data-testid="merge-summary">
            <Text size="sm" fw={600}>
              What moves to {into}:
            </Text>
            <List size="sm" spacing={4} mt={4}>
              {redirect ? (
                <List.Item>
                  {some(tokens, 'API token or session', 'API tokens and sessions')} of {name}: they keep
                  working, now acting as {into}.
                </List.Item>
              ) : (
                <List.Item>
                  None of the {some(tokens, 'API token or session', 'API tokens and sessions')} of {name}:
                  they are deleted, which signs {name} out everywhere.
                </List.Item>
              )}
              <List.Item>
                {some(links, 'group membership or permission', 'group memberships and permissions')} held by{' '}
                {name}, and its agreement signatures. Where {into} already holds a permission on the same
                group or user, it keeps its own level.
              </List.Item>
              {redirect ? (
                <List.Item>
                  The permissions others hold on {name}: they now apply to {into}.
                </List.Item>
              ) : null}
              <List.Item>
                {some(owned, 'group', 'groups')} owned by {name}, and anything else it owns: {into} owns them.
              </List.Item>
            </List>
            <Text size="sm" fw={600} mt="sm">
              What stays:
            </Text>
            <Text size="sm">
              {into} keeps its own username, email, names, password, administrator and active flags; nothing
              of
              {` ${name}'s`} profile is copied.{' '}
              {redirect
                ? `${name} disappears from the directory. Its username or email then signs in to ${into}, with ${into}'s password (no longer ${name}'s). Its username stays reserved.`
                : `${name} stays in the directory and can still sign in with its own password, but with no tokens, memberships or permissions left (not even "All users").`}
            </Text>
          </div>
          <Alert color="red">A merge cannot be undone.</Alert>
          <Group justify="flex-end">
            <Button variant="default" onClick={close} disabled={merge.isPending}>
              Cancel
            </Button>
            <Button
              color="red"
              loading={merge.isPending}
              onClick={() => (target ? merge.mutate(target) : setError('choose the account that remains'))}
            >
              Merge accounts
            </Button>
          </Group>
        </Stack>
      </Modal>
    </>
  );
}
