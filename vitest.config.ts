import { defineConfig } from 'vitest/config';

// `vitest` at the root runs every package's project; `pnpm test` runs them through turbo.
export default defineConfig({
  test: {
    projects: ['packages/*', 'apps/*'],
  },
});
