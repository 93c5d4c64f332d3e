import { expect, test } from 'vitest';
import { runbook, z } from '../../src/index.ts';
import { testFirebreak } from '../support/engine.ts';

test('an approval summary written as a function is computed from the run and shown with the request', async () => {
  const rb = runbook({ id: 'summary', title: 'summary', input: z.object({ service: z.string() }) })
    .diagnostic('ratio', async () => ({ ratio: 0.12 }))
    .approval('gate', {
      summary: ({ input, steps }) => `roll back ${input.service}? ratio ${steps.ratio.ratio}`,
    });
  await using fb = await testFirebreak([rb]);
  const parked = fb.engine.events.waitFor('run.parked');
  const { runId } = await fb.start('summary', { service: 'checkout' });
  await parked;
  const requested = (await fb.store.listEvents({ runId })).find((e) => e.type === 'approval.requested');
  expect(requested?.data).toMatchObject({ summary: 'roll back checkout? ratio 0.12' });
});

test("a mitigation's gate shows its summary too (one approval policy for both places)", async () => {
  const rb = runbook({ id: 'gated-fix', title: 'gated fix', input: z.object({ service: z.string() }) })
    .diagnostic('deploy', async () => ({ sha: 'abc123' }))
    .mitigation('rollback', {
      approval: { summary: ({ input, steps }) => `roll ${input.service} back from ${steps.deploy.sha}?` },
      apply: async () => ({}),
      revert: async () => {},
    });
  await using fb = await testFirebreak([rb]);
  const parked = fb.engine.events.waitFor('run.parked');
  const { runId } = await fb.start('gated-fix', { service: 'checkout' });
  await parked;
  const requested = (await fb.store.listEvents({ runId })).find((e) => e.type === 'approval.requested');
  expect(requested?.data).toMatchObject({ summary: 'roll checkout back from abc123?' });
});
