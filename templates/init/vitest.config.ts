import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Each testRunbook starts an in-memory PostgreSQL (PGlite) from a migrated snapshot: about a second
    // on a laptop, several on a busy CI runner, where vitest's default 5 s is too tight.
    testTimeout: 30_000,
  },
});
