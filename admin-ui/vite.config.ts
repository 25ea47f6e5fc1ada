import react from '@vitejs/plugin-react';
import { defineConfig } from 'vitest/config';

const api = process.env.API_URL ?? 'http://localhost:4000';

export default defineConfig({
  plugins: [react()],
  // served by the server at /admin, same origin as /graphql
  base: '/admin/',
  server: {
    port: 5173,
    proxy: { '/graphql': api, '/files': api, '/links': api },
  },
  build: {
    outDir: 'dist',
    sourcemap: true,
    chunkSizeWarningLimit: 1200,
  },
  test: {
    include: ['src/**/*.spec.ts', 'test/**/*.spec.ts'],
    testTimeout: 60_000,
    hookTimeout: 240_000,
    reporters: ['default', './test/summary-reporter.ts'],
  },
});
