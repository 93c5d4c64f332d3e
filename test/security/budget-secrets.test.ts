// A budget's scope is made from the run's input, which may carry a credential (a token in a label, say):
// the budget's rows, the step's state, the journal and the gate's reason keep it redacted.
import { describe, expect, test } from 'vitest';
import { runbook, z } from '../../src/index.ts';
import { testFirebreak } from '../support/engine.ts';
import { until } from '../support/until.ts';

const SECRET = 'scope-secret-4f1c9a27';

describe('budget scopes and credentials', () => {
  test('a scope carrying a configured secret is stored and shown as [REDACTED]', async () => {
    const rb = runbook({
      id: 'leaky-scope',
      title: 'leaky scope',
      input: z.object({ tenant: z.string() }),
    }).mitigation('restart', {
      budget: { max: 1, per: '1h', scope: (i) => `tenant-${i.tenant}` },
      apply: async () => ({}),
      revert: async () => {},
    });
    await using fb = await testFirebreak([rb], { secrets: [SECRET] });
    expect((await fb.run('leaky-scope', { tenant: SECRET })).status).toBe('succeeded');
    const { runId } = await fb.start('leaky-scope', { tenant: SECRET });
    await until(async () => ((await fb.store.listApprovals({ runId })).length > 0 ? true : null));

    const q = (sql: string) => fb.store.driver.query<{ t: string }>(sql);
    const [uses] = await q('select json_agg(u)::text as t from mitigation_budget_uses u');
    expect(uses!.t).toContain('tenant-[REDACTED]');
    const dumps = await Promise.all([
      q('select json_agg(u)::text as t from mitigation_budget_uses u'),
      q('select json_agg(s)::text as t from steps s'),
      q('select json_agg(e)::text as t from events e'),
      q('select json_agg(a)::text as t from approvals a'),
    ]);
    for (const [row] of dumps) expect(row!.t).not.toContain(SECRET);
    const view = await fb.view(runId);
    const requested = view!.events.find((e) => e.type === 'approval.requested');
    expect((requested!.data as { summary: string }).summary).toContain('scope tenant-[REDACTED]');
  });
});
