import { Alert, Anchor, Badge, Button, Group, Loader, Stack, Switch, Text, Title } from '@mantine/core';
import type { UserUpdateInput, UserView } from '@roster/contracts';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { Link, useLocation, useNavigate, useParams } from 'react-router';
import { ConfirmButton, useConfirm } from '../../components/confirm-button';
import { GrantForm } from '../../components/grant-form';
import { HeldPermissions } from '../../components/held-permissions';
import { NewTokenButton } from '../../components/new-token-button';
import { Section } from '../../components/section';
import { TokensTable } from '../../components/tokens-table';
import { api, invalidate, queries } from '../../lib/api';
import { formatDateTime } from '../../lib/format';
import { notifyError, notifySuccess } from '../../lib/notify';
import { LifecycleSection } from './lifecycle-section';
import { MergeButton } from './merge-dialog';
import { ResetPasswordButton } from './reset-password-button';
import { UserAudit } from './user-audit';
import { UserForm } from './user-form';

/** Updates a user with the etag read, so that a concurrent change is refused rather than overwritten. */
export function useUpdateUser(user: UserView | undefined) {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: (patch: UserUpdateInput['patch']) =>
      api.users.update.mutate({ uuid: user!.uuid, patch, ifMatch: user!.etag }),
    onSuccess: (updated) => {
      qc.setQueryData(queries.user(updated.uuid).queryKey, updated);
      // (De)activation also joins or leaves "All users", and ends the tokens.
      return invalidate(qc, 'users.list', 'permissions.list', 'tokens.list');
    },
    onError: () => qc.invalidateQueries({ queryKey: queries.user(user!.uuid).queryKey }),
  });
}

function StatusBadges({ user }: { user: UserView }) {
  const expired = user.passwordExpiresAt && new Date(user.passwordExpiresAt).getTime() <= Date.now();
  return (
    <Group gap="xs" data-testid="user-status">
      {user.isAdmin ? <Badge>administrator</Badge> : null}
      {user.isActive ? (
        <Badge color="teal" variant="light">
          active
        </Badge>
      ) : (
        <Badge color="gray" variant="light">
          inactive
        </Badge>
      )}
      {user.isInvited && !user.isActive ? <Badge variant="outline">invited</Badge> : null}
      {expired ? (
        <Badge color="orange" variant="light">
          password expired
        </Badge>
      ) : null}
    </Group>
  );
}

function AccessSection({ user }: { user: UserView }) {
  const update = useUpdateUser(user);
  const { ask, dialog } = useConfirm();
  const name = user.username ?? user.uuid;
  const change = (patch: UserUpdateInput['patch'], done: string) =>
    update.mutateAsync(patch).then(
      () => notifySuccess(done),
      (err) => {
        notifyError(err, 'The change was not saved');
        throw err;
      },
    );
  const expired = !!user.passwordExpiresAt && new Date(user.passwordExpiresAt).getTime() <= Date.now();
  return (
    <Section id="access" title="Access">
      {dialog}
      <Switch
        label="Administrator"
        description="Administrators see and change every user, token and setting."
        checked={user.isAdmin}
        onChange={() =>
          ask({
            title: user.isAdmin ? `Remove ${name}'s administrator rights?` : `Make ${name} an administrator?`,
            message: user.isAdmin
              ? 'They keep their account but lose access to other users.'
              : 'They will be able to change every user, token and setting.',
            confirmLabel: user.isAdmin ? 'Remove rights' : 'Make administrator',
            color: user.isAdmin ? 'red' : 'indigo',
            onConfirm: () =>
              change(
                { isAdmin: !user.isAdmin },
                user.isAdmin ? `${name} is no longer an administrator` : `${name} is now an administrator`,
              ),
          })
        }
      />
      <Switch
        label="Active"
        description={
          user.isAdmin && user.isActive
            ? 'An administrator must stay active: remove the administrator rights first.'
            : 'Inactive users cannot sign in; deactivating ends all their sessions and tokens.'
        }
        checked={user.isActive}
        disabled={user.isAdmin && user.isActive}
        onChange={() =>
          user.isActive
            ? ask({
                title: `Deactivate ${name}?`,
                message:
                  'They are signed out everywhere, their tokens stop working, and they cannot sign in until reactivated.',
                confirmLabel: 'Deactivate',
                onConfirm: () => change({ isActive: false }, `${name} was deactivated`),
              })
            : void change({ isActive: true }, `${name} was activated`).catch(() => {})
        }
      />
      <Stack gap={4}>
        <Text size="sm" fw={500}>
          Password
        </Text>
        <Text size="sm" c="dimmed">
          Changed {formatDateTime(user.passwordChangedAt, 'never')} · {expired ? 'expired' : 'expires'}{' '}
          {formatDateTime(user.passwordExpiresAt, 'never')}
        </Text>
        <Group gap="sm">
          <ResetPasswordButton user={user} />
          <ConfirmButton
            variant="light"
            color="orange"
            size="xs"
            disabled={expired}
            title={`Expire ${name}'s password?`}
            message="At their next sign-in they must choose a new password. Their current sessions go on."
            confirmLabel="Expire password"
            onConfirm={() =>
              change({ passwordExpiresAt: new Date().toISOString() }, `${name}'s password has expired`)
            }
          >
            Expire password now
          </ConfirmButton>
          {user.passwordExpiresAt ? (
            <Button
              variant="subtle"
              size="xs"
              onClick={() =>
                void change({ passwordExpiresAt: null }, `${name}'s password no longer expires`).catch(
                  () => {},
                )
              }
            >
              Remove expiry
            </Button>
          ) : null}
        </Group>
      </Stack>
      <LockoutNotice user={user} />
    </Section>
  );
}

