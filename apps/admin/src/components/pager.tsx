import { Group, NativeSelect, Pagination, Text } from '@mantine/core';

interface PagerProps {
  /** 1-based. */
  page: number;
  size: number;
  total: number | undefined;
  /** The rows on screen: the summary describes them, not the page being fetched. */
  shown?: { offset: number; count: number } | undefined;
  onPage: (page: number) => void;
  sizes?: readonly number[];
  onSize?: (size: number) => void;
  /** What the rows are, for the summary ("users"). */
  noun: string;
}

/** "1–50 of 502 users", page links and the page size. */
export function Pager({ page, size, total, shown, onPage, sizes, onSize, noun }: PagerProps) {
  const count = total ?? 0;
  const pages = Math.max(1, Math.ceil(count / size));
  const offset = shown?.offset ?? (page - 1) * size;
  const rows = shown?.count ?? Math.max(0, Math.min(size, count - offset));
  const first = rows === 0 ? 0 : offset + 1;
  const last = offset + rows;
  return (
    <Group justify="space-between" wrap="wrap" gap="sm">
      <Text size="sm" c="dimmed" aria-live="polite" data-testid="pager-summary">
        {total === undefined ? '…' : `${first}–${last} of ${count} ${noun}`}
      </Text>
      <Group gap="sm">
        {sizes && onSize ? (
          <NativeSelect
            aria-label="Rows per page"
            size="xs"
            value={String(size)}
            data={sizes.map(String)}
            onChange={(e) => onSize(Number(e.currentTarget.value))}
          />
        ) : null}
        <Pagination
          total={pages}
          value={Math.min(page, pages)}
          onChange={onPage}
          size="sm"
          withEdges
          getControlProps={(control) => ({ 'aria-label': `${control} page` })}
          getItemProps={(p) => ({ 'aria-label': `Page ${p}` })}
        />
      </Group>
    </Group>
  );
}
