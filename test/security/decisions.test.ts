// Finding 4 of issue 9: Slack admitted anyone to a gate that names no approvers (the API needed the
// approver role); four-eyes and quorum compared surface ids, so one person with a Slack id and an API
// token counted as two; notify text went to Slack unescaped (<!channel>, disguised links). Now one rule
// on every surface, over identities (IDENTITIES), and data reaches Slack as text.
import { createHmac } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { verifySlackSignature } from '../../src/integrations/slack/verify.ts';
import { type FakeSlack, fakeSlack } from '../support/fake-slack.ts';
import { type TestServer, testServer } from '../support/server.ts';
import { buttonClick, SLACK_SECRET, slackSignature, slashCommand } from '../support/slack-sign.ts';

const RUNBOOKS = fileURLToPath(new URL('./runbooks', import.meta.url));
const TOKENS = {
  alice: 'alice-laptop-token-01',
  ops: 'ops-token-operator-01',
  vera: 'vera-token-viewer-001',
  root: 'root-token-admin-0001',
};
const bearer = (t: string) => ({ authorization: `Bearer ${t}` });

describe('one decision rule on every surface, over identities', () => {
  let slack: FakeSlack;
  let srv: TestServer;

  beforeAll(async () => {
    slack = await fakeSlack();
    srv = await testServer({
      runbooksDir: RUNBOOKS,
      env: {
        SLACK_BOT_TOKEN: 'xoxb-test-token',
        SLACK_SIGNING_SECRET: SLACK_SECRET,
        SLACK_API_URL: slack.url,
        SLACK_INCIDENT_CHANNEL: 'C07INCIDNT',
        SLACK_RETRY_INITIAL_DELAY: '100ms',
        API_TOKENS: [
          `${TOKENS.alice}=approver:alice-laptop`,
          `${TOKENS.ops}=operator:ops`,
          `${TOKENS.vera}=viewer:vera`,
          `${TOKENS.root}=admin:root-ci`,
        ].join(','),
        // alice: a Slack id and a token; bob: Slack only, role given; carol: Slack only, no role;
        // root: an admin token and a Slack id (role from the token).
        IDENTITIES:
          'alice=slack:U0ALICE,token:alice-laptop;bob=slack:U0BOB,role:approver;carol=slack:U0CAROL;root=token:root-ci,slack:U0ROOT',
        APPROVER_GROUPS: 'sre-oncall=alice|bob|U0CAROL',
      },
      headers: bearer(TOKENS.root),
    });
  });
  afterAll(async () => {
    await srv?.close();
    await slack?.close();
  });

  /** Starts a run (as root unless told) and returns its pending gate's id. */
  async function gateOf(runbook: string, as = TOKENS.root): Promise<{ runId: string; approvalId: string }> {
    const r = await srv.post<{ runId: string }>('/api/runs', { runbook, input: {} }, bearer(as));
    expect(r.status, r.text).toBe(201);
    const runId = r.body.runId;
    await srv.fb.engine.events.waitFor('run.parked', (e) => e.runId === runId);
    const [a] = await srv.fb.store.listApprovals({ runId });
    return { runId, approvalId: a!.id };
  }
  const click = (approvalId: string, userId: string) =>
    srv.post(
      '/slack/events',
      buttonClick(approvalId, { userId }).body,
      buttonClick(approvalId, { userId }).headers,
    );
  const status = async (id: string) => (await srv.fb.store.getApproval(id))?.status;
  const refusals = async (runId: string) =>
    (await srv.fb.view(runId))!.events.filter((e) => e.type === 'approval.refused').map((e) => e.data);

  test('a gate naming no approvers: a Slack user without the approver role is refused, as on the API', async () => {
    const { runId, approvalId } = await gateOf('open-gate');
    expect((await click(approvalId, 'U0STRANGER')).status).toBe(200);
    expect((await click(approvalId, 'U0CAROL')).status).toBe(200);
    // Slack answers a click at once and handles it after: the two refusals may land in either order.
    await slack.waitFor('chat.postEphemeral', (c) => c.args.user === 'U0STRANGER');
    await slack.waitFor('chat.postEphemeral', (c) => c.args.user === 'U0CAROL');
    expect(await status(approvalId)).toBe('pending');
    const byWho = (rows: unknown[]) =>
      [...(rows as { by: string }[])].sort((a, b) => (a.by < b.by ? -1 : a.by > b.by ? 1 : 0));
    expect(byWho(await refusals(runId))).toMatchObject([
      { by: 'U0STRANGER', via: 'slack' },
      { by: 'carol', via: 'slack' },
    ]);
    // Viewers and operators on the API are refused the same way; the approve route needs `approve`.
    for (const t of [TOKENS.vera, TOKENS.ops]) {
      for (const d of ['approve', 'reject'] as const) {
        const r = await srv.post(`/api/approvals/${approvalId}/${d}`, { reason: 'no' }, bearer(t));
        expect(r.status, `${t} ${d}`).toBe(403);
      }
    }
    // bob's role comes from IDENTITIES: his click decides.
    expect((await click(approvalId, 'U0BOB')).status).toBe(200);
    expect((await srv.fb.result(runId)).status).toBe('succeeded');
    expect((await srv.fb.store.getApproval(approvalId))?.decisions).toMatchObject([
      { by: 'bob', via: 'slack' },
    ]);
  });

  test('deciding needs the approve permission, even for a viewer or an operator the gate names', async () => {
    const { runId, approvalId } = await gateOf('named-gate');
    for (const t of [TOKENS.vera, TOKENS.ops]) {
      for (const d of ['approve', 'reject'] as const) {
        const r = await srv.post(`/api/approvals/${approvalId}/${d}`, { reason: 'no' }, bearer(t));
        expect(r.status, `${t} ${d}`).toBe(403);
        expect(r.body).toMatchObject({ error: { code: 'forbidden' } });
      }
    }
    expect(await status(approvalId)).toBe('pending');
    expect((await srv.post(`/api/approvals/${approvalId}/approve`, {}, bearer(TOKENS.alice))).status).toBe(
      200,
    );
    expect((await srv.fb.result(runId)).status).toBe('succeeded');
  });

  test('an approver rejects through POST /api/approvals/:id/reject, with a reason', async () => {
    const { runId, approvalId } = await gateOf('open-gate');
    const noReason = await srv.post(`/api/approvals/${approvalId}/reject`, {}, bearer(TOKENS.alice));
    // A missing reason is a missing field (issue 10), not a refusal.
    expect(noReason.status).toBe(422);
    expect(noReason.text).toContain('reason_required');
    const r = await srv.post<{ approval: { status: string; decisions: { by: string }[] } }>(
      `/api/approvals/${approvalId}/reject`,
      { reason: 'not during the sale' },
      bearer(TOKENS.alice),
    );
    expect(r.status, r.text).toBe(200);
    expect(r.body.approval).toMatchObject({ status: 'rejected', decisions: [{ by: 'alice' }] });
    expect((await srv.fb.result(runId)).status).not.toBe('succeeded');
  });

  test('quorum counts people: alice by token and by Slack is one approval, bob makes two', async () => {
    const { runId, approvalId } = await gateOf('quorum-gate');
    const api = await srv.post(`/api/approvals/${approvalId}/approve`, {}, bearer(TOKENS.alice));
    expect(api.status, api.text).toBe(200);
    expect((await click(approvalId, 'U0ALICE')).status).toBe(200);
    await slack.waitFor('chat.postEphemeral', (c) => c.args.user === 'U0ALICE');
    expect(await status(approvalId)).toBe('pending');
    expect(await refusals(runId)).toMatchObject([{ by: 'alice', via: 'slack' }]);
    expect((await click(approvalId, 'U0BOB')).status).toBe(200);
    expect((await srv.fb.result(runId)).status).toBe('succeeded');
    const decided = await srv.fb.store.getApproval(approvalId);
    expect(decided?.decisions.map((d) => [d.by, d.via])).toEqual([
      ['alice', 'api'],
      ['bob', 'slack'],
    ]);
  });

  test('four eyes counts people: root starts a run by API and cannot approve it from Slack', async () => {
    const { runId, approvalId } = await gateOf('open-gate', TOKENS.root);
    const own = await srv.post(
      '/slack/events',
      slashCommand(`approve ${approvalId}`, { userId: 'U0ROOT' }).body,
      slashCommand(`approve ${approvalId}`, { userId: 'U0ROOT' }).headers,
    );
    expect(own.status).toBe(200);
    await slack.waitFor(
      'chat.postEphemeral',
      (c) => c.args.user === 'U0ROOT' && String(c.args.text).includes('four eyes'),
    );
    expect(await status(approvalId)).toBe('pending');
    expect((await click(approvalId, 'U0BOB')).status).toBe(200);
    expect((await srv.fb.result(runId)).status).toBe('succeeded');
  });

  test('text from alerts and runs reaches Slack as text: no <!channel>, no disguised link', async () => {
    const text = '<!channel> rollback now: <https://evil.example/x|https://grafana.example/d/1> & <@U0BOB>';
    const r = await srv.post<{ runId: string }>('/api/runs', { runbook: 'say', input: { text } });
    expect(r.status).toBe(201);
    const said = await slack.waitFor('chat.postMessage', (c) => String(c.args.text).includes('alert says'));
    const posted = String(said.args.text);
    expect(posted).toContain(
      '&lt;!channel&gt; rollback now: &lt;https://evil.example/x|https://grafana.example/d/1&gt; &amp; &lt;@U0BOB&gt;',
    );
    expect(posted).not.toMatch(/<!channel>|<https?:|<@/);
  });
});

