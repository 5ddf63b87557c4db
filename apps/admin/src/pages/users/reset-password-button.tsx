import { zodResolver } from '@hookform/resolvers/zod';
import { Button, Checkbox, Group, Modal, Stack, Text } from '@mantine/core';
import { ResetPasswordInput, type UserView } from '@roster/contracts';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { useForm } from 'react-hook-form';
import type { z } from 'zod';
import {
  CONFIRM_FIELD,
  CONFIRM_MISMATCH,
  NewPasswordFields,
  sameNewPassword,
} from '../../components/new-password-fields';
import { api, invalidate, queries } from '../../lib/api';
import { applyServerErrors } from '../../lib/forms';
import { notifySuccess } from '../../lib/notify';

const ResetSchema = ResetPasswordInput.pick({ newPassword: true, mustChange: true })
  .extend(CONFIRM_FIELD)
  .refine(sameNewPassword, CONFIRM_MISMATCH);
type ResetValues = z.input<typeof ResetSchema>;
type Reset = z.output<typeof ResetSchema>;
const EMPTY: ResetValues = { newPassword: '', confirm: '', mustChange: true };

/** An administrator sets a user's password: their sessions end, and by default they must change it. */
export function ResetPasswordButton({ user }: { user: UserView }) {
  const [open, setOpen] = useState(false);
  const qc = useQueryClient();
  const name = user.username ?? user.uuid;
  const form = useForm<ResetValues, unknown, Reset>({
    resolver: zodResolver(ResetSchema),
    defaultValues: EMPTY,
  });
  const close = () => {
    setOpen(false);
    form.reset(EMPTY);
  };
  const reset = useMutation({
    mutationFn: ({ newPassword, mustChange }: Reset) =>
      api.users.resetPassword.mutate({ uuid: user.uuid, newPassword, mustChange }),
    onSuccess: (r) => {
      notifySuccess(
        `${name}'s password was reset; ${r.revoked} session(s) and token(s) ended${r.unlocked ? ', lockout cleared' : ''}`,
      );
      close();
      qc.setQueryData(queries.user(user.uuid).queryKey, r.user);
      return invalidate(qc, 'users.list', 'tokens.list', 'users.lockout', 'audit.list');
    },
    onError: (err) => applyServerErrors(form, err, ['newPassword'], 'The password was not reset'),
  });
  return (
    <>
      <Button variant="light" size="xs" onClick={() => setOpen(true)}>
        Reset password
      </Button>
      <Modal opened={open} onClose={close} title={`Reset ${name}'s password`}>
        <form onSubmit={form.handleSubmit((v) => reset.mutate(v))} noValidate>
          <Stack>
            <Text size="sm">
              They are signed out everywhere and their API tokens stop working. Tell them the new password
              through a channel you trust.
            </Text>
            <NewPasswordFields form={form} autoFocus />
            <Checkbox
              label="They must choose their own password at the next sign-in"
              {...form.register('mustChange')}
            />
            <Group justify="flex-end">
              <Button variant="default" onClick={close}>
                Cancel
              </Button>
              <Button type="submit" color="orange" loading={reset.isPending}>
                Reset password
              </Button>
            </Group>
          </Stack>
        </form>
      </Modal>
    </>
  );
}
