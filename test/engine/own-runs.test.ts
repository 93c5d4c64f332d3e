// `firebreak run --local` executes the run it started and nothing else: its engine claims among its own
// runs only. Seen on main: `run` and `gameday run` opened the database with a full worker, so pointed at
// production from a laptop they claimed any due runs (up to 32 a batch) and executed them there.
import { expect, test } from 'vitest';
import { runbook, z } from '../../src/index.ts';
import { testFirebreak } from '../support/engine.ts';

test('an engine working its own runs only never claims a due run it did not start', async () => {
  const executed: string[] = [];
  // The sleep parks the run (longer than the engine waits in memory), so the engine has to claim it
  // again later, with the other run due all that time.
  const rb = runbook({ id: 'job', title: 'job', input: z.object({ n: z.number() }) })
    .diagnostic('work', async ({ run }) => {
      executed.push(run.id);
      return { ok: true };
    })
    .sleep('pause', { duration: '1500ms' });
  await using fb = await testFirebreak([rb], { work: false });
  // Every claim the engine makes, with the runs it was limited to.
  const claims: (readonly string[] | undefined)[] = [];
  const claimRuns = fb.store.claimRuns.bind(fb.store);
  fb.store.claimRuns = async (owner, now, leaseMs, limit, among) => {
    claims.push(among);
    return claimRuns(owner, now, leaseMs, limit, among);
  };
  // Someone else's run, due and unleased: what a production worker would pick up.
  const theirs = await fb.start('job', { n: 1 });
  await fb.engine.work({ ownRunsOnly: true });
  const mine = await fb.start('job', { n: 2 });
  const claimedAgain = fb.engine.events.waitFor('run.claimed', (e) => e.runId === mine.runId, 20_000);
  expect((await fb.result(mine.runId, { timeoutMs: 20_000 })).status).toBe('succeeded');
  await claimedAgain;
  expect(claims.some((among) => among?.includes(mine.runId))).toBe(true);
  expect(claims.every((among) => among !== undefined && !among.includes(theirs.runId))).toBe(true);
  const other = await fb.store.getRun(theirs.runId);
  expect(other).toMatchObject({ status: 'queued', claims: 0, leaseOwner: null });
  expect(executed).toEqual([mine.runId]);
});
