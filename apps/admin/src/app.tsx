import { Alert, Button, Center, Loader, Stack } from '@mantine/core';
import { lazy, Suspense } from 'react';
import { Route, Routes } from 'react-router';
import { useSession } from './lib/session';
import { LoginPage } from './pages/auth/login-page';
import { SetupPage } from './pages/auth/setup-page';
import { SignupPage } from './pages/auth/signup-page';

const SignedInRoutes = lazy(() => import('./signed-in'));

function FullPageLoader() {
  return (
    <Center mih="100vh">
      <Loader aria-label="Loading" />
    </Center>
  );
}

export function App() {
  const session = useSession();
  if (session.isPending) return <FullPageLoader />;
  if (session.isError) {
    return (
      <Center mih="100vh" p="md">
        <Stack maw={480}>
          <Alert color="red" title="The server does not answer">
            {session.error.message}
          </Alert>
          <Button onClick={() => session.refetch()} loading={session.isFetching}>
            Try again
          </Button>
        </Stack>
      </Center>
    );
  }
  if (session.data) {
    return (
      <Suspense fallback={<FullPageLoader />}>
        <SignedInRoutes />
      </Suspense>
    );
  }
  // Signed out: any other address shows the sign-in form and stays put, so a deep link works after sign-in.
  return (
    <Routes>
      <Route path="/signup" element={<SignupPage />} />
      <Route path="/setup" element={<SetupPage />} />
      <Route path="*" element={<LoginPage />} />
    </Routes>
  );
}
