#!/usr/bin/env node
// `npm run build`: TypeScript to dist/ (JS + .d.ts, `.ts` import specifiers rewritten to `.js`), plus the
// files tsc does not emit: the web UI's client script, the `firebreak init` template, and a migrated
// PGlite data directory that in-memory databases (tests, `firebreak/testing`) and first starts load
// instead of running initdb and every migration (seconds each time on a small machine).
//
// `--if-stale` builds only when a source is newer than the last build: the test suite's global setup
// uses it so that tests which start `bin/firebreak.js` never run an old dist/.
//
// Plain JavaScript on purpose: `prepare` runs it on a fresh `npm ci`, before anything is compiled.
import { spawnSync } from 'node:child_process';
import {
  cpSync,
  existsSync,
  mkdirSync,
  readdirSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const dist = join(root, 'dist');
const stamp = join(dist, '.build-stamp');
const inputs = [
  'src',
  'drizzle',
  'templates',
  'scripts',
  'tsconfig.json',
  'tsconfig.build.json',
  'package.json',
];

function newest(path) {
  const s = statSync(path, { throwIfNoEntry: false });
  if (!s) return 0;
  if (!s.isDirectory()) return s.mtimeMs;
  let max = s.mtimeMs;
  for (const entry of readdirSync(path)) max = Math.max(max, newest(join(path, entry)));
  return max;
}

function stale() {
  const built = statSync(stamp, { throwIfNoEntry: false })?.mtimeMs ?? 0;
  return inputs.some((p) => newest(join(root, p)) > built);
}

if (process.argv.includes('--if-stale') && !stale()) process.exit(0);

// Build beside dist/ and swap at the end, so a build that fails leaves the last good one in place.
const out = join(root, `.dist-build-${process.pid}`);
rmSync(out, { recursive: true, force: true });
try {
  const tsc = spawnSync(
    process.execPath,
    [join(root, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.build.json', '--outDir', out],
    { cwd: root, stdio: 'inherit' },
  );
  if (tsc.status !== 0) process.exit(tsc.status ?? 1);
  cpSync(join(root, 'src/web/client.js'), join(out, 'web/client.js'));
  cpSync(join(root, 'templates'), join(out, 'templates'), { recursive: true });
  const snapshot = spawnSync(process.execPath, [join(out, 'db/make-snapshot.js')], {
    cwd: root,
    stdio: 'inherit',
  });
  if (snapshot.status !== 0) process.exit(snapshot.status ?? 1);
  writeFileSync(join(out, '.build-stamp'), `${new Date().toISOString()}\n`);
  rmSync(dist, { recursive: true, force: true });
  renameSync(out, dist);
} finally {
  rmSync(out, { recursive: true, force: true });
}
if (!existsSync(join(dist, 'cli/main.js'))) {
  mkdirSync(dist, { recursive: true });
  console.error('build: dist/cli/main.js is missing');
  process.exit(1);
}
