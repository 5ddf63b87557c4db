import {
  Alert,
  Anchor,
  Badge,
  Box,
  Button,
  EmptyState,
  Group,
  LoadingOverlay,
  NativeSelect,
  Stack,
  Table,
  TextInput,
  Title,
} from '@mantine/core';
import { useDebouncedValue } from '@mantine/hooks';
import type { UserListItem } from '@roster/contracts';
import { useQuery } from '@tanstack/react-query';
import { type ColumnDef, flexRender, getCoreRowModel, useReactTable } from '@tanstack/react-table';
import { useEffect, useMemo, useState } from 'react';
import { Link, useSearchParams } from 'react-router';
import { Pager } from '../../components/pager';
import { queries } from '../../lib/api';
import { formatDate, formatDateTime } from '../../lib/format';
import {
  DEFAULT_SEARCH,
  PAGE_SIZES,
  parseUserSearch,
  type UserSearch,
  type UserSortField,
  userListInput,
  userSearchParams,
} from '../../lib/user-search';
import { CreateUserButton } from './create-user-button';

const displayName = (u: UserListItem) => u.username ?? u.email ?? u.uuid;

/** Columns; the id of a sortable column is the users.list field it sorts on. */
function userColumns(returnTo: string): ColumnDef<UserListItem>[] {
  return [
    {
      id: 'username',
      header: 'Username',
      accessorFn: (u) => u.username,
      cell: ({ row }) => (
        <Anchor component={Link} to={`/users/${row.original.uuid}`} state={{ returnTo }} fw={600}>
          {displayName(row.original)}
        </Anchor>
      ),
    },
    {
      id: 'email',
      header: 'Email',
      accessorFn: (u) => u.email,
      cell: ({ row }) => row.original.email ?? '—',
    },
    {
      id: 'lastName',
      header: 'Name',
      accessorFn: (u) => u.fullName,
      cell: ({ row }) => row.original.fullName || '—',
    },
    {
      id: 'isAdmin',
      header: 'Role',
      accessorFn: (u) => u.isAdmin,
      enableSorting: false,
      cell: ({ row }) => (row.original.isAdmin ? <Badge variant="light">admin</Badge> : 'user'),
    },
    {
      id: 'isActive',
      header: 'Status',
      accessorFn: (u) => u.isActive,
      enableSorting: false,
      cell: ({ row }) =>
        row.original.isActive ? (
          <Badge color="teal" variant="light">
            active
          </Badge>
        ) : (
          <Badge color="gray" variant="light">
            inactive
          </Badge>
        ),
    },
    {
      id: 'createdAt',
      header: 'Created',
      accessorFn: (u) => u.createdAt,
      cell: ({ row }) => formatDate(row.original.createdAt),
    },
    {
      id: 'lastLoginAt',
      header: 'Last sign-in',
      accessorFn: (u) => u.lastLoginAt,
      cell: ({ row }) => formatDateTime(row.original.lastLoginAt, 'never'),
    },
  ];
}

