import {
  Alert,
  Box,
  Button,
  EmptyState,
  Group,
  LoadingOverlay,
  NativeSelect,
  Stack,
  TextInput,
  Title,
} from '@mantine/core';
import { useQuery } from '@tanstack/react-query';
import { type AuditRow, AuditTable } from '../../components/audit-table';
import { Pager } from '../../components/pager';
import { queries } from '../../lib/api';
import {
  AUDIT_DEFAULTS,
  AUDIT_PAGE_SIZES,
  type AuditSearch,
  auditListInput,
  OUTCOMES,
  parseAuditSearch,
} from '../../lib/audit-search';
import { useUuidOf } from '../../lib/names';
import { paramsOf, useDebouncedText, useUrlState } from '../../lib/url-state';

/** Every audited call (mutations and sign-ins), newest first, filtered and paged in the address. */
export default function AuditPage() {
  const { state: search, update } = useUrlState(parseAuditSearch, AUDIT_DEFAULTS);
  const commit = (key: 'actor' | 'action' | 'target') => (value: string) =>
    update({ [key]: value.trim() }, { replace: true });
  const [actorText, setActorText] = useDebouncedText(search.actor, commit('actor'));
  const [actionText, setActionText] = useDebouncedText(search.action, commit('action'));
  const [targetText, setTargetText] = useDebouncedText(search.target, commit('target'));
  const actor = useUuidOf(search.actor);
  const target = useUuidOf(search.target);
  // A username nobody has matches no event: nothing to ask the server.
  const unknown = actor.uuid === null || target.uuid === null;
  const list = useQuery({
    ...queries.audit(
      auditListInput(search, { actorUuid: actor.uuid ?? undefined, targetUuid: target.uuid ?? undefined }),
    ),
    enabled: !actor.pending && !target.pending && !unknown,
  });

  const filtered =
    paramsOf(AUDIT_DEFAULTS, { ...search, page: 1, size: AUDIT_DEFAULTS.size, dir: AUDIT_DEFAULTS.dir })
      .size > 0;
  const rows = (unknown ? [] : (list.data?.items ?? [])) as AuditRow[];
  const total = unknown ? 0 : list.data?.itemsAvailable;
  const busy = list.isFetching || actor.pending || target.pending;
  const noUser = 'no user has this username';

  return (
    <Stack gap="md">
      <Title order={1} size="h2">
        Audit log
      </Title>
      <Group align="flex-start" gap="sm" wrap="wrap" role="search" aria-label="Filter the audit log">
        <TextInput
          label="Actor"
          description="Username or uuid"
          value={actorText}
          onChange={(e) => setActorText(e.currentTarget.value)}
          error={actor.uuid === null ? noUser : undefined}
          w={200}
        />
        <TextInput
          label="Action"
          description="A procedure or its start"
          placeholder="users.update"
          value={actionText}
          onChange={(e) => setActionText(e.currentTarget.value)}
          w={200}
        />
        <TextInput
          label="Target"
          description="Username or any uuid"
          value={targetText}
          onChange={(e) => setTargetText(e.currentTarget.value)}
          error={target.uuid === null ? noUser : undefined}
          w={200}
        />
        <NativeSelect
          label="Outcome"
          description="Refusals are denied"
          value={search.outcome}
          onChange={(e) => update({ outcome: e.currentTarget.value as AuditSearch['outcome'] })}
          data={[{ value: 'any', label: 'Any' }, ...OUTCOMES.map((o) => ({ value: o, label: o }))]}
        />
        <TextInput
          label="From"
          description="Local time"
          type="datetime-local"
          value={search.from}
          max={search.to || undefined}
          onChange={(e) => update({ from: e.currentTarget.value })}
        />
        <TextInput
          label="Until"
          description="Included"
          type="datetime-local"
          value={search.to}
          min={search.from || undefined}
          onChange={(e) => update({ to: e.currentTarget.value })}
        />
        {filtered ? (
          <Button
            variant="subtle"
            mt={46}
            onClick={() => {
              setActorText('');
              setActionText('');
              setTargetText('');
              update({ actor: '', action: '', target: '', outcome: 'any', from: '', to: '' });
            }}
          >
            Clear filters
          </Button>
        ) : null}
      </Group>

      {list.isError ? (
        <Alert color="red" title="Could not load the audit log">
          {list.error.message}
        </Alert>
      ) : null}
      <Box pos="relative">
        <LoadingOverlay
          visible={busy}
          overlayProps={{ blur: 0, backgroundOpacity: 0.4 }}
          loaderProps={{ size: 'sm' }}
        />
        <AuditTable
          rows={rows}
          label="Audit events"
          busy={busy}
          sort={{ dir: search.dir, toggle: () => update({ dir: search.dir === 'desc' ? 'asc' : 'desc' }) }}
        />
        {(list.isSuccess || unknown) && rows.length === 0 && !busy ? (
          <EmptyState
            py="xl"
            title={total ? 'No events on this page' : filtered ? 'No event matches' : 'No events yet'}
            description={
              total
                ? 'The log is shorter than this page number.'
                : filtered
                  ? 'Try other filters, or clear them.'
                  : 'Every change made through the API will be listed here.'
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
        shown={list.data && !unknown ? { offset: list.data.offset, count: rows.length } : undefined}
        onPage={(page) => update({ page })}
        sizes={AUDIT_PAGE_SIZES}
        onSize={(size) => update({ size })}
        noun="events"
      />
    </Stack>
  );
}
