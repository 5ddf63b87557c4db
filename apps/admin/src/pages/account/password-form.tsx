import { zodResolver } from '@hookform/resolvers/zod';
import { Button, Group, Stack } from '@mantine/core';
import { ChangePasswordInput } from '@roster/contracts';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useForm } from 'react-hook-form';
import type { z } from 'zod';
import {
  CONFIRM_FIELD,
  CONFIRM_MISMATCH,
  NewPasswordFields,
  sameNewPassword,
} from '../../components/new-password-fields';
import { PasswordField } from '../../components/password-field';
import { api } from '../../lib/api';
import { applyServerErrors } from '../../lib/forms';
import { notifySuccess } from '../../lib/notify';

const PasswordSchema = ChangePasswordInput.extend(CONFIRM_FIELD).refine(sameNewPassword, CONFIRM_MISMATCH);
type PasswordValues = z.input<typeof PasswordSchema>;

export function PasswordForm() {
  const qc = useQueryClient();
  const form = useForm<PasswordValues>({
    resolver: zodResolver(PasswordSchema),
    defaultValues: { oldPassword: '', newPassword: '', confirm: '' },
  });
  const change = useMutation({
    mutationFn: ({ oldPassword, newPassword }: PasswordValues) =>
      api.users.changePassword.mutate({ oldPassword, newPassword }),
    onSuccess: () => {
      notifySuccess('Your password was changed; your other sessions and tokens were signed out');
      form.reset();
      return qc.invalidateQueries({ queryKey: ['tokens.list'] });
    },
    onError: (err) =>
      applyServerErrors(form, err, ['oldPassword', 'newPassword'], 'Could not change the password'),
  });
  const { errors } = form.formState;
  return (
    <form onSubmit={form.handleSubmit((v) => change.mutate(v))} noValidate>
      <Stack>
        <PasswordField
          label="Current password"
          autoComplete="current-password"
          {...form.register('oldPassword')}
          error={errors.oldPassword?.message}
        />
        <NewPasswordFields form={form} />
        <Group justify="flex-end">
          <Button type="submit" loading={change.isPending}>
            Change password
          </Button>
        </Group>
      </Stack>
    </form>
  );
}
