import { createRequire } from 'node:module';
import { defineConfig } from 'vitest/config';

const require = createRequire(import.meta.url);

/**
 * Two tiers. `unit`: the specs beside the sources (src/**), which need no database and run in
 * seconds (`pnpm test:unit`). `integration`: test/**, against a real PostgreSQL that the global setup
 * starts once, and real HTTP against the running server. `pnpm test` runs both.
 */
export default defineConfig({
  resolve: {
    // type-graphql loads graphql's CommonJS build from node_modules; our sources must get the same
    // instance, not the ESM build Vite would pick, or the schema mixes two "realms" and fails
    alias: [{ find: /^graphql$/, replacement: require.resolve('graphql') }],
  },
  test: {
    setupFiles: ['test/support/setup.ts'],
    pool: 'forks',
    testTimeout: 30_000,
    hookTimeout: 120_000,
    reporters: ['default', './test/support/summary-reporter.ts'],
    projects: [
      { test: { name: 'unit', include: ['src/**/*.spec.ts'] } },
      { test: { name: 'integration', include: ['test/**/*.spec.ts'], globalSetup: ['test/support/global-setup.ts'] } },
    ],
  },
});
