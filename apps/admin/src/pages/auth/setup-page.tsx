import { zodResolver } from '@hookform/resolvers/zod';
import { Alert, Anchor, Button, Stack, Text } from '@mantine/core';
import { SignupInput } from '@roster/contracts';
import { useMutation } from '@tanstack/react-query';
import { useEffect, useState } from 'react';
import { useForm } from 'react-hook-form';
import { Link, useLocation, useNavigate } from 'react-router';
import type { z } from 'zod';
import { AuthCard } from '../../components/auth-card';
import { bearerClient } from '../../lib/api';
import { applyServerErrors } from '../../lib/forms';
import { notifySuccess } from '../../lib/notify';
import { AccountFields } from './account-fields';

const SetupForm = SignupInput.pick({ username: true, email: true, password: true });
type SetupForm = z.input<typeof SetupForm>;

/** `/setup#token=…`: the link the server prints at first start, to create the first administrator. */
export function SetupPage() {
  const location = useLocation();
  const navigate = useNavigate();
  // Read once; the fragment never reaches the server or its logs, and is then dropped from the address bar.
  const [token] = useState(() => new URLSearchParams(location.hash.slice(1)).get('token'));
  useEffect(() => {
    if (location.hash) navigate({ pathname: location.pathname, search: location.search }, { replace: true });
  }, [location, navigate]);

  const form = useForm<SetupForm>({
    resolver: zodResolver(SetupForm),
    defaultValues: { username: '', email: '', password: '' },
  });
  const claim = useMutation({
    mutationFn: (values: SetupForm) => bearerClient(token ?? '').auth.claimFirstAdmin.mutate(values),
    onSuccess: (user) => {
      notifySuccess(`Administrator ${user.username} created: sign in with it`);
      navigate('/', { state: { login: user.username } });
    },
    onError: (err) => applyServerErrors(form, err, ['username', 'email', 'password'], 'Setup failed'),
  });

  if (!token) {
    return (
      <AuthCard title="First-time setup">
        <Stack>
          <Alert color="yellow">
            This page needs the setup link that the server printed when it first started, ending in
            <Text span ff="monospace">
              {' '}
              #token=…
            </Text>
            .
          </Alert>
          <Anchor component={Link} to="/" size="sm">
            Go to sign-in
          </Anchor>
        </Stack>
      </AuthCard>
    );
  }
  return (
    <AuthCard title="Create the first administrator" subtitle="The setup link works once.">
      <form onSubmit={form.handleSubmit((v) => claim.mutate(v))} noValidate>
        <Stack>
          <AccountFields form={form} />
          <Button type="submit" loading={claim.isPending} fullWidth>
            Create administrator
          </Button>
        </Stack>
      </form>
    </AuthCard>
  );
}
