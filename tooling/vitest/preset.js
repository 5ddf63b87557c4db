// Shared vitest settings: resolve workspace packages to their TypeScript sources
// (the "@roster/source" export condition), so tests never need a prior build.
import { defineProject, mergeConfig } from 'vitest/config';

const base = defineProject({
  resolve: { conditions: ['@roster/source'] },
  ssr: { resolve: { conditions: ['@roster/source'], externalConditions: ['@roster/source'] } },
  test: {
    server: { deps: { inline: [/@roster\//] } },
    environment: 'node',
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 180_000,
  },
});

/** @param {import('vitest/config').UserProjectConfigExport} overrides */
export function rosterProject(overrides = {}) {
  return mergeConfig(base, overrides);
}
