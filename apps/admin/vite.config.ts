import react from '@vitejs/plugin-react';
import { defaultClientConditions, defineConfig } from 'vite';

export default defineConfig({
  plugins: [react()],
  // Workspace packages ship TypeScript sources under this condition: no prior build needed.
  resolve: { conditions: ['@roster/source', ...defaultClientConditions] },
  build: { target: 'es2022', sourcemap: true },
  server: {
    // `pnpm dev` next to a server on :3000 (`pnpm --filter @roster/server dev`).
    proxy: { '/trpc': 'http://127.0.0.1:3000' },
  },
});
