// The example runbooks load as `firebreak runbooks validate` loads them: every file in runbooks/ is a
// valid runbook (graph, triggers, game days), and the API clients in runbooks/lib/ are not runbooks.
import { fileURLToPath } from 'node:url';
import { describe, expect, test } from 'vitest';
import { loadRunbooks, runbookFiles } from '../../src/runbooks/loader.ts';

const dir = fileURLToPath(new URL('../../runbooks/', import.meta.url));
const examples = [
  'crash-looping-pods',
  'db-connections-saturated',
  'disk-almost-full',
  'high-error-rate',
  'page-triage',
  'tls-cert-expiry',
  'vm-disk-almost-full',
];

describe('runbooks/', () => {
  test('every runbook loads without problems; lib/ is not loaded', async () => {
    expect(runbookFiles(dir).some((f) => f.includes('/lib/'))).toBe(false);
    const report = await loadRunbooks(dir);
    expect(report.failed).toEqual([]);
    expect(report.loaded.map((rb) => rb.id)).toEqual(expect.arrayContaining(examples));
  });

  test('each example has triggers, fromAlert, a concurrency key, a dry-run game day and postmortem sections', async () => {
    const report = await loadRunbooks(dir);
    for (const id of examples) {
      const o = report.loaded.find((rb) => rb.id === id)!.runbook.options;
      expect(o.triggers?.length, id).toBeGreaterThan(0);
      expect(typeof o.fromAlert, id).toBe('function');
      expect(o.concurrency?.limit, id).toBe(1);
      expect(o.gameDays?.[0], id).toMatchObject({ timezone: 'Europe/Berlin', mode: 'dry-run' });
      expect(typeof o.postmortem, id).toBe('function');
    }
  });
});
