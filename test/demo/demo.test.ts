import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { expect, test } from 'vitest';

const root = fileURLToPath(new URL('../..', import.meta.url));

test('npm run demo walks the whole loop: alert, incident, diagnostics, approval, rollback, resolve, postmortem', () => {
  const r = spawnSync(
    process.execPath,
    ['--import', 'tsx', 'demo/run.ts', '--auto-approve', '--exit', '--port', '0'],
    {
      cwd: root,
      encoding: 'utf8',
      timeout: 120_000,
    },
  );
  expect(r.status, r.stderr).toBe(0);
  for (const line of [
    'incident opened, runbook checkout-rollback started',
    'the rollback waits for an approval',
    'run succeeded: checkout is on checkout:1.41.0',
    'incident resolved',
    'postmortem draft:',
  ]) {
    expect(r.stdout).toContain(line);
  }
}, 150_000);
