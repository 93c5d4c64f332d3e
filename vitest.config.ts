import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // Each test gets its own database (PGlite in memory, or a copy of a migrated template on PostgreSQL).
    pool: 'forks',
    // Two files at a time: this is a 2-core machine, and most of a test file's time is waiting on I/O.
    maxWorkers: 2,
    globalSetup: ['test/support/global-setup.ts'],
  },
});
