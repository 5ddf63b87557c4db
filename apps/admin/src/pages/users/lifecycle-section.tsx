import { Badge, Button, Group, List, Stack, Text } from '@mantine/core';
import type { UserView } from '@roster/contracts';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useConfirm } from '../../components/confirm-button';
import { Section } from '../../components/section';
import { api, invalidate, PERMISSION_PROCEDURES, queries } from '../../lib/api';
import { notifyError, notifySuccess } from '../../lib/notify';

type Step = 'setup' | 'activate' | 'unsetup';

/** Where a user is in Arvados's lifecycle: not set up → set up (invited) → active. */
function stage(user: UserView) {
  if (user.isActive) return { label: 'active', color: 'teal' };
  if (user.isInvited) return { label: 'set up, not active', color: 'yellow' };
  return { label: 'not set up', color: 'gray' };
}

/**
 * Arvados's lifecycle actions: set up (joins "All users", which invites the user to sign the
 * agreements and activate themself), activate, and unset up, which undoes both and more.
 */
export function LifecycleSection({ user }: { user: UserView }) {
  const qc = useQueryClient();
  const { ask, dialog } = useConfirm();
  const name = user.username ?? user.uuid;
  const run = useMutation({
    mutationFn: async (step: Step): Promise<UserView> => {
      if (step === 'setup') return (await api.users.setup.mutate({ uuid: user.uuid })).user;
      if (step === 'activate') return api.users.activate.mutate({ uuid: user.uuid });
      return api.users.unsetup.mutate({ uuid: user.uuid });
    },
    onSuccess: (updated, step) => {
      qc.setQueryData(queries.user(updated.uuid).queryKey, updated);
      notifySuccess(
        step === 'setup'
          ? `${name} is set up`
          : step === 'activate'
            ? `${name} is active`
            : `${name} is no longer set up`,
      );
      return invalidate(qc, 'users.list', 'tokens.list', ...PERMISSION_PROCEDURES);
    },
    onError: (err, step) => {
      notifyError(
        err,
        `Could not ${step === 'unsetup' ? 'unset up' : step === 'setup' ? 'set up' : 'activate'} ${name}`,
      );
      return invalidate(qc, 'users.get');
    },
  });
  const current = stage(user);
  const busy = run.isPending ? run.variables : null;

  return (
    <Section
      id="lifecycle"
      title="Set up and activation"
      description="A user who is set up belongs to “All users” and may sign in to sign the agreements and activate their account; an administrator may also activate them directly."
    >
      {dialog}
      <Group gap="xs">
        <Text size="sm">Stage:</Text>
        <Badge color={current.color} variant="light" data-testid="lifecycle-stage">
          {current.label}
        </Badge>
      </Group>
      <Group gap="sm">
        {!user.isInvited ? (
          <Button variant="light" onClick={() => run.mutate('setup')} loading={busy === 'setup'}>
            Set up
          </Button>
        ) : null}
        {!user.isActive ? (
          <Button variant="light" onClick={() => run.mutate('activate')} loading={busy === 'activate'}>
            Activate
          </Button>
        ) : null}
        {user.isInvited || user.isActive ? (
          <Button
            variant="light"
            color="red"
            loading={busy === 'unsetup'}
            onClick={() =>
              ask({
                title: `Unset up ${name}?`,
                message: (
                  <Stack gap="xs" component="span">
                    <span>This takes {name} back to before they were set up:</span>
                    <List size="sm" spacing={2}>
                      <List.Item>they are deactivated, and lose administrator rights;</List.Item>
                      <List.Item>every API token and session of theirs is deleted;</List.Item>
                      <List.Item>
                        they leave every group, “All users” included, and lose every permission given to them
                        directly;
                      </List.Item>
                      <List.Item>their agreement signatures and preferences are erased.</List.Item>
                    </List>
                    <span>
                      The account itself, its profile and password stay. Setting them up again does not bring
                      back what was removed.
                    </span>
                  </Stack>
                ),
                confirmLabel: 'Unset up',
                onConfirm: () => run.mutateAsync('unsetup'),
              })
            }
          >
            Unset up
          </Button>
        ) : null}
      </Group>
    </Section>
  );
}
