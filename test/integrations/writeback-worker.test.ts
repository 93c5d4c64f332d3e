// Engine events are per process: a run executed by `firebreak worker` (serve with FIREBREAK_WORK=false)
// writes back from the worker. The built CLI, on PostgreSQL (a worker shares its database with serve).
import { fileURLToPath } from 'node:url';
import { describe, expect, test } from 'vitest';
import { createFirebreak } from '../../src/firebreak.ts';
import { startCli } from '../support/cli-process.ts';
import { onPostgres, testDatabase } from '../support/db.ts';
import { fakePagerDuty } from '../support/fake-pagerduty.ts';

const RUNBOOKS = fileURLToPath(new URL('../fixtures/runbooks-writeback', import.meta.url));
const TOKEN = 'pd-api-key-y_Nbg3K9';
const FROM = 'firebreak-bot@acme.example';

describe.skipIf(!onPostgres)('write-back from a worker', () => {
  test('a run a worker executes acknowledges, notes and resolves its page', async () => {
    await using db = await testDatabase();
    await using pd = await fakePagerDuty({ token: TOKEN, users: [FROM] });
    pd.addIncident('PASKED1');
    await using fb = await createFirebreak({
      databaseUrl: db.databaseUrl,
      runbooksDir: RUNBOOKS,
      work: false,
    });
    const { runId } = await fb.start('asks-for-write-back', {});
    const worker = startCli(['worker'], {
      DATABASE_URL: db.databaseUrl,
      RUNBOOKS_DIR: RUNBOOKS,
      FIREBREAK_POLL_MS: '200',
      PAGERDUTY_API_TOKEN: TOKEN,
      PAGERDUTY_FROM_EMAIL: FROM,
      PAGERDUTY_API_URL: pd.url,
      PUBLIC_URL: 'https://firebreak.acme.example',
    });
    try {
      await pd.waitFor(
        (r) => (r.json as { incident?: { status?: string } })?.incident?.status === 'resolved',
        30_000,
      );
      expect(pd.writes('PASKED1')).toEqual([
        'acknowledged',
        `note: firebreak (asks-for-write-back, run ${runId}): mitigation "scale-out" applied. https://firebreak.acme.example/runs/${runId}`,
        `note: firebreak (asks-for-write-back, run ${runId}): run succeeded. https://firebreak.acme.example/runs/${runId}`,
        'resolved',
      ]);
      expect(worker.output()).not.toContain(TOKEN);
    } finally {
      worker.kill('SIGTERM');
      expect((await worker.exited).code).toBe(0);
    }
  });
});
