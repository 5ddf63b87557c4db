import { zodResolver } from '@hookform/resolvers/zod';
import {
  Alert,
  Button,
  Code,
  CopyButton,
  Group,
  Modal,
  NativeSelect,
  Stack,
  Textarea,
  TextInput,
} from '@mantine/core';
import { Scope, TokenCreateInput } from '@roster/contracts';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { useForm } from 'react-hook-form';
import { z } from 'zod';
import { api } from '../lib/api';
import { applyServerErrors } from '../lib/forms';
import { notifySuccess } from '../lib/notify';

const EXPIRY = [
  { value: 'never', label: 'Never' },
  { value: '7', label: 'In 7 days' },
  { value: '30', label: 'In 30 days' },
  { value: '90', label: 'In 90 days' },
  { value: '365', label: 'In a year' },
] as const;

const NewTokenForm = z.object({
  label: TokenCreateInput.shape.label,
  expiresIn: z.enum(['never', '7', '30', '90', '365']),
  /** One scope a line. */
  scopes: z.string().superRefine((text, ctx) => {
    const scopes = scopeLines(text);
    if (scopes.length === 0) ctx.addIssue({ code: 'custom', message: 'give at least one scope, or "all"' });
    for (const s of scopes) {
      const r = Scope.safeParse(s);
      if (!r.success) ctx.addIssue({ code: 'custom', message: `"${s}" ${r.error.issues[0]?.message}` });
    }
  }),
});
type NewTokenForm = z.input<typeof NewTokenForm>;

const scopeLines = (text: string) =>
  text
    .split('\n')
    .map((s) => s.trim())
    .filter(Boolean);

/** Creates an API token and shows its secret, once, with a copy button. */
export function NewTokenButton({ userUuid, forWhom }: { userUuid?: string; forWhom?: string }) {
  const [open, setOpen] = useState(false);
  const [secret, setSecret] = useState<string | null>(null);
  const qc = useQueryClient();
  const form = useForm<NewTokenForm>({
    resolver: zodResolver(NewTokenForm),
    defaultValues: { label: '', expiresIn: '90', scopes: 'all' },
  });
  const create = useMutation({
    mutationFn: (v: NewTokenForm) =>
      api.tokens.create.mutate({
        label: v.label,
        scopes: scopeLines(v.scopes),
        expiresAt:
          v.expiresIn === 'never'
            ? undefined
            : new Date(Date.now() + Number(v.expiresIn) * 86_400_000).toISOString(),
        userUuid,
      }),
    onSuccess: (created) => {
      setSecret(created.secret);
      notifySuccess(`Token ${created.token.label || created.token.uuid} created`);
      return qc.invalidateQueries({ queryKey: ['tokens.list'] });
    },
    onError: (err) => applyServerErrors(form, err, ['label', 'scopes'], 'Could not create the token'),
  });
  const close = () => {
    // The secret is forgotten when the dialog closes: it cannot be shown again.
    setSecret(null);
    setOpen(false);
    form.reset();
  };
  const { errors } = form.formState;

  return (
    <>
      <Button onClick={() => setOpen(true)}>New token</Button>
      <Modal
        opened={open}
        onClose={close}
        title={forWhom ? `New API token for ${forWhom}` : 'New API token'}
        size="lg"
      >
        {secret ? (
          <Stack>
            <Alert color="yellow" title="Copy the token now">
              This is the only time the token is shown. Store it somewhere safe; if it is lost, revoke it and
              create another.
            </Alert>
            <Code
              block
              data-testid="new-token-secret"
              style={{ wordBreak: 'break-all', whiteSpace: 'pre-wrap' }}
            >
              {secret}
            </Code>
            <Group justify="flex-end">
              <CopyButton value={secret}>
                {({ copied, copy }) => (
                  <Button
                    variant={copied ? 'light' : 'filled'}
                    color={copied ? 'teal' : undefined}
                    onClick={copy}
                  >
                    {copied ? 'Copied' : 'Copy token'}
                  </Button>
                )}
              </CopyButton>
              <Button variant="default" onClick={close}>
                Done
              </Button>
            </Group>
          </Stack>
        ) : (
          <form onSubmit={form.handleSubmit((v) => create.mutate(v))} noValidate>
            <Stack>
              <TextInput
                label="Label"
                description="What the token is for, e.g. the program that uses it"
                {...form.register('label')}
                error={errors.label?.message}
                data-autofocus
              />
              <NativeSelect label="Expires" data={[...EXPIRY]} {...form.register('expiresIn')} />
              <Textarea
                label="Scopes"
                description='One a line: "all", "GET /arvados/v1/users/" or "trpc:users.get"'
                autosize
                minRows={2}
                {...form.register('scopes')}
                error={errors.scopes?.message}
              />
              <Group justify="flex-end">
                <Button variant="default" onClick={close}>
                  Cancel
                </Button>
                <Button type="submit" loading={create.isPending}>
                  Create token
                </Button>
              </Group>
            </Stack>
          </form>
        )}
      </Modal>
    </>
  );
}
