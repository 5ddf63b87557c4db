import { rosterProject } from '@roster/vitest-preset';

export default rosterProject({
  test: {
    name: 'admin',
    // The server's setup provides `mongoUri`; ours builds the console when stale and makes sure Chromium is there.
    globalSetup: ['../../apps/server/test/global-setup.ts', './test/build-and-browser-setup.ts'],
    testTimeout: 60_000,
  },
});
