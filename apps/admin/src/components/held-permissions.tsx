import { Loader, Stack, Table, Text, VisuallyHidden } from '@mantine/core';
import type { LinkView } from '@roster/contracts';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { api, invalidate, type LinkListInput, PERMISSION_PROCEDURES, queries } from '../lib/api';
import { formatDateTime } from '../lib/format';
import { kindOf, usePrincipalNames } from '../lib/names';
import { notifyError, notifySuccess } from '../lib/notify';
import { ConfirmButton } from './confirm-button';
import { Pager } from './pager';
import { LevelBadge, PrincipalName } from './principal';

const PAGE_SIZE = 10;

interface HeldPermissionsProps {
  /** The user or group that holds the permissions (the links' tail). */
  holderUuid: string;
  holderName: string;
  /** Table caption, for screen readers and tests. */
  label: string;
  empty: string;
  /** Whether the signed-in user may take these permissions away. */
  canRevoke: boolean;
  testId: string;
}

/**
 * One page of the permission links a user or group holds: the groups it is a member of and the
 * users or groups shared with it, each with its level, removable after a confirmation.
 */
export function HeldPermissions({
  holderUuid,
  holderName,
  label,
  empty,
  canRevoke,
  testId,
}: HeldPermissionsProps) {
  const [page, setPage] = useState(1);
  const qc = useQueryClient();
  const input: LinkListInput = {
    filters: [
      ['tailUuid', '=', holderUuid],
      ['linkClass', '=', 'permission'],
    ],
    order: [{ field: 'createdAt', dir: 'asc' }],
    limit: PAGE_SIZE,
    offset: (page - 1) * PAGE_SIZE,
    count: true,
  };
  const list = useQuery(queries.links(input));
  const items = (list.data?.items ?? []) as LinkView[];
  const nameOf = usePrincipalNames(items.map((l) => l.headUuid));
  const revoke = useMutation({
    mutationFn: (link: LinkView) => api.permissions.revoke.mutate({ uuid: link.uuid }),
    onSuccess: (_link, link) => {
      notifySuccess(
        `${holderName} no longer holds ${link.name.replace('_', ' ')} on ${nameOf(link.headUuid) ?? link.headUuid}`,
      );
      return invalidate(qc, ...PERMISSION_PROCEDURES);
    },
    onError: (err) => notifyError(err, 'Could not remove the permission'),
  });

  if (list.isPending) return <Loader size="sm" aria-label={`Loading ${label}`} />;
  if (list.isError)
    return (
      <Text c="red">
        Could not load {label}: {list.error.message}
      </Text>
    );
  if (items.length === 0 && page === 1)
    return (
      <Text c="dimmed" size="sm" data-testid={`${testId}-empty`}>
        {empty}
      </Text>
    );
  return (
    <Stack gap="sm">
      <Table.ScrollContainer minWidth={560}>
        <Table striped aria-label={label} data-testid={testId}>
          <Table.Thead>
            <Table.Tr>
              <Table.Th>On</Table.Th>
              <Table.Th>Level</Table.Th>
              <Table.Th>Since</Table.Th>
              <Table.Th>
                <VisuallyHidden>Actions</VisuallyHidden>
              </Table.Th>
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {items.map((link) => {
              const target = nameOf(link.headUuid) ?? link.headUuid;
              return (
                <Table.Tr key={link.uuid} data-target={target}>
                  <Table.Td>
                    <PrincipalName uuid={link.headUuid} name={nameOf(link.headUuid)} withKind />
                  </Table.Td>
                  <Table.Td>
                    <LevelBadge level={link.name} />
                  </Table.Td>
                  <Table.Td>
                    <Text size="sm">{formatDateTime(link.createdAt)}</Text>
                  </Table.Td>
                  <Table.Td ta="right">
                    {canRevoke ? (
                      <ConfirmButton
                        size="xs"
                        variant="light"
                        aria-label={`Remove ${holderName}'s permission on ${target}`}
                        title={`Remove ${holderName}'s permission on ${target}?`}
                        message={
                          kindOf(holderUuid) === 'group'
                            ? `${holderName} loses ${link.name.replace('_', ' ')} on ${target}, and so do its members, unless they hold it another way.`
                            : `${holderName} loses ${link.name.replace('_', ' ')} on ${target}, unless they hold it through a group.`
                        }
                        confirmLabel="Remove"
                        onConfirm={() => revoke.mutateAsync(link)}
                      >
                        Remove
                      </ConfirmButton>
                    ) : null}
                  </Table.Td>
                </Table.Tr>
              );
            })}
          </Table.Tbody>
        </Table>
      </Table.ScrollContainer>
      <Pager
        page={page}
        size={PAGE_SIZE}
        total={list.data.itemsAvailable}
        shown={{ offset: list.data.offset, count: items.length }}
        onPage={setPage}
        noun="permissions"
      />
    </Stack>
  );
}