/** The directory: search, filters, sortable columns and pages, all kept in the address. */
export default function UsersPage() {
  const [params, setParams] = useSearchParams();
  const search = useMemo(() => parseUserSearch(params), [params]);
  const update = (patch: Partial<UserSearch>, opts: { replace?: boolean } = {}) => {
    // Any change but a page turn starts again from the first page.
    const next = { ...search, ...('page' in patch ? {} : { page: 1 }), ...patch };
    setParams(userSearchParams(next), { replace: opts.replace ?? false });
  };

  // The search box updates the address as the user pauses typing, without a history entry per key.
  const [text, setText] = useState(search.q);
  const [debounced] = useDebouncedValue(text, 300);
  // biome-ignore lint/correctness/useExhaustiveDependencies: only a new debounced term should write the address
  useEffect(() => {
    if (debounced !== search.q) update({ q: debounced }, { replace: true });
  }, [debounced]);
  useEffect(() => setText(search.q), [search.q]);

  const list = useQuery(queries.users(userListInput(search)));
  const returnTo = `/users${params.size ? `?${params}` : ''}`;
  const columns = useMemo(() => userColumns(returnTo), [returnTo]);
  const table = useReactTable({
    data: (list.data?.items ?? []) as UserListItem[],
    columns,
    getCoreRowModel: getCoreRowModel(),
    getRowId: (row) => row.uuid,
    manualSorting: true,
    manualPagination: true,
    rowCount: list.data?.itemsAvailable ?? 0,
    state: {
      sorting: [{ id: search.sort, desc: search.dir === 'desc' }],
      pagination: { pageIndex: search.page - 1, pageSize: search.size },
    },
  });
  const sortBy = (field: UserSortField) =>
    update({ sort: field, dir: search.sort === field && search.dir === 'asc' ? 'desc' : 'asc' });

  const filtered =
    userSearchParams({
      ...search,
      page: 1,
      size: DEFAULT_SEARCH.size,
      sort: DEFAULT_SEARCH.sort,
      dir: DEFAULT_SEARCH.dir,
    }).size > 0;
  const rows = table.getRowModel().rows;
  const total = list.data?.itemsAvailable;

  return (
    <Stack gap="md">
      <Group justify="space-between">
        <Title order={1} size="h2">
          Users
        </Title>
        <CreateUserButton />
      </Group>

      <Group align="flex-end" gap="sm" wrap="wrap" role="search" aria-label="Filter users">
        <TextInput
          label="Search"
          placeholder={search.in === 'email' ? 'Email starts with…' : 'Username starts with…'}
          value={text}
          onChange={(e) => setText(e.currentTarget.value)}
          w={240}
          type="search"
        />
        <NativeSelect
          label="Search in"
          value={search.in}
          onChange={(e) => update({ in: e.currentTarget.value as UserSearch['in'] })}
          data={[
            { value: 'username', label: 'Username' },
            { value: 'email', label: 'Email' },
          ]}
        />
        <NativeSelect
          label="Status"
          value={search.active}
          onChange={(e) => update({ active: e.currentTarget.value as UserSearch['active'] })}
          data={[
            { value: 'any', label: 'Any' },
            { value: 'yes', label: 'Active' },
            { value: 'no', label: 'Inactive' },
          ]}
        />
        <NativeSelect
          label="Role"
          value={search.admin}
          onChange={(e) => update({ admin: e.currentTarget.value as UserSearch['admin'] })}
          data={[
            { value: 'any', label: 'Any' },
            { value: 'yes', label: 'Administrators' },
            { value: 'no', label: 'Users' },
          ]}
        />
        <TextInput
          label="Created from"
          type="date"
          value={search.from}
          max={search.to || undefined}
          onChange={(e) => update({ from: e.currentTarget.value })}
        />
        <TextInput
          label="Created until"
          type="date"
          value={search.to}
          min={search.from || undefined}
          onChange={(e) => update({ to: e.currentTarget.value })}
        />
        {filtered ? (
          <Button
            variant="subtle"
            onClick={() => {
              setText('');
              update({ q: '', in: 'username', active: 'any', admin: 'any', from: '', to: '' });
            }}
          >
            Clear filters
          </Button>
        ) : null}
      </Group>

      {list.isError ? (
        <Alert color="red" title="Could not load the users">
          {list.error.message}
        </Alert>
      ) : null}

      <Box pos="relative">
        <LoadingOverlay
          visible={list.isFetching}
          overlayProps={{ blur: 0, backgroundOpacity: 0.4 }}
          loaderProps={{ size: 'sm' }}
        />
        <Table.ScrollContainer minWidth={900}>
          <Table
            striped
            highlightOnHover
            aria-label="Users"
            aria-busy={list.isFetching}
            data-testid="users-table"
          >
            <Table.Thead>
              {table.getHeaderGroups().map((group) => (
                <Table.Tr key={group.id}>
                  {group.headers.map((header) => {
                    const sortable = header.column.getCanSort();
                    const sorted = search.sort === header.column.id ? search.dir : undefined;
                    const label = flexRender(header.column.columnDef.header, header.getContext());
                    return (
                      <Table.Th
                        key={header.id}
                        aria-sort={sorted ? (sorted === 'asc' ? 'ascending' : 'descending') : undefined}
                      >
                        {sortable ? (
                          <button
                            type="button"
                            className="sort-button"
                            onClick={() => sortBy(header.column.id as UserSortField)}
                          >
                            {label}
                            <span aria-hidden="true">
                              {sorted === 'asc' ? ' ▲' : sorted === 'desc' ? ' ▼' : ' ↕'}
                            </span>
                          </button>
                        ) : (
                          label
                        )}
                      </Table.Th>
                    );
                  })}
                </Table.Tr>
              ))}
            </Table.Thead>
            <Table.Tbody>
              {rows.map((row) => (
                <Table.Tr key={row.id} data-user={row.original.username ?? row.id}>
                  {row.getVisibleCells().map((cell) => (
                    <Table.Td key={cell.id}>
                      {flexRender(cell.column.columnDef.cell, cell.getContext())}
                    </Table.Td>
                  ))}
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        </Table.ScrollContainer>
        {list.isSuccess && rows.length === 0 ? (
          <EmptyState
            py="xl"
            title={total ? 'No users on this page' : filtered ? 'No user matches' : 'No users yet'}
            description={
              total
                ? 'The list is shorter than this page number.'
                : filtered
                  ? 'Try another search, or clear the filters.'
                  : 'Create the first one with “New user”.'
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
        shown={list.data ? { offset: list.data.offset, count: list.data.items.length } : undefined}
        onPage={(page) => update({ page })}
        sizes={PAGE_SIZES}
        onSize={(size) => update({ size })}
        noun="users"
      />
    </Stack>
  );
}
