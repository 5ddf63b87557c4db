import { Alert, Anchor, Badge, Group, Loader, Stack, Text, Title } from '@mantine/core';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { Link, useNavigate, useParams } from 'react-router';
import { ConfirmButton } from '../../components/confirm-button';
import { GrantForm } from '../../components/grant-form';
import { HeldPermissions } from '../../components/held-permissions';
import { PrincipalName } from '../../components/principal';
import { Section } from '../../components/section';
import { api, invalidate, PERMISSION_PROCEDURES, queries } from '../../lib/api';
import { formatDateTime } from '../../lib/format';
import { usePrincipalNames } from '../../lib/names';
import { notifyError, notifySuccess } from '../../lib/notify';
import { GroupDetailsForm } from './group-form';
import { MembersSection } from './members-section';

export default function GroupPage() {
  const { uuid = '' } = useParams();
  const navigate = useNavigate();
  const qc = useQueryClient();
  const group = useQuery(queries.group(uuid));
  const ownerName = usePrincipalNames([group.data?.ownerUuid]);
  const remove = useMutation({
    mutationFn: () => api.groups.delete.mutate({ uuid }),
    onSuccess: (deleted) => {
      notifySuccess(`Group ${deleted.name} was deleted`);
      qc.removeQueries({ queryKey: queries.group(uuid).queryKey });
      void invalidate(qc, ...PERMISSION_PROCEDURES);
      navigate('/groups');
    },
    onError: (err) => notifyError(err, 'Could not delete the group'),
  });

  const back = (
    <Anchor component={Link} to="/groups" size="sm">
      ← Groups
    </Anchor>
  );
  if (group.isPending) return <Loader aria-label="Loading the group" />;
  if (group.isError)
    return (
      <Stack>
        {back}
        <Alert color="red" title="Could not load the group">
          {group.error.message}
        </Alert>
      </Stack>
    );
  const g = group.data;
  return (
    <Stack gap="lg">
      {back}
      <Stack gap={4}>
        <Group gap="sm">
          <Title order={1} size="h2">
            {g.name}
          </Title>
          {g.builtIn ? <Badge variant="outline">built in</Badge> : null}
          {g.canManage ? (
            <Badge variant="light" color="violet">
              you manage it
            </Badge>
          ) : null}
        </Group>
        <Group gap={6}>
          <Text size="sm" c="dimmed">
            {g.uuid} · id {g.id} · created {formatDateTime(g.createdAt)} · owner
          </Text>
          <PrincipalName uuid={g.ownerUuid} name={ownerName(g.ownerUuid)} />
        </Group>
      </Stack>

      <Section
        id="group-details"
        title="Details"
        description={g.builtIn ? 'Built-in groups cannot be renamed.' : undefined}
      >
        <GroupDetailsForm group={g} />
      </Section>

      <MembersSection group={g} />

      <Section
        id="group-permissions"
        title="Permissions of this group"
        description={`What ${g.name} holds, and so what its members get through it: the groups it is a member of and the users or groups shared with it.`}
      >
        {g.canManage ? (
          <GrantForm
            fixed={{ side: 'tailUuid', uuid: g.uuid }}
            pickLabel="Give this group a level on"
            kinds={['group']}
            submitLabel="Grant"
            done={(name) => `${g.name} now holds a permission on ${name}`}
          />
        ) : null}
        <HeldPermissions
          holderUuid={g.uuid}
          holderName={g.name}
          label={`Permissions of ${g.name}`}
          empty="This group holds no permissions of its own."
          canRevoke={g.canManage}
          testId="group-permissions"
        />
      </Section>

      {g.canManage && !g.builtIn ? (
        <Section
          id="group-danger"
          title="Delete"
          description="Deleting removes the group and every membership and permission to or from it."
        >
          <Group>
            <ConfirmButton
              title={`Delete ${g.name}?`}
              message={`The group ${g.name} is removed, with its memberships: its members lose what they held through it. This cannot be undone.`}
              confirmLabel="Delete group"
              onConfirm={() => remove.mutateAsync()}
            >
              Delete group
            </ConfirmButton>
          </Group>
        </Section>
      ) : null}
    </Stack>
  );
}
