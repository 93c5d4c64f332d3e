// Approval gates: decisions under a policy, the timeout, escalation, and races between them.
import { randomUUID } from 'node:crypto';
import { expect, test } from 'vitest';
import type { ApprovalRecord } from '../../../src/store/records.ts';
import { at, type Backend, decision, gatedRun } from './support.ts';

const approve = () => 'approved' as const;
/** A quorum policy as the engine writes it: settled once `quorum` approvals are in. */
const quorumOf = (n: number) => (current: ApprovalRecord) =>
  current.decisions.length + 1 >= n ? ('approved' as const) : ('pending' as const);

export function approvalContract(b: Backend): void {
  test('a decision that settles the gate is recorded and makes the run due now', async () => {
    const store = b.shared();
    const gate = await gatedRun(store);
    expect((await store.getRun(gate.id))?.wakeAt).toEqual(gate.expiresAt);
    const asked: ApprovalRecord[] = [];
    const result = await store.decideApproval(
      gate.approvalId,
      decision('U1'),
      (current) => {
        asked.push(current);
        return 'approved';
      },
      at(60_000),
    );
    expect(asked).toEqual([
      expect.objectContaining({ id: gate.approvalId, status: 'pending', decisions: [] }),
    ]);
    expect(result).toEqual({
      outcome: 'recorded',
      approval: expect.objectContaining({
        status: 'approved',
        decisions: [decision('U1')],
        decidedAt: at(60_000),
      }),
    });
    expect(await store.getApproval(gate.approvalId)).toEqual(
      result.outcome === 'recorded' && result.approval,
    );
    expect((await store.getRun(gate.id))?.wakeAt).toEqual(at(60_000));
  });

  test("every recorded decision is on the run's timeline", async () => {
    const store = b.shared();
    const gate = await gatedRun(store, { quorum: 2 });
    await store.decideApproval(gate.approvalId, decision('U1'), quorumOf(2), at(1_000));
    await store.decideApproval(
      gate.approvalId,
      decision('U2', 'reject', 'not now'),
      () => 'rejected',
      at(2_000),
    );
    const decisions = (await store.listEvents({ runId: gate.id })).filter(
      (e) => e.type === 'approval.decision',
    );
    expect(decisions).toEqual([
      expect.objectContaining({
        stepKey: 'gate',
        at: at(1_000),
        data: expect.objectContaining({ by: 'U1', approvalId: gate.approvalId, status: 'pending' }),
      }),
      expect.objectContaining({
        stepKey: 'gate',
        at: at(2_000),
        data: expect.objectContaining({ by: 'U2', reason: 'not now', status: 'rejected' }),
      }),
    ]);
  });

  test("audit puts an entry about a gate on its run's timeline; an unknown gate is ignored", async () => {
    const store = b.shared();
    const gate = await gatedRun(store);
    await store.audit(
      gate.approvalId,
      'approval.refused',
      { by: 'U7', reason: 'not an approver' },
      at(3_000),
    );
    await store.audit('no-such-gate', 'approval.refused', { by: 'U7' }, at(3_000));
    const events = await store.listEvents({ runId: gate.id });
    expect(events.at(-1)).toMatchObject({
      type: 'approval.refused',
      stepKey: 'gate',
      at: at(3_000),
      data: { by: 'U7', reason: 'not an approver', approvalId: gate.approvalId },
    });
  });

  test('a decision that leaves the gate pending is recorded and does not wake the run', async () => {
    const store = b.shared();
    const gate = await gatedRun(store, { quorum: 2 });
    const first = await store.decideApproval(gate.approvalId, decision('U1'), quorumOf(2), at(1_000));
    expect(first).toMatchObject({ outcome: 'recorded', approval: { status: 'pending', decidedAt: null } });
    expect((await store.getRun(gate.id))?.wakeAt).toEqual(gate.expiresAt);
    const second = await store.decideApproval(gate.approvalId, decision('U2'), quorumOf(2), at(2_000));
    expect(second).toMatchObject({
      outcome: 'recorded',
      approval: { status: 'approved', decisions: [decision('U1'), decision('U2')], decidedAt: at(2_000) },
    });
    expect((await store.getRun(gate.id))?.wakeAt).toEqual(at(2_000));
  });

  test('a rejection is recorded with its reason', async () => {
    const store = b.shared();
    const gate = await gatedRun(store);
    const result = await store.decideApproval(
      gate.approvalId,
      decision('U1', 'reject', 'error rate is already falling'),
      () => 'rejected',
      at(1_000),
    );
    expect(result).toMatchObject({
      outcome: 'recorded',
      approval: { status: 'rejected', reason: 'error rate is already falling' },
    });
  });

  test('a settled gate reports already_decided without asking the policy again', async () => {
    const store = b.shared();
    const gate = await gatedRun(store);
    await store.decideApproval(gate.approvalId, decision('U1'), approve, at(1_000));
    const again = await store.decideApproval(
      gate.approvalId,
      decision('U2', 'reject'),
      () => {
        throw new Error('the policy must not be asked about a settled gate');
      },
      at(2_000),
    );
    expect(again).toMatchObject({
      outcome: 'already_decided',
      approval: { status: 'approved', decisions: [decision('U1')] },
    });
  });

  test('a refused decision records nothing; an unknown gate is not_found', async () => {
    const store = b.shared();
    const gate = await gatedRun(store);
    const refused = await store.decideApproval(
      gate.approvalId,
      decision('U7'),
      () => ({ refuse: 'U7 is not an approver' }),
      at(1_000),
    );
    expect(refused).toEqual({ outcome: 'refused', reason: 'U7 is not an approver' });
    expect(await store.getApproval(gate.approvalId)).toMatchObject({ status: 'pending', decisions: [] });
    expect((await store.getRun(gate.id))?.wakeAt).toEqual(gate.expiresAt);
    expect(await store.decideApproval(randomUUID(), decision('U1'), approve, at(1_000))).toEqual({
      outcome: 'not_found',
    });
    expect(await store.decideApproval('no-such-gate', decision('U1'), approve, at(1_000))).toEqual({
      outcome: 'not_found',
    });
  });

  test('racing decisions: exactly one settles the gate', async () => {
    const store = b.shared();
    const gate = await gatedRun(store);
    const workers = await b.workers(6);
    const results = await Promise.all(
      workers.map((w, i) => w.decideApproval(gate.approvalId, decision(`U${i}`), approve, at(1_000))),
    );
    const recorded = results.filter((r) => r.outcome === 'recorded');
    expect(recorded).toHaveLength(1);
    expect(results.filter((r) => r.outcome === 'already_decided')).toHaveLength(5);
    const final = await store.getApproval(gate.approvalId);
    expect(final?.decisions).toEqual(recorded[0]!.approval.decisions);
    expect(final?.decisions).toHaveLength(1);
  });

  test('racing decisions under a quorum each see the ones before them', async () => {
    const store = b.shared();
    const gate = await gatedRun(store, { quorum: 2 });
    const workers = await b.workers(5);
    const results = await Promise.all(
      workers.map((w, i) => w.decideApproval(gate.approvalId, decision(`U${i}`), quorumOf(2), at(1_000))),
    );
    expect(results.filter((r) => r.outcome === 'recorded')).toHaveLength(2);
    expect(await store.getApproval(gate.approvalId)).toMatchObject({
      status: 'approved',
      decisions: [expect.anything(), expect.anything()],
    });
  });

  test('expireApproval settles a pending gate, and loses to a decision that came first', async () => {
    const store = b.shared();
    const timedOut = await gatedRun(store);
    expect(await store.expireApproval(timedOut.approvalId, 'expired', at(900_000))).toBe(true);
    expect(await store.getApproval(timedOut.approvalId)).toMatchObject({
      status: 'expired',
      decidedAt: at(900_000),
      decisions: [],
    });
    expect(
      (await store.decideApproval(timedOut.approvalId, decision('U1'), approve, at(900_001))).outcome,
    ).toBe('already_decided');

    const autoApproved = await gatedRun(store);
    expect(await store.expireApproval(autoApproved.approvalId, 'approved', at(900_000))).toBe(true);
    expect((await store.getApproval(autoApproved.approvalId))?.status).toBe('approved');

    const decided = await gatedRun(store);
    await store.decideApproval(decided.approvalId, decision('U1', 'reject'), () => 'rejected', at(1_000));
    expect(await store.expireApproval(decided.approvalId, 'expired', at(900_000))).toBe(false);
    expect(await store.getApproval(decided.approvalId)).toMatchObject({
      status: 'rejected',
      decidedAt: at(1_000),
    });
  });

  test('a decision racing the timeout: exactly one outcome', async () => {
    const store = b.shared();
    const [w1, w2] = await b.workers(2);
    for (let round = 0; round < 4; round++) {
      const gate = await gatedRun(store);
      const [expired, decided] = await Promise.all([
        w1!.expireApproval(gate.approvalId, 'expired', at(900_000)),
        w2!.decideApproval(gate.approvalId, decision('U1'), approve, at(900_000)),
      ]);
      expect(expired).toBe(decided.outcome !== 'recorded');
      const final = await store.getApproval(gate.approvalId);
      expect(final?.status).toBe(expired ? 'expired' : 'approved');
      expect(final?.decisions).toHaveLength(expired ? 0 : 1);
    }
  });

  test('extendApproval gives a pending gate a new deadline; a settled one is left alone', async () => {
    const store = b.shared();
    const gate = await gatedRun(store, { quorum: 1, groups: ['sre-oncall'] });
    expect(await store.extendApproval(gate.approvalId, at(1_800_000), 'sre-leads')).toBe(true);
    expect(await store.getApproval(gate.approvalId)).toMatchObject({
      status: 'pending',
      expiresAt: at(1_800_000),
      policy: { quorum: 1, groups: ['sre-oncall'], escalatedTo: 'sre-leads' },
    });
    await store.expireApproval(gate.approvalId, 'expired', at(1_800_000));
    expect(await store.extendApproval(gate.approvalId, at(3_600_000), 'directors')).toBe(false);
    expect(await store.getApproval(gate.approvalId)).toMatchObject({
      status: 'expired',
      expiresAt: at(1_800_000),
      policy: { escalatedTo: 'sre-leads' },
    });
  });

  test('listApprovals filters by run and status; getApproval of an unknown id is null', async () => {
    const store = b.shared();
    const a = await gatedRun(store);
    const c = await gatedRun(store);
    await store.decideApproval(c.approvalId, decision('U1'), approve, at(1_000));
    expect((await store.listApprovals({ runId: a.id })).map((x) => x.id)).toEqual([a.approvalId]);
    const pending = (await store.listApprovals({ status: 'pending' })).map((x) => x.id);
    expect(pending).toContain(a.approvalId);
    expect(pending).not.toContain(c.approvalId);
    expect((await store.listApprovals({ status: 'approved', runId: c.id })).map((x) => x.id)).toEqual([
      c.approvalId,
    ]);
    expect(await store.getApproval(randomUUID())).toBeNull();
    expect(await store.getApproval('no-such-gate')).toBeNull();
  });
}
