import { describe, expect, test } from 'vitest';
import { runbook, z } from '../../src/index.ts';
import { testDatabase } from '../support/db.ts';
import { journal, type TestFirebreak, testFirebreak } from '../support/engine.ts';

const input = z.object({});

/** v1: a mitigation, a gate, then a diagnostic. `title` changes the version and nothing else. */
function v1(log: string[], title = 'v1') {
  return runbook({ id: 'drift', title, input })
    .mitigation('drain', {
      apply: async () => log.push('apply'),
      revert: async () => log.push('revert'),
    })
    .approval('ok', {})
    .diagnostic('after', async () => log.push('after'));
}

async function approve(fb: TestFirebreak, runId: string) {
  const [gate] = await fb.store.listApprovals({ runId });
  const now = new Date();
  const d = { by: 'U1', via: 'api', decision: 'approve' as const, reason: null, at: now.toISOString() };
  expect((await fb.store.decideApproval(gate!.id, d, () => 'approved', now)).outcome).toBe('recorded');
}

/** Starts a v1 run that parks at its gate, then closes that firebreak. */
async function parkedUnderV1(db: Awaited<ReturnType<typeof testDatabase>>, log: string[]) {
  await using fb = await testFirebreak([v1(log)], { db });
  const parked = fb.engine.events.waitFor('run.parked');
  const { runId } = await fb.start('drift', {});
  await parked;
  const run = (await fb.store.getRun(runId))!;
  return { runId, version: run.runbookVersion };
}

describe('runbook version drift', () => {
  test('a run continues under a new version whose remaining steps are unchanged in name and kind', async () => {
    await using db = await testDatabase({ durable: true });
    const log: string[] = [];
    const { runId, version } = await parkedUnderV1(db, log);

    await using fb = await testFirebreak([v1(log, 'v2: reworded')], { db });
    const v2 = fb.registry.get('drift')!.version;
    expect(v2).not.toBe(version);
    await approve(fb, runId);
    const run = await fb.result(runId);
    expect(run).toMatchObject({ status: 'succeeded', runbookVersion: v2 });
    expect((await fb.store.getRun(runId))!.runbookVersion).toBe(v2);
    expect(log).toEqual(['apply', 'after']);
    const changed = (await fb.view(runId))!.events.find((e) => e.type === 'run.version_changed');
    expect(changed?.data).toEqual({ from: version, to: v2 });
  });

  test('a run whose remaining steps are gone or changed kind fails with version_drift and reverts', async () => {
    await using db = await testDatabase({ durable: true });
    const log: string[] = [];
    const { runId } = await parkedUnderV1(db, log);

    // v2 drops the gate and turns `after` into a notify: both are still to run.
    const v2 = runbook({ id: 'drift', title: 'v2', input })
      .mitigation('drain', {
        apply: async () => log.push('apply v2'),
        revert: async () => log.push('revert v2'),
      })
      .notify('after', { message: 'done' });
    await using fb = await testFirebreak([v2], { db });
    await approve(fb, runId);
    const run = await fb.result(runId);
    expect(run.status).toBe('compensated');
    expect(run.error).toMatchObject({ code: 'version_drift', details: { missing: ['ok', 'after'] } });
    expect(run.error!.message).toContain('ok, after');
    expect(log).toEqual(['apply', 'revert v2']);
    const types = await journal(fb, runId);
    expect(types).not.toContain('run.version_changed');
    expect(types.slice(types.indexOf('run.compensating'))).toEqual([
      'run.compensating',
      'step.started',
      'mitigation.reverted',
      'run.compensated',
    ]);
    expect((await fb.view(runId))!.steps.find((s) => s.stepKey === 'drain')?.status).toBe('reverted');
  });
});
