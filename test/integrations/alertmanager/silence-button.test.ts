// "Silence this alert for 1h" from Slack and from the web UI, through a real server, a fake Slack and
// the real prometheus-alertmanager: asking needs an operator (SLACK_OPERATORS, the operator role), the
// silence waits at a gate the approval policy decides (the asker cannot approve it; someone without the
// approver role is refused), it appears active in Alertmanager once approved, and cancelling its run
// expires it. The webhook's externalURL is never called; the API token reaches no row, log or answer.
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { Silence } from '../../../src/integrations/alertmanager/client.ts';
import { SILENCE_RUNBOOK_ID } from '../../../src/integrations/alertmanager/silence-runbook.ts';
import type { ApprovalRecord } from '../../../src/store/records.ts';
import { type FakeSlack, fakeSlack, type SlackCall } from '../../support/fake-slack.ts';
import { ALERTMANAGER_BIN, type Daemon, startAlertmanager } from '../../support/prometheus-stack.ts';
import { fixtureJson } from '../../support/senders.ts';
import { type TestServer, testServer } from '../../support/server.ts';
import {
  buttonClick,
  type SignedRequest,
  SLACK_SECRET,
  silenceClick,
  slashCommand,
} from '../../support/slack-sign.ts';
import { until } from '../../support/until.ts';
import { API_TOKENS, signIn, TOKENS, web } from '../../web/support.ts';

const present = existsSync(ALERTMANAGER_BIN);
if (!present && process.env.CI) throw new Error(`${ALERTMANAGER_BIN} not found: .ci/run installs it`);

const CHANNEL = 'C07INCIDNT';
/** The Slack fixture's user: a Slack operator, and an approver through IDENTITIES. */
const ALICE = 'U024BE7LH';
/** An approver, not an operator. */
const BOB = 'U0BOBAPPRV';
/** Neither. */
const STRANGER = 'U0STRANGER';
const AM_TOKEN = 'alertmanager-api-token-never-shown';
const PUBLIC_URL = 'https://firebreak.example.com';

interface Block {
  type: string;
  block_id?: string;
  elements?: { action_id?: string; value?: string }[];
}
const blocks = (c: SlackCall) => (c.args.blocks ?? []) as Block[];
const said = (c: SlackCall) => `${String(c.args.text ?? '')} ${JSON.stringify(c.args.blocks ?? [])}`;

