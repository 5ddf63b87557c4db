import { rosterProject } from '@roster/vitest-preset';

export default rosterProject({
  test: {
    name: 'client',
    // The same single database server per run as the server's own tests.
    globalSetup: ['../../apps/server/test/global-setup.ts'],
  },
});