describe('Slack request signatures', () => {
  const body = 'payload=%7B%7D';
  const now = Date.now();
  const ts = Math.floor(now / 1000);
  const headers = (h: Record<string, string>) => new Headers(h);

  test('a signature without a timestamp is refused', () => {
    const v = verifySlackSignature(
      SLACK_SECRET,
      body,
      headers({ 'x-slack-signature': slackSignature(SLACK_SECRET, ts, body) }),
      now,
    );
    expect(v).toEqual({ ok: false, reason: 'missing X-Slack-Signature or timestamp' });
  });

  test('a timestamp that is not a number is refused as such, even when the signature covers it', () => {
    for (const bad of ['1e9', `${ts}.0`, `-${ts}`, `${ts}abc`, `0x${ts.toString(16)}`]) {
      const v = verifySlackSignature(
        SLACK_SECRET,
        body,
        headers({
          'x-slack-signature': `v0=${hmacOf(`v0:${bad}:${body}`)}`,
          'x-slack-request-timestamp': bad,
        }),
        now,
      );
      expect(v, bad).toEqual({ ok: false, reason: 'X-Slack-Request-Timestamp is not a number' });
    }
  });

  test('a good signature of now passes; of six minutes ago or ahead does not', () => {
    const at = (t: number) =>
      verifySlackSignature(
        SLACK_SECRET,
        body,
        headers({
          'x-slack-signature': slackSignature(SLACK_SECRET, t, body),
          'x-slack-request-timestamp': String(t),
        }),
        now,
      );
    expect(at(ts)).toEqual({ ok: true });
    expect(at(ts - 360).ok).toBe(false);
    expect(at(ts + 360).ok).toBe(false);
  });
});

function hmacOf(message: string): string {
  return createHmac('sha256', SLACK_SECRET).update(message).digest('hex');
}
