import { zodResolver } from '@hookform/resolvers/zod';
import { Alert, Anchor, Button, Stack, Text, TextInput } from '@mantine/core';
import { isRosterError } from '@roster/client';
import { LoginInput, PresentedPassword } from '@roster/contracts';
import { useQuery } from '@tanstack/react-query';
import { useState } from 'react';
import { useForm } from 'react-hook-form';
import { Link, useLocation } from 'react-router';
import type { z } from 'zod';
import { AuthCard } from '../../components/auth-card';
import { PasswordField } from '../../components/password-field';
import { queries } from '../../lib/api';
import { applyServerErrors } from '../../lib/forms';
import { useLogin } from '../../lib/session';
import { ExpiredPasswordForm } from './expired-password-form';

// An empty password cannot be right: say so without a round trip.
const LoginForm = LoginInput.extend({ password: PresentedPassword.min(1, 'is required') });
type LoginForm = z.input<typeof LoginForm>;

/** The front page when signed out, and what any page shows until the visitor signs in. */
export function LoginPage() {
  const location = useLocation();
  const prefill = (location.state as { login?: string } | null)?.login ?? '';
  const info = useQuery(queries.info());
  const login = useLogin();
  // Kept in memory only, to change an expired password without typing the old one again.
  const [expired, setExpired] = useState<LoginForm | null>(null);
  const form = useForm<LoginForm>({
    resolver: zodResolver(LoginForm),
    defaultValues: { login: prefill, password: '' },
  });

  if (expired) {
    return (
      <AuthCard title="Your password has expired" subtitle="Choose a new password to sign in.">
        <ExpiredPasswordForm
          login={expired.login}
          oldPassword={expired.password ?? ''}
          onCancel={() => {
            setExpired(null);
            form.reset({ login: expired.login, password: '' });
          }}
        />
      </AuthCard>
    );
  }

  const submit = form.handleSubmit((values) =>
    login.mutate(values, {
      onError: (err) => {
        if (isRosterError(err) && err.data.appCode === 'PASSWORD_EXPIRED') setExpired(values);
        else applyServerErrors(form, err, ['login', 'password'], 'Sign-in failed');
      },
    }),
  );
  const { errors } = form.formState;
  return (
    <AuthCard title="Sign in">
      <form onSubmit={submit} noValidate>
        <Stack>
          <TextInput
            label="Username or email"
            autoComplete="username"
            autoFocus
            {...form.register('login')}
            error={errors.login?.message}
          />
          <PasswordField
            label="Password"
            autoComplete="current-password"
            {...form.register('password')}
            error={errors.password?.message}
          />
          <Button type="submit" loading={login.isPending} fullWidth>
            Sign in
          </Button>
          {info.data?.signupEnabled ? (
            <Text size="sm" ta="center">
              No account yet?{' '}
              <Anchor component={Link} to="/signup">
                Sign up
              </Anchor>
            </Text>
          ) : null}
          {info.isError ? (
            <Alert color="red" title="The server does not answer">
              {info.error.message}
            </Alert>
          ) : null}
        </Stack>
      </form>
    </AuthCard>
  );
}
