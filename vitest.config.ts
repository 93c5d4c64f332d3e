import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

const src = (path: string) => fileURLToPath(new URL(`./src/${path}`, import.meta.url));

export default defineConfig({
  // Tests run firebreak from its TypeScript source; the package's `exports` point at dist/ (the build).
  resolve: {
    alias: [
      { find: /^firebreak\/testing$/, replacement: src('testing/index.ts') },
      { find: /^firebreak\/integrations$/, replacement: src('integrations/index.ts') },
      { find: /^firebreak$/, replacement: src('index.ts') },
    ],
  },
  test: {
    include: ['test/**/*.test.ts'],
    // test/ship (the package installed from its tarball, the container image) takes minutes and does not
    // depend on the database: CI runs it once, in its own step (`npm run test:ship`), not in both passes.
    exclude:
      process.env.FIREBREAK_SHIP_TESTS === '1'
        ? ['**/node_modules/**']
        : ['**/node_modules/**', 'test/ship/**'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // Each test gets its own database (PGlite in memory, or a copy of a migrated template on PostgreSQL).
    pool: 'forks',
    // Two files at a time: this is a 2-core machine, and most of a test file's time is waiting on I/O.
    maxWorkers: 2,
    // Builds dist/ first when a source changed: tests that start `bin/firebreak.js` run the current code.
    globalSetup: ['test/support/global-setup.ts'],
  },
});