function LockoutNotice({ user }: { user: UserView }) {
  const qc = useQueryClient();
  const lockout = useQuery(queries.lockout(user.uuid));
  const unlock = useMutation({
    mutationFn: () => api.users.unlock.mutate({ uuid: user.uuid }),
    onSuccess: () => {
      notifySuccess('The lockout was cleared');
      return qc.invalidateQueries({ queryKey: queries.lockout(user.uuid).queryKey });
    },
    onError: (err) => notifyError(err, 'Could not clear the lockout'),
  });
  if (!lockout.data?.locked) return null;
  return (
    <Alert color="orange" title="Locked out after failed sign-ins">
      <Group justify="space-between">
        <Text size="sm">Until {formatDateTime(lockout.data.lockedUntil)}</Text>
        <Button size="xs" variant="light" onClick={() => unlock.mutate()} loading={unlock.isPending}>
          Unlock
        </Button>
      </Group>
    </Alert>
  );
}

export default function UserPage() {
  const { uuid = '' } = useParams();
  const location = useLocation();
  const navigate = useNavigate();
  const qc = useQueryClient();
  const returnTo = (location.state as { returnTo?: string } | null)?.returnTo ?? '/users';
  const user = useQuery(queries.user(uuid));
  const remove = useMutation({
    mutationFn: () => api.users.delete.mutate({ uuid }),
    onSuccess: (deleted) => {
      notifySuccess(`User ${deleted.username ?? deleted.uuid} was deleted`);
      qc.removeQueries({ queryKey: queries.user(uuid).queryKey });
      void qc.invalidateQueries({ queryKey: ['users.list'] });
      navigate(returnTo);
    },
    onError: (err) => notifyError(err, 'Could not delete the user'),
  });
  const revokeAll = useMutation({
    mutationFn: () => api.tokens.revokeAll.mutate({ userUuid: uuid, exceptCurrent: true }),
    onSuccess: ({ revoked }) => {
      notifySuccess(`${revoked} tokens and sessions were revoked`);
      return qc.invalidateQueries({ queryKey: ['tokens.list'] });
    },
    onError: (err) => notifyError(err, 'Could not revoke the tokens'),
  });

  const back = (
    <Anchor component={Link} to={returnTo} size="sm">
      ← Users
    </Anchor>
  );
  if (user.isPending) return <Loader aria-label="Loading the user" />;
  if (user.isError) {
    return (
      <Stack>
        {back}
        <Alert color="red" title="Could not load the user">
          {user.error.message}
        </Alert>
      </Stack>
    );
  }
  const u = user.data;
  const name = u.username ?? u.email ?? u.uuid;
  return (
    <Stack gap="lg">
      {back}
      <Stack gap={4}>
        <Group gap="sm">
          <Title order={1} size="h2">
            {name}
          </Title>
          <StatusBadges user={u} />
        </Group>
        <Text size="sm" c="dimmed">
          {u.uuid} · id {u.id} · created {formatDateTime(u.createdAt)} · last sign-in{' '}
          {formatDateTime(u.lastLoginAt, 'never')}
        </Text>
      </Stack>

      <Section id="details" title="Details">
        <UserForm user={u} />
      </Section>

      <AccessSection user={u} />

      <LifecycleSection user={u} />

      <Section
        id="memberships"
        title="Memberships"
        description={`The groups ${name} is a member of, and the users or groups shared with them, each with its level.`}
      >
        <GrantForm
          fixed={{ side: 'tailUuid', uuid: u.uuid }}
          pickLabel="Add to a group"
          kinds={['group']}
          submitLabel="Add"
          done={(group) => `${name} was added to ${group}`}
        />
        <HeldPermissions
          holderUuid={u.uuid}
          holderName={name}
          label={`Memberships of ${name}`}
          empty={`${name} is not a member of any group.`}
          canRevoke
          testId="memberships"
        />
      </Section>

      <Section
        id="tokens"
        title="API tokens"
        actions={u.isActive ? <NewTokenButton userUuid={u.uuid} forWhom={name} /> : null}
      >
        <TokensTable kind="api" userUuid={u.uuid} label={`API tokens of ${name}`} />
      </Section>
      <Section
        id="sessions"
        title="Sessions"
        actions={
          <ConfirmButton
            variant="light"
            title={`Revoke every token and session of ${name}?`}
            message="Every program and browser signed in as them will have to sign in again."
            confirmLabel="Revoke all"
            onConfirm={() => revokeAll.mutateAsync()}
          >
            Revoke all tokens and sessions
          </ConfirmButton>
        }
      >
        <TokensTable kind="session" userUuid={u.uuid} label={`Sessions of ${name}`} />
      </Section>

      <UserAudit user={u} />

      <Section
        id="danger"
        title="Merge or delete"
        description="Merging moves the account's tokens, memberships and groups into another account; deleting removes the account, its tokens and its sessions."
      >
        <Group>
          <MergeButton user={u} />
          <ConfirmButton
            title={`Delete ${name}?`}
            message={`The account ${name} (${u.email ?? u.uuid}) is removed. This cannot be undone.`}
            confirmLabel="Delete user"
            onConfirm={() => remove.mutateAsync()}
          >
            Delete user
          </ConfirmButton>
        </Group>
      </Section>
    </Stack>
  );
}
