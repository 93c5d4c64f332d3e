// Who may decide a gate and what a decision does to it: the pure policy, then the same rules through
// the API (four eyes) and the store (escalation), which all surfaces share.
import { fileURLToPath } from 'node:url';
import { describe, expect, test } from 'vitest';
import { Identities } from '../../src/config/identities.ts';
import { ManualClock } from '../../src/core/clock.ts';
import { runbook, z } from '../../src/index.ts';
import { Approvals } from '../../src/services/approvals/decide.ts';
import { type Decider, type DecisionRequest, judge, mayDecide } from '../../src/services/approvals/policy.ts';
import type { ApprovalRecord } from '../../src/store/records.ts';
import { testFirebreak } from '../support/engine.ts';
import { testServer } from '../support/server.ts';

function gate(policy: Record<string, unknown>, extra: Partial<ApprovalRecord> = {}): ApprovalRecord {
  return {
    id: '00000000-0000-4000-8000-000000000001',
    runId: '00000000-0000-4000-8000-000000000002',
    stepKey: 'go',
    status: 'pending',
    policy,
    decisions: [],
    requestedBy: null,
    requestedAt: new Date('2026-01-01T00:00:00Z'),
    expiresAt: null,
    decidedAt: null,
    reason: null,
    ...extra,
  };
}

const as = (identity: string, more: Partial<Decider> = {}): Decider => ({
  identity,
  via: 'slack',
  groups: [],
  ...more,
});
const approve = (d: Decider): DecisionRequest => ({ decider: d, decision: 'approve', reason: null });
const reject = (d: Decider, reason: string | null): DecisionRequest => ({
  decider: d,
  decision: 'reject',
  reason,
});
const approvedBy = (by: string) => ({ by, via: 'slack', decision: 'approve' as const, reason: null, at: '' });

describe('approval policy', () => {
  test('quorum 2: the first approval leaves the gate pending, a second approver settles it', () => {
    const policy = { approvers: ['alice', 'bob', 'carol'], quorum: 2 };
    expect(judge(gate(policy), approve(as('alice')))).toBe('pending');
    const once = gate(policy, { decisions: [approvedBy('alice')] });
    expect(judge(once, approve(as('bob')))).toBe('approved');
    expect(judge(once, approve(as('alice')))).toEqual({
      refuse: 'alice has already approved; another approver is needed',
    });
  });

  test('four eyes: the requester of a manual run cannot approve it, but may reject it', () => {
    const policy = { approvers: ['alice', 'bob'] };
    const manual = gate(policy, { requestedBy: 'api:alice' });
    expect(judge(manual, approve(as('alice', { via: 'api', role: 'admin' })))).toEqual({
      refuse: 'the requester of a manual run cannot approve its own gate (four eyes)',
    });
    expect(judge(manual, approve(as('bob', { via: 'api' })))).toBe('approved');
    expect(judge(manual, reject(as('alice', { via: 'api' }), 'changed my mind'))).toBe('rejected');
    // A run an alert started has no requester: its approvers decide freely.
    expect(judge(gate(policy, { requestedBy: 'alert:alertmanager' }), approve(as('alice')))).toBe('approved');
  });

  test('a rejection needs a reason', () => {
    const policy = { approvers: ['alice'] };
    expect(judge(gate(policy), reject(as('alice'), null))).toEqual({ refuse: 'a rejection needs a reason' });
    expect(judge(gate(policy), reject(as('alice'), '  '))).toEqual({ refuse: 'a rejection needs a reason' });
    expect(judge(gate(policy), reject(as('alice'), 'error budget is fine'))).toBe('rejected');
  });

  test('approvers, groups and roles name who may decide; others are refused before anything else', () => {
    const policy = { approvers: ['U024BE7LH'], groups: ['sre-oncall'], roles: ['approver'] };
    expect(mayDecide(policy, as('U024BE7LH'))).toBe(true);
    expect(mayDecide(policy, as('U0BOB', { groups: ['sre-oncall'] }))).toBe(true);
    expect(mayDecide(policy, as('bob', { via: 'api', role: 'approver' }))).toBe(true);
    expect(mayDecide(policy, as('U0DEV', { groups: ['dev'] }))).toBe(false);
    expect(mayDecide(policy, as('viewer', { via: 'api', role: 'viewer' }))).toBe(false);
    // Break glass: an admin token always may; it is recorded like any decision.
    expect(mayDecide(policy, as('root', { via: 'api', role: 'admin' }))).toBe(true);
    expect(judge(gate(policy), reject(as('U0DEV'), null))).toEqual({
      refuse: 'U0DEV is not an approver of this gate',
    });
    // A gate that names nobody needs the approver role, on every surface: Slack users get theirs from
    // IDENTITIES, so one without a role is refused like an API viewer.
    expect(mayDecide({}, as('U0ANYONE'))).toBe(false);
    expect(mayDecide({}, as('viewer', { via: 'api', role: 'viewer' }))).toBe(false);
    expect(mayDecide({}, as('ops', { via: 'api', role: 'operator' }))).toBe(false);
    expect(mayDecide({}, as('U0ALICE', { role: 'approver' }))).toBe(true);
    expect(mayDecide({}, as('root', { via: 'api', role: 'admin' }))).toBe(true);
    expect(judge(gate({}), approve(as('U0ANYONE')))).toEqual({
      refuse: 'U0ANYONE does not have the approver role, which a gate naming no approvers needs',
    });
  });

  test('after escalation the escalation group may decide as well', () => {
    const policy = { groups: ['sre-oncall'] };
    const lead = as('U0LEAD', { groups: ['sre-leads'] });
    expect(mayDecide(policy, lead)).toBe(false);
    expect(mayDecide({ ...policy, escalatedTo: 'sre-leads' }, lead)).toBe(true);
    expect(judge(gate({ ...policy, escalatedTo: 'sre-leads' }), approve(lead))).toBe('approved');
  });
});

