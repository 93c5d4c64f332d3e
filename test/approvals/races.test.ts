// Decisions racing each other or the timeout end in exactly one outcome, and the losers are told. Real
// concurrency needs several connections, so these run on PostgreSQL only.
import { fileURLToPath } from 'node:url';
import { describe, expect, test } from 'vitest';
import { systemClock } from '../../src/core/clock.ts';
import { runbook, z } from '../../src/index.ts';
import { Approvals, type DecisionOutcome } from '../../src/services/approvals/decide.ts';
import type { Decider, DecisionRequest } from '../../src/services/approvals/policy.ts';
import { onPostgres } from '../support/db.ts';
import { type TestFirebreak, testFirebreak } from '../support/engine.ts';
import { fakeSlack } from '../support/fake-slack.ts';
import { testServer } from '../support/server.ts';
import { buttonClick, SLACK_SECRET } from '../support/slack-sign.ts';
import { until } from '../support/until.ts';

const ROUNDS = 12;

const gated = runbook({ id: 'race', title: 'race', input: z.object({ n: z.number() }) })
  .approval('go', { approvers: ['U1', 'U2'], timeout: '1h' })
  .diagnostic('after', async () => ({ ok: true }));

const approveAs = (identity: string): DecisionRequest => ({
  decider: { identity, via: 'slack', groups: [] } satisfies Decider,
  decision: 'approve',
  reason: null,
});

/** Starts `n` runs and waits until each waits at its gate; returns the gates. */
async function gates(fb: TestFirebreak, n: number): Promise<{ runId: string; approvalId: string }[]> {
  const runs = await Promise.all(Array.from({ length: n }, (_, i) => fb.start('race', { n: i })));
  return Promise.all(
    runs.map(async ({ runId }) => {
      const approval = await until(async () => (await fb.store.listApprovals({ runId }))[0] ?? null);
      return { runId, approvalId: approval.id };
    }),
  );
}

const outcomes = (os: DecisionOutcome[]) => os.map((o) => o.outcome).sort();

async function decisionsOnTimeline(fb: TestFirebreak, runId: string): Promise<number> {
  return (await fb.view(runId))!.events.filter((e) => e.type === 'approval.decision').length;
}