describe.skipIf(!present)('"Silence this alert for 1h" (Slack, web UI, real Alertmanager)', () => {
  let am: Daemon;
  let slack: FakeSlack;
  let srv: TestServer;
  let runbooksDir: string;
  const cookies = { viewer: '', operator: '', approver: '' };

  beforeAll(async () => {
    am = await startAlertmanager({ url: 'http://127.0.0.1:9/unused', bearerToken: 'never-sent-token' });
    slack = await fakeSlack();
    // No runbook of its own matches: the incident's runs are the silences asked for.
    runbooksDir = await mkdtemp(join(tmpdir(), 'firebreak-silence-'));
    srv = await testServer({
      runbooksDir,
      env: {
        API_TOKENS,
        PUBLIC_URL,
        ALERTMANAGER_URL: am.url,
        ALERTMANAGER_API_TOKEN: AM_TOKEN,
        SLACK_BOT_TOKEN: 'xoxb-test-token',
        SLACK_SIGNING_SECRET: SLACK_SECRET,
        SLACK_API_URL: slack.url,
        SLACK_INCIDENT_CHANNEL: CHANNEL,
        SLACK_OPERATORS: ALICE,
        SLACK_RETRY_INITIAL_DELAY: '100ms',
        IDENTITIES: `alice=slack:${ALICE},role:approver;bob=slack:${BOB},role:approver`,
      },
      headers: { authorization: `Bearer ${TOKENS.admin}`, origin: undefined as never },
    });
    for (const role of ['viewer', 'operator', 'approver'] as const) cookies[role] = await signIn(srv, role);
  });
  afterAll(async () => {
    await srv?.close();
    await slack?.close();
    await am?.stop();
    if (runbooksDir) await rm(runbooksDir, { recursive: true, force: true });
  });

  const send = (req: SignedRequest) => srv.post('/slack/events', req.body, req.headers);
  const silences = async (): Promise<Silence[]> => (await fetch(`${am.url}/api/v2/silences`)).json() as never;
  const ofRun = async (runId: string) =>
    (await silences()).filter((s) => s.createdBy === `firebreak run ${runId}`);
  const silenceRuns = (incidentId: string) =>
    srv.fb.store.listRuns({ runbookId: SILENCE_RUNBOOK_ID, incidentId });
  const pendingGate = (runId: string) =>
    until(
      async (): Promise<ApprovalRecord | null> =>
        (await srv.fb.store.listApprovals({ runId, status: 'pending' }))[0] ?? null,
      20_000,
    );

  /** firing-two-alerts.json as a group of its own: an incident from Alertmanager. */
  async function fire(group: string): Promise<string> {
    const body = fixtureJson('alertmanager/firing-two-alerts.json') as {
      groupKey: string;
      externalURL: string;
      alerts: { fingerprint: string }[];
    };
    body.groupKey = `{}:{group="${group}"}`;
    for (const [i, a] of body.alerts.entries()) a.fingerprint = `${group}-${i}`;
    expect(body.externalURL).not.toBe(am.url); // http://alertmanager:9093: never called
    const r = await srv.post<{ incidentId: string }>('/webhooks/alertmanager', body, {
      authorization: undefined,
    });
    expect(r.status, r.text).toBe(202);
    return r.body.incidentId;
  }

  test('Slack: an operator asks, the asker and a stranger cannot approve, an approver can; cancel lifts it', async () => {
    const incidentId = await fire('silence-slack');
    const root = await slack.waitFor(
      'chat.postMessage',
      (c) => said(c).includes(incidentId) && !c.args.thread_ts,
    );
    const button = blocks(root)
      .flatMap((b) => b.elements ?? [])
      .find((e) => e.action_id === 'silence_alert');
    expect(button?.value).toBe(incidentId);

    // Not an operator: refused privately, nothing starts.
    expect((await send(silenceClick(incidentId, { userId: STRANGER }))).status).toBe(200);
    const no = await slack.waitFor('chat.postEphemeral', (c) => c.args.user === STRANGER);
    expect(said(no)).toContain('You may not silence alerts from Slack (SLACK_OPERATORS)');
    expect(await silenceRuns(incidentId)).toEqual([]);

    expect((await send(silenceClick(incidentId))).status).toBe(200);
    const asked = await slack.waitFor(
      'chat.postEphemeral',
      (c) => c.args.user === ALICE && said(c).includes('requested'),
    );
    const [run] = await until(
      async () => ((await silenceRuns(incidentId)).length ? silenceRuns(incidentId) : null),
      20_000,
    );
    expect(run).toMatchObject({ requestedBy: `slack:${ALICE}`, incidentId });
    expect(said(asked)).toContain(run!.id);
    expect(String(asked.args.text)).toContain('alertname="HighErrorRate"');
    const gate = await pendingGate(run!.id);
    const request = await slack.waitFor('chat.postMessage', (c) =>
      blocks(c).some((b) => b.block_id === `approval:${gate.id}`),
    );
    expect(said(request)).toContain(
      'Silence alertname=\\"HighErrorRate\\", job=\\"api\\", namespace=\\"prod\\"',
    );

    // The asker (four eyes) and someone without the approver role are refused; nothing is silenced.
    await send(buttonClick(gate.id));
    await send(buttonClick(gate.id, { userId: STRANGER }));
    const refusals = await until(async () => {
      const r = slack.delivered('chat.postEphemeral').filter((c) => said(c).includes(gate.id));
      return r.length === 2 ? r : null;
    }, 20_000);
    expect(refusals.map(said).join('\n')).toContain('cannot approve its own gate (four eyes)');
    expect(refusals.map(said).join('\n')).toContain(`${STRANGER} does not have the approver role`);
    expect(await ofRun(run!.id)).toEqual([]);

    await send(buttonClick(gate.id, { userId: BOB }));
    const active = await until(async () => {
      const s = await ofRun(run!.id);
      return s[0]?.status.state === 'active' ? s[0] : null;
    }, 20_000);
    // The labels both firing alerts share (instance differs), as equality matchers.
    expect(active.matchers).toEqual(
      ['alertname=HighErrorRate', 'job=api', 'namespace=prod', 'service=checkout', 'severity=critical'].map(
        (l) => {
          const [name, value] = l.split('=');
          return { name, value, isRegex: false, isEqual: true };
        },
      ),
    );
    expect(active.comment).toBe(
      `silenced for 1h from firebreak at the request of slack:${ALICE}: firebreak run ${run!.id}, ${PUBLIC_URL}/incidents/${incidentId}`,
    );
    // Alertmanager moves a start already past to its own now: the end is what firebreak asked for.
    const lasts = new Date(active.endsAt).getTime() - new Date(active.startsAt).getTime();
    expect(lasts).toBeGreaterThan(3_590_000);
    expect(lasts).toBeLessThanOrEqual(3_600_000);
    expect(await srv.fb.store.getApproval(gate.id)).toMatchObject({
      status: 'approved',
      decisions: [{ by: 'bob' }],
    });

    // A second click while it is active finds it.
    await send(silenceClick(incidentId));
    await slack.waitFor('chat.postEphemeral', (c) => said(c).includes('already requested or active'));
    expect(await silenceRuns(incidentId)).toHaveLength(1);

    const cancel = await srv.post(`/api/runs/${run!.id}/cancel`, {});
    expect(cancel.status, cancel.text).toBe(202);
    expect((await srv.finalRun(run!.id)).run.status).toBe('cancelled');
    expect((await ofRun(run!.id)).map((s) => s.status.state)).toEqual(['expired']);
  });

  test('web UI: a viewer may not ask, an operator may but not approve, an approver approves; revert lifts it', async () => {
    const incidentId = await fire('silence-web');
    const asViewer = await web(srv, `/incidents/${incidentId}`, { cookie: cookies.viewer });
    expect(asViewer.text).not.toContain(`/ui/incidents/${incidentId}/silence`);
    const byViewer = await web(srv, `/ui/incidents/${incidentId}/silence`, {
      cookie: cookies.viewer,
      form: {},
    });
    expect(byViewer.status).toBe(403);
    expect(await silenceRuns(incidentId)).toEqual([]);

    const page = await web(srv, `/incidents/${incidentId}`, { cookie: cookies.operator });
    expect(page.text).toContain(`action="/ui/incidents/${incidentId}/silence"`);
    expect(page.text).toContain('Silence this alert for 1h');
    const asked = await web(srv, `/ui/incidents/${incidentId}/silence`, {
      cookie: cookies.operator,
      form: { return: `/incidents/${incidentId}` },
    });
    expect(asked.status, asked.text).toBe(303);
    expect(asked.location).toBe(`/incidents/${incidentId}?done=silence_requested`);
    const [run] = await silenceRuns(incidentId);
    expect(run).toMatchObject({ requestedBy: 'web:operator-on-call' });
    const gate = await pendingGate(run!.id);

    const byOperator = await web(srv, `/ui/approvals/${gate.id}/approve`, {
      cookie: cookies.operator,
      form: {},
    });
    expect(byOperator.status).toBe(403);
    expect(await ofRun(run!.id)).toEqual([]);

    const again = await web(srv, `/ui/incidents/${incidentId}/silence`, {
      cookie: cookies.operator,
      form: {},
    });
    expect(again.location).toContain('done=silence_pending');
    expect(await silenceRuns(incidentId)).toHaveLength(1);

    const approved = await web(srv, `/ui/approvals/${gate.id}/approve`, {
      cookie: cookies.approver,
      form: {},
    });
    expect(approved.status, approved.text).toBe(303);
    await until(async () => ((await ofRun(run!.id))[0]?.status.state === 'active' ? true : null), 20_000);

    const revert = await web(srv, `/ui/runs/${run!.id}/revert`, { cookie: cookies.operator, form: {} });
    expect(revert.status, revert.text).toBe(303);
    expect((await srv.finalRun(run!.id)).run.status).toBe('cancelled');
    expect((await ofRun(run!.id)).map((s) => s.status.state)).toEqual(['expired']);
  });

  test('API: POST /api/incidents/:id/silence needs an operator; the asker, even an admin, cannot approve', async () => {
    const incidentId = await fire('silence-api');
    const path = `/api/incidents/${incidentId}/silence`;
    const byViewer = await srv.post(path, undefined, { authorization: `Bearer ${TOKENS.viewer}` });
    expect(byViewer.status).toBe(403);
    // An admin asks: an admin may decide any gate, but not the one of a run it asked for (four eyes).
    const asked = await srv.post<{ runId: string; created: boolean }>(path, undefined, {
      authorization: `Bearer ${TOKENS.admin}`,
    });
    expect(asked.status, asked.text).toBe(202);
    expect(asked.body.created).toBe(true);
    const gate = await pendingGate(asked.body.runId);
    const own = await srv.post(
      `/api/approvals/${gate.id}/approve`,
      {},
      { authorization: `Bearer ${TOKENS.operator}` },
    );
    expect(own.status).toBe(403);
    const approved = await srv.post(
      `/api/approvals/${gate.id}/approve`,
      {},
      { authorization: `Bearer ${TOKENS.approver}` },
    );
    expect(approved.status, approved.text).toBe(200);
    await until(
      async () => ((await ofRun(asked.body.runId))[0]?.status.state === 'active' ? true : null),
      20_000,
    );
    await srv.post(`/api/runs/${asked.body.runId}/cancel`, {});
    expect((await srv.finalRun(asked.body.runId)).run.status).toBe('cancelled');
    expect((await ofRun(asked.body.runId)).map((x) => x.status.state)).toEqual(['expired']);
  });

  test('firebreak.silence-alert is started only by its own action: not by POST /api/runs, not by /firebreak run', async () => {
    const labels = { alertname: 'Watchdog' };
    const api = await srv.post('/api/runs', { runbook: SILENCE_RUNBOOK_ID, input: { labels } });
    expect(api.status, api.text).toBe(403);
    expect(api.text).toContain('started by its own action');
    const before = slack.delivered('chat.postEphemeral').length;
    await send(slashCommand(`run ${SILENCE_RUNBOOK_ID} ${JSON.stringify({ labels })}`, { userId: ALICE }));
    const answer = await until(async () => slack.delivered('chat.postEphemeral')[before] ?? null, 20_000);
    expect(said(answer)).toContain('started by its own action');
    expect(await srv.fb.store.listRuns({ runbookId: SILENCE_RUNBOOK_ID, limit: 500 })).not.toContainEqual(
      expect.objectContaining({ input: { labels } }),
    );
  });

  test('alerts that share only their alertname are not offered a silence of that alert everywhere', async () => {
    const body = fixtureJson('alertmanager/firing-two-alerts.json') as {
      groupKey: string;
      commonLabels: Record<string, string>;
      alerts: { fingerprint: string; labels: Record<string, string> }[];
    };
    body.groupKey = '{}:{group="silence-sparse"}';
    body.commonLabels = { alertname: 'HighErrorRate' };
    // The second alert shares nothing but its alertname with the first.
    for (const [i, a] of body.alerts.entries()) a.fingerprint = `silence-sparse-${i}`;
    body.alerts[1]!.labels = { alertname: 'HighErrorRate', instance: 'elsewhere:1' };
    const r = await srv.post<{ incidentId: string }>('/webhooks/alertmanager', body, {
      authorization: undefined,
    });
    expect(r.status, r.text).toBe(202);
    const api = await srv.post(`/api/incidents/${r.body.incidentId}/silence`);
    expect(api.status).toBe(409);
    expect(api.text).toContain('share only their alertname');
  });

  test('an incident that is not from Alertmanager cannot be silenced', async () => {
    const generic = fixtureJson('generic/firing.json');
    const r = await srv.post<{ incidentId: string }>('/webhooks/generic', generic, {
      authorization: undefined,
    });
    expect(r.status, r.text).toBe(202);
    const page = await web(srv, `/incidents/${r.body.incidentId}`, { cookie: cookies.operator });
    expect(page.text).not.toContain('Silence this alert');
    const asked = await web(srv, `/ui/incidents/${r.body.incidentId}/silence`, {
      cookie: cookies.operator,
      form: {},
    });
    expect(asked.status).toBe(409);
    expect(asked.text).toContain('not Alertmanager');
    const api = await srv.post(`/api/incidents/${r.body.incidentId}/silence`);
    expect(api.status).toBe(409);
    expect(api.body).toMatchObject({
      error: { code: 'conflict', message: expect.stringContaining('not Alertmanager') },
    });
  });

  test('the Alertmanager API token reaches no row, log line or API answer', async () => {
    const runs = await srv.fb.store.listRuns({ runbookId: SILENCE_RUNBOOK_ID });
    expect(runs.length).toBeGreaterThan(0);
    const seen = [
      JSON.stringify(await Promise.all(runs.map((r) => srv.fb.view(r.id)))),
      srv.logs.join('\n'),
      (await srv.get('/api/runs?limit=100')).text,
      (await srv.get(`/api/runbooks/${SILENCE_RUNBOOK_ID}`)).text,
      JSON.stringify(slack.calls),
    ].join('\n');
    expect(seen).toContain('firebreak run'); // the silences' own data is there…
    expect(seen).not.toContain(AM_TOKEN); // …their credential is not
  });
});
