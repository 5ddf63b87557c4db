import { zodResolver } from '@hookform/resolvers/zod';
import {
  Alert,
  Anchor,
  Badge,
  Box,
  Button,
  EmptyState,
  Group,
  Loader,
  LoadingOverlay,
  Modal,
  SimpleGrid,
  Spoiler,
  Stack,
  Switch,
  Table,
  Text,
  Textarea,
  TextInput,
  Title,
} from '@mantine/core';
import { AgreementPublishInput } from '@roster/contracts';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { Controller, useForm } from 'react-hook-form';
import { useSearchParams } from 'react-router';
import type { z } from 'zod';
import { Pager } from '../../components/pager';
import { PrincipalName } from '../../components/principal';
import { Section } from '../../components/section';
import { api, invalidate, queries } from '../../lib/api';
import { formatDateTime } from '../../lib/format';
import { applyServerErrors } from '../../lib/forms';
import { notifySuccess } from '../../lib/notify';

type PublishValues = z.input<typeof AgreementPublishInput>;
type Publish = z.output<typeof AgreementPublishInput>;
const FIELDS = ['title', 'version', 'text', 'required'] as const;
const EMPTY: PublishValues = { title: '', version: '', text: '', required: true };
const SIGNATURES_PAGE = 25;

function PublishButton({ onPublished }: { onPublished: (uuid: string) => void }) {
  const [open, setOpen] = useState(false);
  const qc = useQueryClient();
  const form = useForm<PublishValues, unknown, Publish>({
    resolver: zodResolver(AgreementPublishInput),
    defaultValues: EMPTY,
  });
  const close = () => {
    setOpen(false);
    form.reset(EMPTY);
  };
  const publish = useMutation({
    mutationFn: (input: Publish) => api.agreements.publish.mutate(input),
    onSuccess: (a) => {
      notifySuccess(`${a.title} (version ${a.version}) was published`);
      close();
      onPublished(a.uuid);
      return invalidate(qc, 'agreements.list');
    },
    onError: (err) => applyServerErrors(form, err, FIELDS, 'Could not publish the agreement'),
  });
  const { errors } = form.formState;
  return (
    <>
      <Button onClick={() => setOpen(true)}>Publish an agreement</Button>
      <Modal opened={open} onClose={close} title="Publish an agreement" size="xl">
        <form onSubmit={form.handleSubmit((v) => publish.mutate(v))} noValidate>
          <Stack>
            <SimpleGrid cols={{ base: 1, sm: 2 }}>
              <TextInput
                label="Title"
                withAsterisk
                data-autofocus
                {...form.register('title')}
                error={errors.title?.message}
              />
              <TextInput
                label="Version"
                withAsterisk
                placeholder="2026-01"
                {...form.register('version')}
                error={errors.version?.message}
              />
            </SimpleGrid>
            <Textarea
              label="Text"
              withAsterisk
              autosize
              minRows={6}
              maxRows={16}
              {...form.register('text')}
              error={errors.text?.message}
            />
            <Controller
              control={form.control}
              name="required"
              render={({ field: { value, onChange, ...field } }) => (
                <Switch
                  {...field}
                  label="Required"
                  description="Users must sign every required agreement before they can activate their account."
                  checked={!!value}
                  onChange={(e) => onChange(e.currentTarget.checked)}
                />
              )}
            />
            <Alert color="yellow">
              A published agreement cannot be edited or withdrawn: publish a new version instead.
            </Alert>
            <Group justify="flex-end">
              <Button variant="default" onClick={close}>
                Cancel
              </Button>
              <Button type="submit" loading={publish.isPending}>
                Publish
              </Button>
            </Group>
          </Stack>
        </form>
      </Modal>
    </>
  );
}

