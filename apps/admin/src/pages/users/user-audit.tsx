import { Anchor, Box, LoadingOverlay, SegmentedControl, Stack, Text } from '@mantine/core';
import type { UserView } from '@roster/contracts';
import { useQuery } from '@tanstack/react-query';
import { useState } from 'react';
import { Link } from 'react-router';
import { type AuditRow, AuditTable } from '../../components/audit-table';
import { Pager } from '../../components/pager';
import { Section } from '../../components/section';
import { queries } from '../../lib/api';
import { AUDIT_DEFAULTS } from '../../lib/audit-search';
import { paramsOf } from '../../lib/url-state';

const PAGE_SIZE = 10;

/** The user's audit trail: what was done to them, or what they did, newest first. */
export function UserAudit({ user }: { user: UserView }) {
  const [side, setSide] = useState<'target' | 'actor'>('target');
  const [page, setPage] = useState(1);
  const list = useQuery(
    queries.audit({
      filters: [[side === 'target' ? 'targetUuid' : 'actorUuid', '=', user.uuid]],
      order: [{ field: 'at', dir: 'desc' }],
      limit: PAGE_SIZE,
      offset: (page - 1) * PAGE_SIZE,
      count: true,
    }),
  );
  const rows = (list.data?.items ?? []) as AuditRow[];
  const name = user.username ?? user.uuid;
  const fullLog = `/audit?${paramsOf(AUDIT_DEFAULTS, { ...AUDIT_DEFAULTS, [side]: user.uuid })}`;
  return (
    <Section
      id="audit"
      title="Audit trail"
      description={
        <>
          Changes made to {name}, or by them. The{' '}
          <Anchor component={Link} to={fullLog} size="sm">
            audit log
          </Anchor>{' '}
          filters further.
        </>
      }
      actions={
        <SegmentedControl
          aria-label="Whose events"
          size="xs"
          value={side}
          onChange={(v) => {
            setSide(v as typeof side);
            setPage(1);
          }}
          data={[
            { value: 'target', label: `About ${name}` },
            { value: 'actor', label: `By ${name}` },
          ]}
        />
      }
    >
      {list.isError ? (
        <Text c="red">Could not load the audit trail: {list.error.message}</Text>
      ) : list.isSuccess && rows.length === 0 && page === 1 ? (
        <Text size="sm" c="dimmed" data-testid="audit-empty">
          No events.
        </Text>
      ) : (
        <Stack gap="sm">
          <Box pos="relative">
            <LoadingOverlay visible={list.isFetching} overlayProps={{ blur: 0, backgroundOpacity: 0.4 }} />
            <AuditTable rows={rows} label={`Audit trail of ${name}`} busy={list.isFetching} />
          </Box>
          <Pager
            page={page}
            size={PAGE_SIZE}
            total={list.data?.itemsAvailable}
            shown={list.data ? { offset: list.data.offset, count: rows.length } : undefined}
            onPage={setPage}
            noun="events"
          />
        </Stack>
      )}
    </Section>
  );
}
