import { defineConfig } from 'tsup';

export default defineConfig({
  // The server, and the operators' CLI (`roster`, the package's bin).
  entry: { main: 'src/main.ts', cli: 'src/cli/index.ts' },
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
