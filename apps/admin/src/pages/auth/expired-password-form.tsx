import { zodResolver } from '@hookform/resolvers/zod';
import { Button, Group, Stack, TextInput } from '@mantine/core';
import { ChangeExpiredPasswordInput } from '@roster/contracts';
import { useMutation } from '@tanstack/react-query';
import { useForm } from 'react-hook-form';
import { z } from 'zod';
import {
  CONFIRM_FIELD,
  CONFIRM_MISMATCH,
  NewPasswordFields,
  sameNewPassword,
} from '../../components/new-password-fields';
import { api } from '../../lib/api';
import { applyServerErrors } from '../../lib/forms';
import { notifySuccess } from '../../lib/notify';
import { useLogin } from '../../lib/session';

const NewPasswordForm = z
  .object({ newPassword: ChangeExpiredPasswordInput.shape.newPassword, ...CONFIRM_FIELD })
  .refine(sameNewPassword, CONFIRM_MISMATCH);
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
  return (
    <form onSubmit={form.handleSubmit((v) => change.mutate(v))} noValidate>
      <Stack>
        <TextInput label="Username or email" value={props.login} readOnly autoComplete="username" />
        <NewPasswordFields form={form} autoFocus />
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
