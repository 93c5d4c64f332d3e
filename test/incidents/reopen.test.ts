// A re-fire within FLAP_WINDOW reopens the incident and runs each matching runbook again, unless the
// runbook's `cooldown` has not passed since its last run for the incident ended, or that run is still
// going. The timeline says which started and which were held back, and why. Seen on main: the incident
// reopened, nothing ran, and the timeline did not say why.
import { describe, expect, test } from 'vitest';
import { ManualClock } from '../../src/core/clock.ts';
import { runbook, z } from '../../src/index.ts';
import { fixtureJson } from '../support/senders.ts';
import { type TestServer, testServer } from '../support/server.ts';
import { until } from '../support/until.ts';

interface Accepted {
  incidentId: string;
  outcome: string;
  runIds: string[];
}

const trigger = [{ alertname: 'Flappy' }];
const input = z.object({});
const plain = runbook({ id: 'plain', title: 'plain', input, triggers: trigger }).diagnostic(
  'look',
  async () => ({ ok: true }),
);
const cooled = runbook({
  id: 'cooled',
  title: 'cooled',
  input,
  triggers: trigger,
  cooldown: '10m',
}).diagnostic('look', async () => ({ ok: true }));
const gated = runbook({ id: 'gated-fix', title: 'gated', input, triggers: trigger })
  .diagnostic('look', async () => ({ ok: true }))
  .approval('goAhead', { approvers: ['alice'] });

function flappy(status: 'firing' | 'resolved'): string {
  const base = fixtureJson('alertmanager/v0.25-single-alert.json');
  const [alert] = base.alerts as Record<string, unknown>[];
  const labels = { alertname: 'Flappy', service: 'checkout' };
  return JSON.stringify({
    ...base,
    groupKey: '{}:{alertname="Flappy"}',
    status,
    commonLabels: labels,
    groupLabels: { alertname: 'Flappy' },
    alerts: [{ ...alert, status, labels, fingerprint: 'fp-flappy' }],
  });
}

const send = (srv: TestServer, status: 'firing' | 'resolved') =>
  srv.post<Accepted>('/webhooks/alertmanager', flappy(status));

async function runsOf(srv: TestServer, incidentId: string) {
  const r = await srv.get<{ runs: { id: string; runbookId: string; status: string }[] }>(
    `/api/runs?incident=${incidentId}`,
  );
  return r.body.runs;
}

describe('a reopened incident', () => {
  test('runs its runbooks again, holds back those in cooldown or still going, and says why', async () => {
    const clock = new ManualClock(new Date());
    await using srv = await testServer({
      server: { runbooks: [plain, cooled, gated], clock },
      env: { FLAP_WINDOW: '1h' },
    });
    const opened = await send(srv, 'firing');
    expect(opened.body.outcome).toBe('opened');
    const { incidentId } = opened.body;
    const first = await runsOf(srv, incidentId);
    expect(first.map((r) => r.runbookId).sort()).toEqual(['cooled', 'gated-fix', 'plain']);
    const byRunbook = (id: string) => first.find((r) => r.runbookId === id)!.id;
    await srv.finalRun(byRunbook('plain'));
    await srv.finalRun(byRunbook('cooled'));
    // The gated run waits at its gate (a run still going when the incident reopens).
    await until(async () => {
      const r = await srv.get<{ approvals: unknown[] }>(`/api/approvals?run=${byRunbook('gated-fix')}`);
      return r.body.approvals.length === 1 ? true : null;
    });

    clock.advance(60_000);
    expect((await send(srv, 'resolved')).body.outcome).toBe('resolved');
    clock.advance(30_000);
    const reopened = await send(srv, 'firing');
    expect(reopened.body).toMatchObject({ incidentId, outcome: 'reopened' });
    expect(reopened.body.runIds).toHaveLength(1);
    const again = await srv.finalRun(reopened.body.runIds[0]!);
    expect(again.run).toMatchObject({ runbookId: 'plain', status: 'succeeded', incidentId });
    expect(again.run.idempotencyKey).toBe(`${incidentId}:plain:reopen:1`);

    const timeline = (await srv.incident(incidentId)).timeline;
    const afterReopen = timeline.slice(timeline.findIndex((e) => e.type === 'incident.reopened'));
    expect(afterReopen.find((e) => e.type === 'run.created')?.data).toEqual({
      runbook: 'plain',
      reason: 'the incident reopened',
    });
    const held = afterReopen.filter((e) => e.type === 'run.held_back').map((e) => e.data);
    expect(held).toEqual(
      expect.arrayContaining([
        {
          runbook: 'cooled',
          lastRunId: byRunbook('cooled'),
          reason: expect.stringMatching(
            new RegExp(
              `^cooldown 10m: its last run ${byRunbook('cooled')} ended 9\\d s ago \\(succeeded\\)$`,
            ),
          ),
        },
        {
          runbook: 'gated-fix',
          lastRunId: byRunbook('gated-fix'),
          reason: `its run ${byRunbook('gated-fix')} for this incident is still waiting`,
        },
      ]),
    );
    expect(held).toHaveLength(2);
    // The web page's timeline says it in words too.
    const page = await srv.get(`/incidents/${incidentId}`);
    expect(page.text).toContain('run.held_back');
    expect(page.text).toContain('reason: cooldown 10m: its last run');

    // Past the cooldown, the next reopen runs `cooled` again.
    clock.advance(11 * 60_000);
    expect((await send(srv, 'resolved')).body.outcome).toBe('resolved');
    const third = await send(srv, 'firing');
    expect(third.body.outcome).toBe('reopened');
    const started = await Promise.all(third.body.runIds.map((id) => srv.finalRun(id)));
    expect(started.map((v) => v.run.runbookId).sort()).toEqual(['cooled', 'plain']);
  });
});

test('a cooldown that is not a duration is refused when the runbook loads', async () => {
  const { runbookProblems } = await import('../../src/dsl/validate.ts');
  const bad = runbook({ id: 'bad', title: 'bad', input, cooldown: 'soon' }).diagnostic('x', async () => 1);
  expect(runbookProblems(bad)).toEqual([expect.stringMatching(/^cooldown: /)]);
});
