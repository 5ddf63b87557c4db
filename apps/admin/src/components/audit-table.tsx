import { Badge, Code, Table, Text, Tooltip } from '@mantine/core';
import type { AuditEventView } from '@roster/contracts';
import { type ColumnDef, flexRender, getCoreRowModel, useReactTable } from '@tanstack/react-table';
import { formatDateTime } from '../lib/format';
import { usePrincipalNames } from '../lib/names';
import { PrincipalName } from './principal';

export type AuditRow = Partial<AuditEventView> & { uuid: string };

const OUTCOME_COLORS = { success: 'teal', failure: 'orange', denied: 'red' } as const;

/** The input of the call, compact: `key: value` pairs, credentials already redacted by the server. */
function summary(changes: Record<string, unknown> | undefined): string {
  if (!changes) return '';
  return Object.entries(changes)
    .map(([k, v]) => `${k}: ${typeof v === 'string' ? v : JSON.stringify(v)}`)
    .join(', ');
}

function columns(nameOf: (uuid: string | null | undefined) => string | undefined): ColumnDef<AuditRow>[] {
  return [
    {
      id: 'at',
      header: 'When',
      cell: ({ row }) => <Text size="sm">{formatDateTime(row.original.at)}</Text>,
    },
    {
      id: 'actor',
      header: 'Actor',
      enableSorting: false,
      cell: ({ row }) => {
        const uuid = row.original.actorUuid;
        return uuid ? <PrincipalName uuid={uuid} name={nameOf(uuid)} /> : <Text size="sm">anonymous</Text>;
      },
    },
    {
      id: 'action',
      header: 'Action',
      enableSorting: false,
      cell: ({ row }) => <Code>{row.original.action}</Code>,
    },
    {
      id: 'target',
      header: 'Target',
      enableSorting: false,
      cell: ({ row }) => {
        const uuid = row.original.targetUuid;
        return uuid ? <PrincipalName uuid={uuid} name={nameOf(uuid)} /> : '—';
      },
    },
    {
      id: 'outcome',
      header: 'Outcome',
      enableSorting: false,
      cell: ({ row }) => {
        const { outcome, errorCode } = row.original;
        return (
          <>
            <Badge variant="light" color={outcome ? OUTCOME_COLORS[outcome] : 'gray'}>
              {outcome}
            </Badge>
            {errorCode ? (
              <Text size="xs" c="dimmed">
                {errorCode}
              </Text>
            ) : null}
          </>
        );
      },
    },
    {
      id: 'details',
      header: 'Details',
      enableSorting: false,
      cell: ({ row }) => {
        const text = summary(row.original.changes);
        return (
          <>
            {text ? (
              <Tooltip label={text} multiline maw={480} openDelay={300}>
                <Text size="xs" ff="monospace" lineClamp={2} maw={360}>
                  {text}
                </Text>
              </Tooltip>
            ) : null}
            {row.original.ip ? (
              <Text size="xs" c="dimmed">
                from {row.original.ip}
              </Text>
            ) : null}
          </>
        );
      },
    },
  ];
}

interface AuditTableProps {
  rows: AuditRow[];
  label: string;
  busy: boolean;
  /** The order of the When column, and how to flip it; without it the column does not sort. */
  sort?: { dir: 'asc' | 'desc'; toggle: () => void };
}

/** A page of audit events, with actors and targets named. */
export function AuditTable({ rows, label, busy, sort }: AuditTableProps) {
  const nameOf = usePrincipalNames(rows.flatMap((r) => [r.actorUuid, r.targetUuid]));
  const table = useReactTable({
    data: rows,
    // Rebuilt per render: the cells close over the names, which arrive after the rows.
    columns: columns(nameOf),
    getCoreRowModel: getCoreRowModel(),
    getRowId: (row) => row.uuid,
    manualSorting: true,
    manualPagination: true,
    state: { sorting: sort ? [{ id: 'at', desc: sort.dir === 'desc' }] : [] },
  });
  return (
    <Table.ScrollContainer minWidth={960}>
      <Table striped aria-label={label} aria-busy={busy} data-testid="audit-table">
        <Table.Thead>
          {table.getHeaderGroups().map((group) => (
            <Table.Tr key={group.id}>
              {group.headers.map((header) => {
                const label = flexRender(header.column.columnDef.header, header.getContext());
                const sorted = sort && header.column.id === 'at' ? sort.dir : undefined;
                return (
                  <Table.Th
                    key={header.id}
                    aria-sort={sorted ? (sorted === 'asc' ? 'ascending' : 'descending') : undefined}
                  >
                    {sorted && sort ? (
                      <button type="button" className="sort-button" onClick={sort.toggle}>
                        {label}
                        <span aria-hidden="true">{sorted === 'asc' ? ' ▲' : ' ▼'}</span>
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
          {table.getRowModel().rows.map((row) => (
            <Table.Tr key={row.id} data-action={row.original.action} data-outcome={row.original.outcome}>
              {row.getVisibleCells().map((cell) => (
                <Table.Td key={cell.id}>{flexRender(cell.column.columnDef.cell, cell.getContext())}</Table.Td>
              ))}
            </Table.Tr>
          ))}
        </Table.Tbody>
      </Table>
    </Table.ScrollContainer>
  );
}
