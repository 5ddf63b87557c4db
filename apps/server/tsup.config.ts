import { defineConfig } from 'tsup';

export default defineConfig({
  entry: ['src/main.ts'],
  format: ['esm'],
  platform: 'node',
  target: 'node20',
  clean: true,
  sourcemap: true,
  // The contracts are bundled from source; runtime libraries stay in node_modules.
  noExternal: ['@roster/contracts'],
  esbuildOptions(options) {
    options.conditions = ['@roster/source'];
  },
});
