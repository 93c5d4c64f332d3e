// Mitigation budgets where people look: the run page says how much of the budget an apply used, or why
// an apply waits (the gate's reason); /metrics has the fullest scope's uses, the limit and the checks.
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { runbook, z } from '../../src/index.ts';
import { parseExposition, sampleValue } from '../observability/support.ts';
import { type TestServer, testServer } from '../support/server.ts';
import { until } from '../support/until.ts';
import { web } from './support.ts';

const restart = runbook({
  id: 'budget-web',
  title: 'Restart with a budget',
  input: z.object({ namespace: z.string() }),
}).mitigation('restart', {
  budget: { max: 2, per: '1h', scope: (i) => i.namespace },
  apply: async () => ({ restarted: true }),
  revert: async () => {},
});

describe('budgets in the UI and /metrics', () => {
  let srv: TestServer;
  const runs: string[] = [];
  beforeAll(async () => {
    // No API tokens: loopback callers are admins, pages need no session.
    srv = await testServer({ server: { runbooks: [restart] } });
    for (const namespace of ['prod', 'prod', 'prod', 'staging']) {
      const r = await srv.post<{ runId: string }>('/api/runs', {
        runbook: 'budget-web',
        input: { namespace },
      });
      expect(r.status, r.text).toBe(201);
      runs.push(r.body.runId);
      await until(async () => {
        const v = await srv.get<{ run: { status: string } }>(`/api/runs/${r.body.runId}`);
        return ['succeeded', 'waiting'].includes(v.body.run.status) ? true : null;
      });
    }
  });
  afterAll(async () => {
    await srv?.close();
  });

  test('the run page: "budget: 2 of 2 used in the last hour", or the gate\'s reason while it waits', async () => {
    const second = await web(srv, `/runs/${runs[1]}`);
    expect(second.status, second.text).toBe(200);
    expect(second.text).toContain('budget: 2 of 2 used in the last hour (scope prod)');

    const third = await web(srv, `/runs/${runs[2]}`);
    expect(third.text).toContain(
      'budget exceeded: 2 restart applies in the last hour (max 2, scope prod): waiting for an approver to let it through',
    );
    // The journal says it too: the count when an apply counted, the reason when one was held.
    expect(second.text).toContain('<td>mitigation.budget_counted</td>');
    expect(third.text).toMatch(/<td>mitigation\.budget_exceeded<\/td>.*budget exceeded: 2 restart applies/s);
  });

  test("the runbook's page lists its budgets", async () => {
    const page = await web(srv, '/runbooks/budget-web');
    expect(page.status, page.text).toBe(200);
    expect(page.text).toContain(
      'at most 2 applies per hour, per scope (from the input); over it, an approver may let it through',
    );
  });

  test('/metrics: uses of the fullest scope, the limit, and the checks by outcome', async () => {
    const s = parseExposition((await srv.get('/metrics')).text);
    const labels = { runbook: 'budget-web', mitigation: 'restart' };
    expect(sampleValue(s, 'firebreak_mitigation_budget_used', labels)).toBe(2);
    expect(sampleValue(s, 'firebreak_mitigation_budget_max', labels)).toBe(2);
    expect(
      sampleValue(s, 'firebreak_mitigation_budget_checks_total', { ...labels, outcome: 'counted' }),
    ).toBe(3);
    expect(
      sampleValue(s, 'firebreak_mitigation_budget_checks_total', { ...labels, outcome: 'exceeded' }),
    ).toBe(1);
    expect(
      sampleValue(s, 'firebreak_mitigation_budget_checks_total', { ...labels, outcome: 'overridden' }),
    ).toBe(0);
  });
});
