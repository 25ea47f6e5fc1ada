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
    // the browser needs more than the default second to load lazy chunks on a busy 2-core machine
    expect: { poll: { timeout: 15_000, interval: 100 } },
    hookTimeout: 240_000,
    // each end-to-end file starts a server and a browser; two at once on a 2-core machine only race
    fileParallelism: false,
    reporters: ['default', './test/summary-reporter.ts'],
  },
});
