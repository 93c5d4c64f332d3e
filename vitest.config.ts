import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // Tests that share one PostgreSQL database create their own schemas, so files may run in parallel.
    pool: 'forks',
    // Two files at a time: this is a 2-core machine, and most of a test file's time is waiting on I/O.
    maxWorkers: 2,
    globalSetup: ['test/support/global-setup.ts'],
  },
});