describe('the policy through the surfaces', () => {
  test('a run alice started via POST /api/runs cannot be approved by alice; bob can', async () => {
    await using ts = await testServer({
      runbooksDir: fileURLToPath(new URL('../fixtures/runbooks-slack', import.meta.url)),
      env: { API_TOKENS: 'alice-token-0001=admin:alice,bob-token-00002=approver:bob' },
    });
    const alice = { authorization: 'Bearer alice-token-0001' };
    const bob = { authorization: 'Bearer bob-token-00002' };
    const started = await ts.post<{ runId: string }>('/api/runs', { runbook: 'gated', input: {} }, alice);
    expect(started.status).toBe(201);
    const { runId } = started.body;
    const pending = await ts.fb.engine.events
      .waitFor('run.parked', (e) => e.runId === runId)
      .then(() =>
        ts.get<{ approvals: { id: string; requestedBy: string }[] }>(`/api/approvals?run=${runId}`, alice),
      );
    const approval = pending.body.approvals[0]!;
    expect(approval.requestedBy).toBe('api:alice');

    const own = await ts.post(`/api/approvals/${approval.id}/approve`, {}, alice);
    expect(own.status).toBe(403);
    expect(own.text).toContain('four eyes');
    const other = await ts.post(`/api/approvals/${approval.id}/approve`, {}, bob);
    expect(other.status).toBe(200);
    expect((await ts.fb.result(runId)).status).toBe('succeeded');
    const run = (await ts.fb.view(runId))!;
    expect(run.events.filter((e) => e.type === 'approval.refused').map((e) => e.data)).toMatchObject([
      { by: 'alice', via: 'api', decision: 'approve' },
    ]);
  });

  test('a gate that times out is escalated by the engine; then the escalation group may decide', async () => {
    const rb = runbook({ id: 'escalating', title: 'escalating', input: z.object({}) })
      .approval('go', {
        groups: ['sre-oncall'],
        timeout: '15m',
        onTimeout: { escalate: 'sre-leads', extend: '15m' },
      })
      .diagnostic('after', async () => ({ ok: true }));
    const clock = new ManualClock(new Date());
    await using fb = await testFirebreak([rb], { clock });
    const approvals = new Approvals(fb.store, clock, new Identities([], [], { 'sre-leads': ['U0LEAD'] }));
    const parked = fb.engine.events.waitFor('run.parked');
    const { runId } = await fb.start('escalating', {});
    await parked;
    const [pending] = await fb.store.listApprovals({ runId });
    const lead = approvals.decider('slack', 'U0LEAD');
    expect(lead.groups).toEqual(['sre-leads']);

    const before = await approvals.decide(pending!.id, approve(lead));
    expect(before).toEqual({ outcome: 'refused', reason: 'U0LEAD is not an approver of this gate' });
    // The timeout passes: the engine (not the test) escalates, extends, and parks the run again.
    const escalated = fb.engine.events.waitFor('run.parked', (e) => e.runId === runId);
    clock.advance(16 * 60_000);
    fb.engine.poke();
    await escalated;
    const view = await fb.view(runId);
    expect(view!.events.find((e) => e.type === 'approval.escalated')?.data).toMatchObject({
      approvalId: pending!.id,
      to: 'sre-leads',
    });
    const extended = await fb.store.getApproval(pending!.id);
    expect(extended).toMatchObject({ status: 'pending', policy: { escalatedTo: 'sre-leads' } });
    expect(extended!.expiresAt!.getTime()).toBe(clock.now().getTime() + 15 * 60_000);

    const after = await approvals.decide(pending!.id, approve(lead));
    expect(after).toMatchObject({ outcome: 'recorded', approval: { status: 'approved' } });
    expect((await fb.result(runId)).status).toBe('succeeded');
  });
});
