import { Badge, Group, Loader, Stack, Text, Title } from '@mantine/core';
import { useQuery } from '@tanstack/react-query';
import { ConfirmButton } from '../../components/confirm-button';
import { NewTokenButton } from '../../components/new-token-button';
import { Section } from '../../components/section';
import { TokensTable } from '../../components/tokens-table';
import { api } from '../../lib/api';
import { PasswordForm } from './password-form';
import { ProfileForm } from './profile-form';
import { useRevokeOtherSessions } from './use-revoke-other-sessions';

/** The signed-in user's own page: profile, password, API tokens and sessions. */
export default function AccountPage() {
  const me = useQuery({ queryKey: ['users.current'], queryFn: () => api.users.current.query() });
  const revokeOthers = useRevokeOtherSessions();
  if (me.isPending) return <Loader aria-label="Loading your account" />;
  if (me.isError) return <Text c="red">Could not load your account: {me.error.message}</Text>;
  const user = me.data;
  return (
    <Stack gap="lg">
      <Group gap="sm">
        <Title order={1} size="h2">
          Your account
        </Title>
        {user.isAdmin ? <Badge>administrator</Badge> : null}
        {user.isActive ? null : <Badge color="gray">not active</Badge>}
      </Group>
      <Section id="profile" title="Profile" description={`Username ${user.username ?? '—'} · ${user.uuid}`}>
        <ProfileForm user={user} />
      </Section>
      <Section
        id="password"
        title="Password"
        description="Changing it signs out your other sessions and tokens."
      >
        <PasswordForm />
      </Section>
      {user.isActive ? (
        <Section
          id="tokens"
          title="API tokens"
          description="For programs that call Roster as you. A token's secret is shown once, when it is created."
          actions={<NewTokenButton />}
        >
          <TokensTable kind="api" label="Your API tokens" />
        </Section>
      ) : null}
      <Section
        id="sessions"
        title="Sessions"
        description="Where you are signed in."
        actions={
          <ConfirmButton
            variant="light"
            title="Sign out everywhere else?"
            message="Every other browser session ends; this one stays. API tokens are kept."
            confirmLabel="Sign out other sessions"
            onConfirm={() => revokeOthers.mutateAsync()}
          >
            Sign out other sessions
          </ConfirmButton>
        }
      >
        <TokensTable kind="session" label="Your sessions" />
      </Section>
    </Stack>
  );
}
