import {
  Alert,
  Anchor,
  Badge,
  Box,
  Button,
  EmptyState,
  Group,
  LoadingOverlay,
  Stack,
  Table,
  Text,
  TextInput,
  Title,
} from '@mantine/core';
import { escapeLike, type GroupView } from '@roster/contracts';
import { useQuery } from '@tanstack/react-query';
import { Link } from 'react-router';
import { Pager } from '../../components/pager';
import { PrincipalName } from '../../components/principal';
import { type GroupListInput, queries } from '../../lib/api';
import { formatDate } from '../../lib/format';
import { usePrincipalNames } from '../../lib/names';
import { oneOf, pageParam, useDebouncedText, useUrlState } from '../../lib/url-state';
import { CreateGroupButton } from './group-form';

const SIZES = [25, 50, 100] as const;
const DEFAULTS = { q: '', dir: 'asc', page: 1, size: 25 };
type GroupSearch = typeof DEFAULTS;

const parse = (params: URLSearchParams): GroupSearch => {
  const size = Number(params.get('size'));
  return {
    q: (params.get('q') ?? '').slice(0, 255),
    dir: oneOf(params.get('dir'), ['asc', 'desc'], 'asc'),
    page: pageParam(params.get('page')),
    size: (SIZES as readonly number[]).includes(size) ? size : DEFAULTS.size,
  };
};

export function groupListInput(s: GroupSearch): GroupListInput {
  const term = s.q.trim();
  return {
    filters: term ? [['name', 'ilike', `${escapeLike(term)}%`]] : [],
    order: [{ field: 'name', dir: s.dir === 'desc' ? 'desc' : 'asc' }],
    limit: s.size,
    offset: (s.page - 1) * s.size,
    count: true,
    select: ['uuid', 'name', 'description', 'ownerUuid', 'createdAt', 'builtIn', 'canManage'],
  };
}

/** Every group the signed-in user can see (all of them for administrators), by name, in pages. */
export default function GroupsPage() {
  const { state: search, update } = useUrlState(parse, DEFAULTS);
  const [text, setText] = useDebouncedText(search.q, (q) => update({ q }, { replace: true }));
  const list = useQuery(queries.groups(groupListInput(search)));
  const items = (list.data?.items ?? []) as Partial<GroupView>[];
  const ownerName = usePrincipalNames(items.map((g) => g.ownerUuid));
  const total = list.data?.itemsAvailable;
  const sorted = search.dir === 'asc' ? 'ascending' : 'descending';

  return (
    <Stack gap="md">
      <Group justify="space-between">
        <Title order={1} size="h2">
          Groups
        </Title>
        <CreateGroupButton />
      </Group>
      <Group role="search" aria-label="Filter groups" align="flex-end">
        <TextInput
          label="Search"
          placeholder="Name starts with…"
          type="search"
          value={text}
          onChange={(e) => setText(e.currentTarget.value)}
          w={280}
        />
        {search.q ? (
          <Button variant="subtle" onClick={() => update({ q: '' })}>
            Clear search
          </Button>
        ) : null}
      </Group>
      {list.isError ? (
        <Alert color="red" title="Could not load the groups">
          {list.error.message}
        </Alert>
      ) : null}
      <Box pos="relative">
        <LoadingOverlay
          visible={list.isFetching}
          overlayProps={{ blur: 0, backgroundOpacity: 0.4 }}
          loaderProps={{ size: 'sm' }}
        />
        <Table.ScrollContainer minWidth={760}>
          <Table
            striped
            highlightOnHover
            aria-label="Groups"
            aria-busy={list.isFetching}
            data-testid="groups-table"
          >
            <Table.Thead>
              <Table.Tr>
                <Table.Th aria-sort={sorted}>
                  <button
                    type="button"
                    className="sort-button"
                    onClick={() => update({ dir: search.dir === 'asc' ? 'desc' : 'asc' })}
                  >
                    Name<span aria-hidden="true">{search.dir === 'asc' ? ' ▲' : ' ▼'}</span>
                  </button>
                </Table.Th>
                <Table.Th>Description</Table.Th>
                <Table.Th>Owner</Table.Th>
                <Table.Th>Created</Table.Th>
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {items.map((g) => (
                <Table.Tr key={g.uuid} data-group={g.name}>
                  <Table.Td>
                    <Group gap="xs">
                      <Anchor component={Link} to={`/groups/${g.uuid}`} fw={600}>
                        {g.name}
                      </Anchor>
                      {g.builtIn ? (
                        <Badge size="xs" variant="outline">
                          built in
                        </Badge>
                      ) : null}
                    </Group>
                  </Table.Td>
                  <Table.Td>
                    <Text size="sm" lineClamp={2}>
                      {g.description || '—'}
                    </Text>
                  </Table.Td>
                  <Table.Td>
                    {g.ownerUuid ? <PrincipalName uuid={g.ownerUuid} name={ownerName(g.ownerUuid)} /> : '—'}
                  </Table.Td>
                  <Table.Td>{formatDate(g.createdAt)}</Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        </Table.ScrollContainer>
        {list.isSuccess && items.length === 0 ? (
          <EmptyState
            py="xl"
            title={total ? 'No groups on this page' : search.q ? 'No group matches' : 'No groups yet'}
            description={
              total
                ? 'The list is shorter than this page number.'
                : search.q
                  ? 'Try another name.'
                  : 'Create the first one with “New group”.'
            }
          >
            {total ? (
              <Button variant="light" onClick={() => update({ page: 1 })}>
                Go to the first page
              </Button>
            ) : null}
          </EmptyState>
        ) : null}
      </Box>
      <Pager
        page={search.page}
        size={search.size}
        total={total}
        shown={list.data ? { offset: list.data.offset, count: items.length } : undefined}
        onPage={(page) => update({ page })}
        sizes={SIZES}
        onSize={(size) => update({ size })}
        noun="groups"
      />
    </Stack>
  );
}
