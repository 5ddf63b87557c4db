import { zodResolver } from '@hookform/resolvers/zod';
import { Alert, Anchor, Button, Loader, Stack, Text } from '@mantine/core';
import { SignupInput } from '@roster/contracts';
import { useMutation, useQuery } from '@tanstack/react-query';
import { useForm } from 'react-hook-form';
import { Link, useNavigate } from 'react-router';
import type { z } from 'zod';
import { AuthCard } from '../../components/auth-card';
import { api, queries } from '../../lib/api';
import { applyServerErrors } from '../../lib/forms';
import { notifySuccess } from '../../lib/notify';
import { AccountFields } from './account-fields';

const SignupForm = SignupInput.pick({ username: true, email: true, password: true });
type SignupForm = z.input<typeof SignupForm>;

export function SignupPage() {
  const navigate = useNavigate();
  const info = useQuery(queries.info());
  const form = useForm<SignupForm>({
    resolver: zodResolver(SignupForm),
    defaultValues: { username: '', email: '', password: '' },
  });
  const signup = useMutation({
    mutationFn: (values: SignupForm) => api.auth.signup.mutate(values),
    onSuccess: (user) => {
      notifySuccess(`Account ${user.username} created: sign in with it`);
      navigate('/', { state: { login: user.username } });
    },
    onError: (err) => applyServerErrors(form, err, ['username', 'email', 'password'], 'Registration failed'),
  });

  const back = (
    <Text size="sm" ta="center">
      Already registered?{' '}
      <Anchor component={Link} to="/">
        Sign in
      </Anchor>
    </Text>
  );
  if (info.isPending) {
    return (
      <AuthCard title="Sign up">
        <Loader aria-label="Loading" />
      </AuthCard>
    );
  }
  if (!info.data?.signupEnabled) {
    return (
      <AuthCard title="Sign up">
        <Stack>
          <Alert color="gray">
            Self-registration is turned off here: ask an administrator for an account.
          </Alert>
          {back}
        </Stack>
      </AuthCard>
    );
  }
  return (
    <AuthCard title="Sign up" subtitle="Create an account in this directory.">
      <form onSubmit={form.handleSubmit((v) => signup.mutate(v))} noValidate>
        <Stack>
          <AccountFields form={form} />
          <Button type="submit" loading={signup.isPending} fullWidth>
            Register
          </Button>
          {back}
        </Stack>
      </form>
    </AuthCard>
  );
}
