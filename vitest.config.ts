import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // Tests that share one PostgreSQL database create their own schemas, so files may run in parallel.
    pool: 'forks',
    globalSetup: ['test/support/global-setup.ts'],
  },
});
