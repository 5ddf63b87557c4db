import { rosterProject } from '@roster/vitest-preset';

export default rosterProject({
  test: {
    name: 'server',
    globalSetup: ['./test/global-setup.ts'],
  },
});
