import { type ComboboxItem, type ComboboxItemGroup, Select, Stack, Text } from '@mantine/core';
import { useDebouncedValue } from '@mantine/hooks';
import { escapeLike } from '@roster/contracts';
import { useQuery } from '@tanstack/react-query';
import { useState } from 'react';
import { queries } from '../lib/api';
import type { PrincipalKind } from '../lib/names';

const SUGGESTIONS = 10;

interface PrincipalPickerProps {
  label: string;
  description?: string;
  /** What may be picked. */
  kinds: readonly PrincipalKind[];
  /** Uuids left out of the suggestions (the group itself, the user being merged). */
  exclude?: readonly string[];
  value: string | null;
  /** The picked uuid and the name shown for it. */
  onChange: (uuid: string | null, name: string | null) => void;
  error?: string | undefined;
}

/**
 * A searchable choice of a user (by username, or email when the term has an "@") or a group (by
 * name). The server does the matching, a prefix whatever the case; ten suggestions of each kind.
 */
export function PrincipalPicker({
  label,
  description,
  kinds,
  exclude = [],
  value,
  onChange,
  error,
}: PrincipalPickerProps) {
  const [search, setSearch] = useState('');
  const [term] = useDebouncedValue(search.trim(), 250);
  // The chosen option stays listed while another search runs, so the input keeps showing it.
  const [picked, setPicked] = useState<(ComboboxItem & { kind: PrincipalKind }) | null>(null);
  const pattern = term ? `${escapeLike(term)}%` : null;
  const userField = term.includes('@') ? 'email' : 'username';

  const users = useQuery({
    ...queries.users({
      filters: pattern ? [[userField, 'ilike', pattern]] : [],
      order: [{ field: userField, dir: 'asc' }],
      limit: SUGGESTIONS,
      select: ['uuid', 'username', 'email', 'fullName'],
    }),
    enabled: kinds.includes('user'),
  });
  const groups = useQuery({
    ...queries.groups({
      filters: pattern ? [['name', 'ilike', pattern]] : [],
      order: [{ field: 'name', dir: 'asc' }],
      limit: SUGGESTIONS,
      select: ['uuid', 'name'],
    }),
    enabled: kinds.includes('group'),
  });

  const skip = new Set(exclude);
  const userItems = (users.data?.items ?? [])
    .filter((u) => !skip.has(u.uuid))
    .map((u) => ({
      value: u.uuid,
      label: u.username ?? u.email ?? u.uuid,
      detail: [u.fullName, u.email].filter(Boolean).join(' · '),
    }));
  const groupItems = (groups.data?.items ?? [])
    .filter((g) => !skip.has(g.uuid))
    .map((g) => ({ value: g.uuid, label: g.name ?? g.uuid, detail: g.uuid }));
  if (picked && value === picked.value) {
    const list = picked.kind === 'user' ? userItems : groupItems;
    if (!list.some((i) => i.value === picked.value)) list.push({ ...picked, detail: '' });
  }
  const details = new Map([...userItems, ...groupItems].map((i) => [i.value, i.detail]));
  const data: ComboboxItemGroup<ComboboxItem>[] = [];
  if (kinds.includes('user')) data.push({ group: 'Users', items: userItems });
  if (kinds.includes('group')) data.push({ group: 'Groups', items: groupItems });

  const loading = users.isFetching || groups.isFetching;
  return (
    <Select
      label={label}
      description={description}
      placeholder={kinds.length > 1 ? 'Search users and groups…' : `Search ${kinds[0]}s…`}
      searchable
      clearable
      searchValue={search}
      onSearchChange={setSearch}
      // The server already matched; Mantine's own filter would hide what it found by email.
      filter={({ options }) => options}
      data={kinds.length > 1 ? data : (data[0]?.items ?? [])}
      value={value}
      onChange={(uuid, option) => {
        setPicked(
          uuid && option
            ? { ...option, kind: userItems.some((i) => i.value === uuid) ? 'user' : 'group' }
            : null,
        );
        onChange(uuid, option?.label ?? null);
      }}
      renderOption={({ option }) => (
        <Stack gap={0}>
          <Text size="sm">{option.label}</Text>
          {details.get(option.value) ? (
            <Text size="xs" c="dimmed">
              {details.get(option.value)}
            </Text>
          ) : null}
        </Stack>
      )}
      nothingFoundMessage={loading ? 'Searching…' : 'Nothing matches'}
      error={error}
    />
  );
}
