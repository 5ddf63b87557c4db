import { Badge, Code, Group, Loader, Stack, Table, Text, VisuallyHidden } from '@mantine/core';
import type { TokenView } from '@roster/contracts';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { api, queries, type TokenListInput } from '../lib/api';
import { formatDateTime } from '../lib/format';
import { notifyError, notifySuccess } from '../lib/notify';
import { ConfirmButton } from './confirm-button';
import { Pager } from './pager';

const PAGE_SIZE = 10;

interface TokensTableProps {
  kind: 'api' | 'session';
  /** Another user's tokens (admins); omit for the signed-in user's own. */
  userUuid?: string;
  /** Table caption, for screen readers and tests. */
  label: string;
}

/** One page of a user's API tokens or sessions, newest first, each revocable after a confirmation. */
export function TokensTable({ kind, userUuid, label }: TokensTableProps) {
  const [page, setPage] = useState(1);
  const qc = useQueryClient();
  const filters: NonNullable<TokenListInput['filters']> = [['kind', '=', kind]];
  if (userUuid) filters.push(['userUuid', '=', userUuid]);
  const input: TokenListInput = {
    filters,
    order: [{ field: 'createdAt', dir: 'desc' }],
    limit: PAGE_SIZE,
    offset: (page - 1) * PAGE_SIZE,
    count: true,
  };
  const list = useQuery(queries.tokens(input));
  const revoke = useMutation({
    mutationFn: (uuid: string) => api.tokens.revoke.mutate({ uuid }),
    onSuccess: () => {
      notifySuccess(kind === 'api' ? 'The token was revoked' : 'The session was signed out');
      return qc.invalidateQueries({ queryKey: ['tokens.list'] });
    },
    onError: (err) =>
      notifyError(err, kind === 'api' ? 'Could not revoke the token' : 'Could not end the session'),
  });

  if (list.isPending) return <Loader size="sm" aria-label={`Loading ${label}`} />;
  if (list.isError)
    return (
      <Text c="red">
        Could not load {label}: {list.error.message}
      </Text>
    );
  const items = list.data.items as TokenView[];
  if (items.length === 0 && page === 1) {
    return (
      <Text c="dimmed" size="sm" data-testid={`${kind}-tokens-empty`}>
        {kind === 'api' ? 'No API tokens.' : 'No sessions.'}
      </Text>
    );
  }
  return (
    <Stack gap="sm">
      <Table.ScrollContainer minWidth={640}>
        <Table striped highlightOnHover aria-label={label} data-testid={`${kind}-tokens`}>
          <Table.Thead>
            <Table.Tr>
              <Table.Th>{kind === 'api' ? 'Label' : 'Session'}</Table.Th>
              {kind === 'api' ? <Table.Th>Scopes</Table.Th> : null}
              <Table.Th>Created</Table.Th>
              <Table.Th>Expires</Table.Th>
              <Table.Th>Last used</Table.Th>
              <Table.Th>
                <VisuallyHidden>Actions</VisuallyHidden>
              </Table.Th>
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {items.map((t) => {
              const name = t.label || (kind === 'api' ? 'Untitled token' : 'Session');
              return (
                <Table.Tr key={t.uuid} data-token={t.uuid}>
                  <Table.Td>
                    <Group gap="xs">
                      <Text size="sm">{name}</Text>
                      {t.current ? (
                        <Badge size="sm" variant="light">
                          {kind === 'api' ? 'this token' : 'this session'}
                        </Badge>
                      ) : null}
                    </Group>
                    <Text size="xs" c="dimmed">
                      {t.uuid}
                    </Text>
                  </Table.Td>
                  {kind === 'api' ? (
                    <Table.Td>
                      {t.scopes.map((s) => (
                        <Code key={s} mr={4}>
                          {s}
                        </Code>
                      ))}
                    </Table.Td>
                  ) : null}
                  <Table.Td>
                    <Text size="sm">{formatDateTime(t.createdAt)}</Text>
                    {t.createdByIp ? (
                      <Text size="xs" c="dimmed">
                        from {t.createdByIp}
                      </Text>
                    ) : null}
                    {t.createdByUserAgent ? (
                      <Text size="xs" c="dimmed" lineClamp={1} maw={280} title={t.createdByUserAgent}>
                        {t.createdByUserAgent}
                      </Text>
                    ) : null}
                  </Table.Td>
                  <Table.Td>
                    <Text size="sm">{formatDateTime(t.expiresAt, 'never')}</Text>
                  </Table.Td>
                  <Table.Td>
                    <Text size="sm">{formatDateTime(t.lastUsedAt, 'never')}</Text>
                    {t.lastUsedByIp ? (
                      <Text size="xs" c="dimmed">
                        from {t.lastUsedByIp}
                      </Text>
                    ) : null}
                  </Table.Td>
                  <Table.Td ta="right">
                    {t.current ? null : (
                      <ConfirmButton
                        size="xs"
                        variant="light"
                        aria-label={`Revoke ${name} (${t.uuid})`}
                        title={kind === 'api' ? `Revoke ${name}?` : 'Sign this session out?'}
                        message={
                          kind === 'api'
                            ? 'Programs using this token will be refused from now on. This cannot be undone.'
                            : 'The browser or program holding this session will have to sign in again.'
                        }
                        confirmLabel={kind === 'api' ? 'Revoke token' : 'Sign out session'}
                        onConfirm={() => revoke.mutateAsync(t.uuid)}
                      >
                        {kind === 'api' ? 'Revoke' : 'Sign out'}
                      </ConfirmButton>
                    )}
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
        noun={kind === 'api' ? 'tokens' : 'sessions'}
      />
    </Stack>
  );
}
