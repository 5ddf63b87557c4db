import { Alert, Anchor, Stack } from '@mantine/core';
import { lazy, type ReactNode } from 'react';
import { Link, Navigate, Route, Routes } from 'react-router';
import { Layout } from './components/layout';
import { useMe } from './lib/session';
import { active, activeAdmin, homePath } from './nav';
import { SetupPage } from './pages/auth/setup-page';

const AccountPage = lazy(() => import('./pages/account/account-page'));
const UsersPage = lazy(() => import('./pages/users/users-page'));
const UserPage = lazy(() => import('./pages/users/user-page'));
const GroupsPage = lazy(() => import('./pages/groups/groups-page'));
const GroupPage = lazy(() => import('./pages/groups/group-page'));
const AuditPage = lazy(() => import('./pages/audit/audit-page'));
const AgreementsPage = lazy(() => import('./pages/agreements/agreements-page'));

function AdminOnly({ children }: { children: ReactNode }) {
  const me = useMe();
  if (!activeAdmin(me)) return <Alert color="yellow">Only administrators may see this page.</Alert>;
  return children;
}

function ActiveOnly({ children }: { children: ReactNode }) {
  const me = useMe();
  if (!active(me)) return <Alert color="yellow">Your account is not active yet.</Alert>;
  return children;
}

function NotFound() {
  return (
    <Stack>
      <Alert color="gray" title="No such page">
        <Anchor component={Link} to="/">
          Back to the start
        </Anchor>
      </Alert>
    </Stack>
  );
}

/** Every page of a signed-in user. Loaded only after sign-in, so the sign-in page stays small. */
export default function SignedInRoutes() {
  const me = useMe();
  return (
    <Routes>
      <Route path="/setup" element={<SetupPage />} />
      <Route element={<Layout />}>
        <Route index element={<Navigate to={homePath(me)} replace />} />
        <Route path="signup" element={<Navigate to="/" replace />} />
        <Route path="account" element={<AccountPage />} />
        <Route
          path="users"
          element={
            <AdminOnly>
              <UsersPage />
            </AdminOnly>
          }
        />
        <Route
          path="users/:uuid"
          element={
            <AdminOnly>
              <UserPage />
            </AdminOnly>
          }
        />
        <Route
          path="groups"
          element={
            <ActiveOnly>
              <GroupsPage />
            </ActiveOnly>
          }
        />
        <Route
          path="groups/:uuid"
          element={
            <ActiveOnly>
              <GroupPage />
            </ActiveOnly>
          }
        />
        <Route
          path="audit"
          element={
            <AdminOnly>
              <AuditPage />
            </AdminOnly>
          }
        />
        <Route
          path="agreements"
          element={
            <AdminOnly>
              <AgreementsPage />
            </AdminOnly>
          }
        />
        <Route path="*" element={<NotFound />} />
      </Route>
    </Routes>
  );
}
