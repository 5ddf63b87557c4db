import { zodResolver } from '@hookform/resolvers/zod';
import { Button, Group, Stack, TextInput } from '@mantine/core';
import { ChangeExpiredPasswordInput } from '@roster/contracts';
import { useMutation } from '@tanstack/react-query';
import { useForm } from 'react-hook-form';
import { z } from 'zod';
import { PasswordField } from '../../components/password-field';
import { api } from '../../lib/api';
import { applyServerErrors } from '../../lib/forms';
import { notifySuccess } from '../../lib/notify';
import { useLogin } from '../../lib/session';

const NewPasswordForm = z
  .object({ newPassword: ChangeExpiredPasswordInput.shape.newPassword, confirm: z.string() })
  .refine((v) => v.newPassword === v.confirm, {
    path: ['confirm'],
    message: 'does not match the new password',
  });
type NewPasswordForm = z.input<typeof NewPasswordForm>;

/** Changes an expired password with the one just typed at sign-in, then signs in with the new one. */
export function ExpiredPasswordForm(props: { login: string; oldPassword: string; onCancel: () => void }) {
  const login = useLogin();
  const form = useForm<NewPasswordForm>({
    resolver: zodResolver(NewPasswordForm),
    defaultValues: { newPassword: '', confirm: '' },
  });
  const change = useMutation({
    mutationFn: async ({ newPassword }: NewPasswordForm) => {
      await api.auth.changeExpiredPassword.mutate({
        login: props.login,
        oldPassword: props.oldPassword,
        newPassword,
      });
      notifySuccess('Your password was changed');
      return login.mutateAsync({ login: props.login, password: newPassword });
    },
    onError: (err) => applyServerErrors(form, err, ['newPassword'], 'Could not change the password'),
  });
  const { errors } = form.formState;
  return (
    <form onSubmit={form.handleSubmit((v) => change.mutate(v))} noValidate>
      <Stack>
        <TextInput label="Username or email" value={props.login} readOnly autoComplete="username" />
        <PasswordField
          label="New password"
          autoComplete="new-password"
          autoFocus
          {...form.register('newPassword')}
          error={errors.newPassword?.message}
        />
        <PasswordField
          label="Repeat the new password"
          autoComplete="new-password"
          {...form.register('confirm')}
          error={errors.confirm?.message}
        />
        <Group justify="space-between">
          <Button variant="subtle" onClick={props.onCancel}>
            Back to sign-in
          </Button>
          <Button type="submit" loading={change.isPending}>
            Change password and sign in
          </Button>
        </Group>
      </Stack>
    </form>
  );
}
