#!/usr/bin/env node
// The firebreak CLI: the built JavaScript in dist/, run by plain node. Runbook files in TypeScript are
// compiled as they load (src/runbooks/hooks.ts); firebreak itself needs no TypeScript tooling.
import { existsSync } from 'node:fs';

const entry = new URL('../dist/cli/main.js', import.meta.url);
if (!existsSync(entry)) {
  process.stderr.write('firebreak: dist/ is missing; in a checkout, run `npm run build` (npm ci does it).\n');
  process.exit(1);
}
const { main } = await import(entry.href);
const code = await main(process.argv.slice(2));
process.exitCode = code;
// The command is done. Whatever a runbook left open (a connection pool, a timer) must not keep the
// process alive: give the event loop a moment to empty on its own, then exit.
setTimeout(() => process.exit(code), 1_000).unref();
