import {
  Badge,
  Box,
  LoadingOverlay,
  NativeSelect,
  SegmentedControl,
  Stack,
  Table,
  Text,
  VisuallyHidden,
} from '@mantine/core';
import type { RouterOutputs } from '@roster/client';
import type { GroupView, PermissionLevel } from '@roster/contracts';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { ConfirmButton } from '../../components/confirm-button';
import { GrantForm, LEVEL_OPTIONS } from '../../components/grant-form';
import { Pager } from '../../components/pager';
import { LevelBadge, PrincipalName } from '../../components/principal';
import { Section } from '../../components/section';
import { api, invalidate, PERMISSION_PROCEDURES, queries } from '../../lib/api';
import { notifyError, notifySuccess } from '../../lib/notify';

const PAGE_SIZE = 10;

type Member = RouterOutputs['groups']['members']['items'][number];

/**
 * Who holds a permission on the group: its direct members (users and groups, each with a level
 * that managers may change or remove), or every user who reaches it through nested groups.
 */
export function MembersSection({ group }: { group: GroupView }) {
  const qc = useQueryClient();
  const [mode, setMode] = useState<'direct' | 'effective'>('direct');
  const [page, setPage] = useState(1);
  const list = useQuery(
    queries.members({ uuid: group.uuid, mode, limit: PAGE_SIZE, offset: (page - 1) * PAGE_SIZE }),
  );
  const manage = group.canManage && mode === 'direct';
  const done = (message: string) => {
    notifySuccess(message);
    return invalidate(qc, ...PERMISSION_PROCEDURES);
  };
  const setLevel = useMutation({
    mutationFn: (m: Member & { next: PermissionLevel }) =>
      api.permissions.grant.mutate({ tailUuid: m.memberUuid, headUuid: group.uuid, level: m.next }),
    onSuccess: (_l, m) =>
      done(`${m.name ?? m.memberUuid} now has ${m.next.replace('_', ' ')} on ${group.name}`),
    onError: (err) => notifyError(err, 'Could not change the level'),
  });
  const remove = useMutation({
    mutationFn: (m: Member) => api.permissions.revoke.mutate({ uuid: m.linkUuid! }),
    onSuccess: (_l, m) => done(`${m.name ?? m.memberUuid} was removed from ${group.name}`),
    onError: (err) => notifyError(err, 'Could not remove the member'),
  });

  const items = list.data?.items ?? [];
  return (
    <Section
      id="members"
      title="Members"
      description={
        mode === 'direct'
          ? 'Users and groups given a level on this group. Members of a member group take part too, at the weaker of the two levels.'
          : 'Every user and group that reaches this group, directly or through nested groups, at the weakest level on their best path.'
      }
      actions={
        <SegmentedControl
          aria-label="Which members"
          size="xs"
          value={mode}
          onChange={(v) => {
            setMode(v as typeof mode);
            setPage(1);
          }}
          data={[
            { value: 'direct', label: 'Direct' },
            { value: 'effective', label: 'Effective' },
          ]}
        />
      }
    >
      {group.canManage ? (
        <GrantForm
          fixed={{ side: 'headUuid', uuid: group.uuid }}
          pickLabel="Add a user or group"
          kinds={['user', 'group']}
          submitLabel="Add member"
          done={(name) => `${name} was added to ${group.name}`}
        />
      ) : null}
      {list.isError ? (
        <Text c="red">Could not load the members: {list.error.message}</Text>
      ) : list.isPending ? null : items.length === 0 && page === 1 ? (
        <Text c="dimmed" size="sm" data-testid="members-empty">
          {mode === 'direct' ? 'No members yet.' : 'Nobody reaches this group.'}
        </Text>
      ) : (
        <Stack gap="sm">
          <Box pos="relative">
            <LoadingOverlay visible={list.isFetching} overlayProps={{ blur: 0, backgroundOpacity: 0.4 }} />
            <Table striped aria-label={`Members of ${group.name}`} data-testid="members-table">
              <Table.Thead>
                <Table.Tr>
                  <Table.Th>Member</Table.Th>
                  <Table.Th>Kind</Table.Th>
                  <Table.Th>Level</Table.Th>
                  {manage ? (
                    <Table.Th>
                      <VisuallyHidden>Actions</VisuallyHidden>
                    </Table.Th>
                  ) : null}
                </Table.Tr>
              </Table.Thead>
              <Table.Tbody>
                {items.map((m) => {
                  const name = m.name ?? m.memberUuid;
                  return (
                    <Table.Tr key={m.memberUuid} data-member={name}>
                      <Table.Td>
                        <PrincipalName uuid={m.memberUuid} name={m.name} />
                      </Table.Td>
                      <Table.Td>
                        <Badge size="sm" variant="outline" color={m.kind === 'group' ? 'grape' : 'blue'}>
                          {m.kind}
                        </Badge>
                      </Table.Td>
                      <Table.Td>
                        {manage && m.linkUuid ? (
                          <NativeSelect
                            size="xs"
                            w={140}
                            aria-label={`Level of ${name}`}
                            value={m.level}
                            data={LEVEL_OPTIONS}
                            disabled={setLevel.isPending}
                            onChange={(e) =>
                              setLevel.mutate({ ...m, next: e.currentTarget.value as PermissionLevel })
                            }
                          />
                        ) : (
                          <LevelBadge level={m.level} />
                        )}
                      </Table.Td>
                      {manage ? (
                        <Table.Td ta="right">
                          {m.linkUuid ? (
                            <ConfirmButton
                              size="xs"
                              variant="light"
                              aria-label={`Remove ${name}`}
                              title={`Remove ${name} from ${group.name}?`}
                              message={
                                m.kind === 'group'
                                  ? `The members of ${name} lose what they held through ${group.name}, unless they hold it another way.`
                                  : `${name} loses what they held through ${group.name}, unless they hold it another way.`
                              }
                              confirmLabel="Remove member"
                              onConfirm={() => remove.mutateAsync(m)}
                            >
                              Remove
                            </ConfirmButton>
                          ) : null}
                        </Table.Td>
                      ) : null}
                    </Table.Tr>
                  );
                })}
              </Table.Tbody>
            </Table>
          </Box>
          <Pager
            page={page}
            size={PAGE_SIZE}
            total={list.data?.itemsAvailable}
            shown={list.data ? { offset: list.data.offset, count: items.length } : undefined}
            onPage={setPage}
            noun="members"
          />
        </Stack>
      )}
    </Section>
  );
}