describe.skipIf(!onPostgres)('racing decisions', () => {
  test('a double click (the same approver twice at once) records one decision', async () => {
    await using fb = await testFirebreak([gated], { poolSize: 8 });
    const approvals = new Approvals(fb.store, systemClock);
    for (const { runId, approvalId } of await gates(fb, ROUNDS)) {
      const both = await Promise.all([
        approvals.decide(approvalId, approveAs('U1')),
        approvals.decide(approvalId, approveAs('U1')),
      ]);
      expect(outcomes(both)).toEqual(['already_decided', 'recorded']);
      const loser = both.find((o) => o.outcome === 'already_decided')!;
      expect(Approvals.explain(loser)).toMatch(/^already approved by U1 via slack at /);
      expect((await fb.store.getApproval(approvalId))!.decisions).toHaveLength(1);
      expect((await fb.result(runId)).status).toBe('succeeded');
      expect(await decisionsOnTimeline(fb, runId)).toBe(1);
    }
  });

  test('two approvers at once on a quorum-1 gate: one wins, the other is told', async () => {
    await using fb = await testFirebreak([gated], { poolSize: 8 });
    const approvals = new Approvals(fb.store, systemClock);
    for (const { runId, approvalId } of await gates(fb, ROUNDS)) {
      const both = await Promise.all([
        approvals.decide(approvalId, approveAs('U1')),
        approvals.decide(approvalId, approveAs('U2')),
      ]);
      expect(outcomes(both)).toEqual(['already_decided', 'recorded']);
      const winner = both.find((o) => o.outcome === 'recorded')!;
      const loser = both.find((o) => o.outcome === 'already_decided')!;
      if (winner.outcome !== 'recorded' || loser.outcome !== 'already_decided') throw new Error('narrowing');
      const by = winner.approval.decisions[0]!.by;
      expect(loser.approval.decisions.map((d) => d.by)).toEqual([by]);
      expect(await decisionsOnTimeline(fb, runId)).toBe(1);
      expect((await fb.result(runId)).status).toBe('succeeded');
    }
  });

  test('a click racing the timeout: either the decision or the expiry, never both', async () => {
    await using fb = await testFirebreak([gated], { poolSize: 8 });
    const approvals = new Approvals(fb.store, systemClock);
    for (const { runId, approvalId } of await gates(fb, ROUNDS)) {
      const [decided, expired] = await Promise.all([
        approvals.decide(approvalId, approveAs('U1')),
        fb.store.expireApproval(approvalId, 'expired', new Date()),
      ]);
      const final = (await fb.store.getApproval(approvalId))!;
      if (expired) {
        expect(decided.outcome).toBe('already_decided');
        expect(Approvals.explain(decided)).toBe('already expired (timeout)');
        expect(final).toMatchObject({ status: 'expired', decisions: [] });
        expect(await decisionsOnTimeline(fb, runId)).toBe(0);
      } else {
        expect(decided.outcome).toBe('recorded');
        expect(final).toMatchObject({ status: 'approved', decisions: [{ by: 'U1' }] });
        expect((await fb.result(runId)).status).toBe('succeeded');
      }
    }
  });

  test('through the API the loser gets a 409; through Slack it is told privately', async () => {
    await using slack = await fakeSlack();
    await using ts = await testServer({
      runbooksDir: fileURLToPath(new URL('../fixtures/runbooks-slack', import.meta.url)),
      env: {
        FIREBREAK_DB_POOL: '8',
        API_TOKENS: 'alice-token-0001=operator:alice,bob-token-00002=approver:bob',
        SLACK_BOT_TOKEN: 'xoxb-test-token',
        SLACK_SIGNING_SECRET: SLACK_SECRET,
        SLACK_API_URL: slack.url,
        SLACK_INCIDENT_CHANNEL: 'C07INCIDNT',
      },
    });
    const auth = (t: string) => ({ authorization: `Bearer ${t}` });
    const start = async () => {
      const r = await ts.post<{ runId: string }>(
        '/api/runs',
        { runbook: 'gated', input: {} },
        auth('alice-token-0001'),
      );
      const approval = await until(
        async () => (await ts.fb.store.listApprovals({ runId: r.body.runId }))[0] ?? null,
      );
      return { runId: r.body.runId, approvalId: approval.id };
    };

    for (let i = 0; i < 4; i++) {
      const { runId, approvalId } = await start();
      const replies = await Promise.all([
        ts.post(`/api/approvals/${approvalId}/approve`, {}, auth('bob-token-00002')),
        ts.post(`/api/approvals/${approvalId}/approve`, {}, auth('bob-token-00002')),
      ]);
      expect(replies.map((r) => r.status).sort()).toEqual([200, 409]);
      expect(replies.find((r) => r.status === 409)!.body).toMatchObject({
        error: { code: 'conflict', message: expect.stringMatching(/is already approved by bob via api at/) },
      });
      expect((await ts.fb.result(runId)).status).toBe('succeeded');
    }

    // A Slack click racing an API decision: one decision; whichever lost hears about it.
    for (let i = 0; i < 4; i++) {
      const { runId, approvalId } = await start();
      const toldBefore = slack.delivered('chat.postEphemeral').length;
      const signedClick = buttonClick(approvalId);
      const [click, api] = await Promise.all([
        ts.post('/slack/events', signedClick.body, signedClick.headers),
        ts.post(`/api/approvals/${approvalId}/approve`, {}, auth('bob-token-00002')),
      ]);
      expect(click.status).toBe(200);
      expect((await ts.fb.result(runId)).status).toBe('succeeded');
      const decisions = (await ts.fb.store.getApproval(approvalId))!.decisions;
      expect(decisions).toHaveLength(1);
      if (decisions[0]!.via === 'slack') {
        expect(api.status).toBe(409);
      } else {
        expect(api.status).toBe(200);
        const told = await slack.waitFor('chat.postEphemeral', (c) =>
          String(c.args.text).includes(approvalId),
        );
        expect(String(told.args.text)).toContain('Too late');
        expect(slack.delivered('chat.postEphemeral').length).toBe(toldBefore + 1);
      }
    }
  });
});