/** Who signed one agreement, newest signature first, a page at a time from the server. */
function Signatures({ uuid, title }: { uuid: string; title: string }) {
  const [page, setPage] = useState(1);
  const list = useQuery(
    queries.signatures({
      uuid,
      limit: SIGNATURES_PAGE,
      offset: (page - 1) * SIGNATURES_PAGE,
      count: true,
    }),
  );
  if (list.isPending) return <Loader size="sm" aria-label="Loading the signatures" />;
  if (list.isError) return <Text c="red">Could not load the signatures: {list.error.message}</Text>;
  const rows = list.data.items;
  if (rows.length === 0 && page === 1)
    return (
      <Text size="sm" c="dimmed" data-testid="signatures-empty">
        Nobody has signed it yet.
      </Text>
    );
  return (
    <Stack gap="sm">
      <Box pos="relative">
        <LoadingOverlay visible={list.isFetching} overlayProps={{ blur: 0, backgroundOpacity: 0.4 }} />
        <Table
          striped
          aria-label={`Signatures of ${title}`}
          aria-busy={list.isFetching}
          data-testid="signatures-table"
        >
          <Table.Thead>
            <Table.Tr>
              <Table.Th>User</Table.Th>
              <Table.Th>Signed</Table.Th>
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {rows.map((s) => (
              <Table.Tr key={s.userUuid} data-user={s.username ?? s.userUuid}>
                <Table.Td>
                  <PrincipalName uuid={s.userUuid} name={s.username} />
                </Table.Td>
                <Table.Td>{formatDateTime(s.signedAt)}</Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      </Box>
      <Pager
        page={page}
        size={SIGNATURES_PAGE}
        total={list.data.itemsAvailable}
        shown={{ offset: list.data.offset, count: rows.length }}
        onPage={setPage}
        noun="signatures"
      />
    </Stack>
  );
}

/** The user agreements, newest first; one chosen (in the address) shows its text and signatures. */
export default function AgreementsPage() {
  const [params, setParams] = useSearchParams();
  const list = useQuery(queries.agreements());
  const agreements = [...(list.data ?? [])].reverse();
  const chosenUuid = params.get('agreement') ?? agreements[0]?.uuid;
  const chosen = agreements.find((a) => a.uuid === chosenUuid);
  const choose = (uuid: string) => setParams({ agreement: uuid });

  return (
    <Stack gap="md">
      <Group justify="space-between">
        <Title order={1} size="h2">
          Agreements
        </Title>
        <PublishButton onPublished={choose} />
      </Group>
      {list.isPending ? <Loader aria-label="Loading the agreements" /> : null}
      {list.isError ? (
        <Alert color="red" title="Could not load the agreements">
          {list.error.message}
        </Alert>
      ) : null}
      {list.isSuccess && agreements.length === 0 ? (
        <EmptyState
          py="xl"
          title="No agreements yet"
          description="Publish one to have users sign it before they activate their account."
        />
      ) : null}
      {agreements.length ? (
        <Table.ScrollContainer minWidth={640}>
          <Table striped highlightOnHover aria-label="Agreements" data-testid="agreements-table">
            <Table.Thead>
              <Table.Tr>
                <Table.Th>Title</Table.Th>
                <Table.Th>Version</Table.Th>
                <Table.Th>Required</Table.Th>
                <Table.Th>Published</Table.Th>
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {agreements.map((a) => (
                <Table.Tr
                  key={a.uuid}
                  data-agreement={a.title}
                  aria-current={a.uuid === chosen?.uuid ? 'true' : undefined}
                >
                  <Table.Td>
                    <Anchor
                      component="button"
                      type="button"
                      fw={a.uuid === chosen?.uuid ? 700 : 500}
                      onClick={() => choose(a.uuid)}
                    >
                      {a.title}
                    </Anchor>
                  </Table.Td>
                  <Table.Td>{a.version}</Table.Td>
                  <Table.Td>
                    {a.required ? (
                      <Badge variant="light">required</Badge>
                    ) : (
                      <Badge variant="light" color="gray">
                        optional
                      </Badge>
                    )}
                  </Table.Td>
                  <Table.Td>{formatDateTime(a.createdAt)}</Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        </Table.ScrollContainer>
      ) : null}
      {chosen ? (
        <Section
          id="agreement"
          title={`${chosen.title}, version ${chosen.version}`}
          description={`Published ${formatDateTime(chosen.createdAt)} · ${chosen.uuid}`}
        >
          <Spoiler maxHeight={120} showLabel="Show the whole text" hideLabel="Show less">
            <Text size="sm" style={{ whiteSpace: 'pre-wrap' }}>
              {chosen.text}
            </Text>
          </Spoiler>
          <Title order={3} size="h5">
            Signed by
          </Title>
          <Signatures key={chosen.uuid} uuid={chosen.uuid} title={chosen.title} />
        </Section>
      ) : null}
    </Stack>
  );
}
