import {
  AppShell,
  Button,
  Center,
  Container,
  Group,
  Loader,
  Menu,
  Text,
  UnstyledButton,
} from '@mantine/core';
import { Suspense } from 'react';
import { Link, NavLink, Outlet, useNavigate } from 'react-router';
import { notifyError } from '../lib/notify';
import { useLogout, useMe } from '../lib/session';
import { NAV } from '../nav';

export function PageLoader() {
  return (
    <Center py="xl">
      <Loader aria-label="Loading" />
    </Center>
  );
}

/** The signed-in frame: the sections on the left of the header, the user's menu on the right. */
export function Layout() {
  const me = useMe();
  const logout = useLogout();
  const navigate = useNavigate();
  const name = me.username ?? me.email ?? me.uuid;
  return (
    <AppShell header={{ height: 56 }} padding="md">
      <AppShell.Header>
        <Group h="100%" px="md" justify="space-between" wrap="nowrap">
          <Group gap="lg" wrap="nowrap">
            <UnstyledButton component={Link} to="/" aria-label="Roster home">
              <Text fw={800} size="lg">
                Roster
              </Text>
            </UnstyledButton>
            <nav aria-label="Sections">
              <Group gap={4}>
                {NAV.filter((item) => item.visible(me)).map((item) => (
                  <Button
                    key={item.to}
                    component={NavLink}
                    to={item.to}
                    variant="subtle"
                    size="sm"
                    className="nav-link"
                  >
                    {item.label}
                  </Button>
                ))}
              </Group>
            </nav>
          </Group>
          <Menu position="bottom-end" width={220} withinPortal>
            <Menu.Target>
              <Button variant="default" data-testid="user-menu" aria-label={`Account menu of ${name}`}>
                {name}
              </Button>
            </Menu.Target>
            <Menu.Dropdown>
              <Menu.Label>
                {me.fullName || name}
                {me.isAdmin ? ' · administrator' : ''}
              </Menu.Label>
              <Menu.Item component={Link} to="/account">
                Account
              </Menu.Item>
              <Menu.Divider />
              <Menu.Item
                color="red"
                onClick={() =>
                  logout.mutate(undefined, {
                    onSuccess: () => navigate('/', { replace: true }),
                    onError: (err) => notifyError(err, 'Sign-out failed'),
                  })
                }
              >
                Log out
              </Menu.Item>
            </Menu.Dropdown>
          </Menu>
        </Group>
      </AppShell.Header>
      <AppShell.Main>
        <Container size="xl" px={0}>
          <Suspense fallback={<PageLoader />}>
            <Outlet />
          </Suspense>
        </Container>
      </AppShell.Main>
    </AppShell>
  );
}
