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
