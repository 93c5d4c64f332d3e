// Slack end to end: signed requests built from the fixtures go through POST /slack/events of a real
// server; what firebreak says arrives at a local fake of the Slack Web API.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, test } from 'vitest';
import { parseConfig, secretsOf } from '../../src/config/config.ts';
import { slackSettings } from '../../src/integrations/slack/slack.ts';
import { verifySlackSignature } from '../../src/integrations/slack/verify.ts';
import type { EventRecord } from '../../src/store/records.ts';
import { type FakeSlack, fakeSlack, type SlackCall } from '../support/fake-slack.ts';
import { type TestServer, testServer, type Wire } from '../support/server.ts';
import {
  buttonClick,
  modalSubmit,
  type SignedRequest,
  SLACK_SECRET,
  signed,
  slashCommand,
} from '../support/slack-sign.ts';
import { until } from '../support/until.ts';

const RUNBOOKS = fileURLToPath(new URL('../fixtures/runbooks-slack', import.meta.url));
const alertmanager = (name: string) =>
  readFileSync(new URL(`../fixtures/alertmanager/${name}`, import.meta.url), 'utf8');

const CHANNEL = 'C07INCIDNT';
/** The fixture's user: an approver of the test runbooks and a Slack operator. */
const APPROVER = 'U024BE7LH';
const STRANGER = 'U0STRANGER';

interface Block {
  type: string;
  block_id?: string;
  elements?: { action_id?: string; confirm?: unknown }[];
}

async function slackServer(slack: FakeSlack, env: Record<string, string> = {}): Promise<TestServer> {
  return testServer({
    runbooksDir: RUNBOOKS,
    env: {
      SLACK_BOT_TOKEN: 'xoxb-test-token',
      SLACK_SIGNING_SECRET: SLACK_SECRET,
      SLACK_API_URL: slack.url,
      SLACK_INCIDENT_CHANNEL: CHANNEL,
      SLACK_OPERATORS: APPROVER,
      SLACK_RETRY_INITIAL_DELAY: '100ms',
      ...env,
    },
  });
}

const send = (ts: TestServer, req: SignedRequest) => ts.post('/slack/events', req.body, req.headers);
const blocks = (c: SlackCall) => (c.args.blocks ?? []) as Block[];
const said = (c: SlackCall) => `${String(c.args.text ?? '')} ${JSON.stringify(c.args.blocks ?? [])}`;

async function startGated(ts: TestServer): Promise<string> {
  const r = await ts.post<{ runId: string }>('/api/runs', { runbook: 'gated', input: {} });
  expect(r.status).toBe(201);
  return r.body.runId;
}

/** The approval request message and the gate it carries. */
async function approvalRequest(slack: FakeSlack) {
  const call = await slack.waitFor('chat.postMessage', (c) => blocks(c).some((b) => b.type === 'actions'));
  const actions = blocks(call).find((b) => b.type === 'actions')!;
  return { call, approvalId: actions.block_id!.replace('approval:', '') };
}

/** The ts Slack gave a posted message. */
const tsOf = (c: SlackCall) => String(c.response?.ts);

async function runEvents(ts: TestServer, runId: string): Promise<Wire<EventRecord>[]> {
  const r = await ts.get<{ events: Wire<EventRecord>[] }>(`/api/runs/${runId}`);
  return r.body.events;
}

describe('Slack approvals', () => {
  test('an alert opens the incident message, its run reports in the thread, and a button click approves', async () => {
    await using slack = await fakeSlack();
    await using ts = await slackServer(slack);
    const fired = await ts.post<{ incidentId: string; runIds: string[] }>(
      '/webhooks/alertmanager',
      alertmanager('firing-two-alerts.json'),
    );
    expect(fired.status).toBe(202);
    const { incidentId, runIds } = fired.body;
    expect(runIds).toHaveLength(1);

    const root = await slack.waitFor(
      'chat.postMessage',
      (c) => said(c).includes(incidentId) && !c.args.thread_ts,
    );
    expect(root.args.channel).toBe(CHANNEL);
    const rootTs = tsOf(root);
    const inThread = (text: string) => (c: SlackCall) =>
      c.args.thread_ts === rootTs && said(c).includes(text);
    await slack.waitFor('chat.postMessage', inThread('`inspect` done'));
    const evidence = await slack.waitFor('chat.postMessage', inThread('error ratio of checkout'));
    expect(said(evidence)).toContain('evidence');

    const request = await approvalRequest(slack);
    expect(request.call.args.thread_ts).toBeUndefined();
    expect(request.call.args.channel).toBe(CHANNEL);
    const buttons = blocks(request.call).find((b) => b.type === 'actions')!.elements!;
    expect(buttons.map((b) => b.action_id)).toEqual(['approval_approve', 'approval_reject']);
    expect(buttons[0]!.confirm).toBeDefined(); // a mitigation: Approve asks first

    const click = await send(ts, buttonClick(request.approvalId));
    expect(click.status).toBe(200);
    expect(click.text).toBe('');

    const run = await ts.finalRun(runIds[0]!);
    expect(run.run.status).toBe('succeeded');
    expect(run.steps.find((s) => s.stepKey === 'after')?.status).toBe('succeeded');
    const approval = (await ts.fb.store.getApproval(request.approvalId))!;
    expect(approval).toMatchObject({ status: 'approved', decisions: [{ by: APPROVER, via: 'slack' }] });

    const requestTs = tsOf(request.call);
    const update = await slack.waitFor(
      'chat.update',
      (c) => c.args.ts === requestTs && said(c).includes('Approved'),
    );
    expect(update.args.channel).toBe(CHANNEL);
    expect(blocks(update).some((b) => b.type === 'actions')).toBe(false);
    const seconds = Math.floor(new Date(approval.decisions[0]!.at).getTime() / 1000);
    expect(said(update)).toContain(`Approved* by <@${APPROVER}> via slack at <!date^${seconds}^`);
    await slack.waitFor('chat.postMessage', inThread('`rollback` applied'));
    await slack.waitFor('chat.postMessage', inThread('run succeeded'));

    const resolved = await ts.post('/webhooks/alertmanager', alertmanager('resolved.json'));
    expect(resolved.status).toBe(202);
    await slack.waitFor('chat.postMessage', inThread('incident resolved'));
    const rootUpdate = await slack.waitFor('chat.update', (c) => c.args.ts === rootTs);
    expect(said(rootUpdate)).toContain('*Resolved*');
  });

  test('Reject opens a modal that needs a reason; the rejection stops the run', async () => {
    await using slack = await fakeSlack();
    await using ts = await slackServer(slack);
    const runId = await startGated(ts);
    const request = await approvalRequest(slack);

    expect((await send(ts, buttonClick(request.approvalId, { action: 'approval_reject' }))).status).toBe(200);
    const open = await slack.waitFor('views.open');
    expect(open.args.trigger_id).toBe('7712345678901.24205167.0f3e5c5297f73a70d5844279fb4e7a26');
    const view = open.args.view as { callback_id: string; private_metadata: string };

    const empty = await send(ts, modalSubmit(view, '   '));
    expect(empty.status).toBe(200);
    expect(empty.body).toMatchObject({ response_action: 'errors', errors: { reason: expect.any(String) } });
    expect(await ts.fb.store.getApproval(request.approvalId)).toMatchObject({
      status: 'pending',
      decisions: [],
    });

    expect((await send(ts, modalSubmit(view, 'error budget is fine'))).status).toBe(200);
    const run = await ts.finalRun(runId);
    expect(run.run.status).toBe('failed');
    expect(run.steps.find((s) => s.stepKey === 'go')?.status).toBe('rejected');
    expect(await ts.fb.store.getApproval(request.approvalId)).toMatchObject({
      status: 'rejected',
      reason: 'error budget is fine',
      decisions: [{ by: APPROVER, via: 'slack', decision: 'reject' }],
    });
    const update = await slack.waitFor('chat.update', (c) => said(c).includes('Rejected'));
    expect(said(update)).toContain(`<@${APPROVER}> via slack at <!date^`);
    expect(said(update)).toContain('error budget is fine');
  });

  test('someone who may not decide is told privately; only the audit entry is recorded', async () => {
    await using slack = await fakeSlack();
    await using ts = await slackServer(slack);
    const runId = await startGated(ts);
    const request = await approvalRequest(slack);

    expect((await send(ts, buttonClick(request.approvalId, { userId: STRANGER }))).status).toBe(200);
    const refusal = await slack.waitFor('chat.postEphemeral', (c) => c.args.user === STRANGER);
    expect(refusal.args.channel).toBe(CHANNEL);
    expect(said(refusal)).toContain(`${STRANGER} is not an approver of this gate`);

    // The Reject button refuses at once too, instead of asking a reason for nothing.
    await send(ts, buttonClick(request.approvalId, { userId: STRANGER, action: 'approval_reject' }));
    await until(async () => (slack.delivered('chat.postEphemeral').length === 2 ? true : null));
    expect(slack.delivered('views.open')).toHaveLength(0);

    expect(await ts.fb.store.getApproval(request.approvalId)).toMatchObject({
      status: 'pending',
      decisions: [],
    });
    const events = await runEvents(ts, runId);
    expect(events.filter((e) => e.type === 'approval.decision')).toHaveLength(0);
    expect(events.filter((e) => e.type === 'approval.refused').map((e) => e.data)).toMatchObject([
      { by: STRANGER, via: 'slack', decision: 'approve' },
      { by: STRANGER, via: 'slack', decision: 'reject' },
    ]);
  });

  test('a bad signature or a timestamp more than five minutes off is refused with 401; nothing happens', async () => {
    await using slack = await fakeSlack();
    await using ts = await slackServer(slack);
    const runId = await startGated(ts);
    const { approvalId } = await approvalRequest(slack);
    const now = Math.floor(Date.now() / 1000);
    const click = buttonClick(approvalId);

    const forged = { ...click, headers: { ...click.headers, 'x-slack-signature': `v0=${'0'.repeat(64)}` } };
    const otherSecret = signed(click.body, 'application/x-www-form-urlencoded', { secret: 'not-the-secret' });
    // (The exact five-minute edges are pinned with a fixed clock below.)
    const stale = buttonClick(approvalId, { timestamp: now - 360 });
    const future = buttonClick(approvalId, { timestamp: now + 360 });
    const unsigned = { body: click.body, headers: { 'content-type': 'application/x-www-form-urlencoded' } };
    const tampered = { ...click, body: click.body.replace(APPROVER, STRANGER) };
    for (const req of [forged, otherSecret, stale, future, unsigned, tampered]) {
      expect((await send(ts, req)).status).toBe(401);
    }
    expect((await send(ts, buttonClick(approvalId, { timestamp: now - 240 }))).status).toBe(200);

    const run = await ts.finalRun(runId);
    expect(run.run.status).toBe('succeeded');
    expect(run.events.filter((e) => e.type.startsWith('approval.')).map((e) => e.type)).toEqual([
      'approval.requested',
      'approval.decision',
      'approval.approved',
    ]);
    expect(slack.delivered('chat.postEphemeral')).toHaveLength(0);
    expect(ts.logs.filter((l) => l.includes('slack request refused'))).toHaveLength(6);
  });

  test('url_verification is answered with its challenge; ssl_check with an empty 200', async () => {
    await using slack = await fakeSlack();
    await using ts = await slackServer(slack);
    const body = JSON.stringify({
      token: 'legacyVerificationToken',
      challenge: 'c4ll3ng3',
      type: 'url_verification',
    });
    const r = await send(ts, signed(body, 'application/json'));
    expect(r.status).toBe(200);
    expect(r.body).toEqual({ challenge: 'c4ll3ng3' });
    const unsignedChallenge = await ts.post('/slack/events', body, { 'content-type': 'application/json' });
    expect(unsignedChallenge.status).toBe(401);

    const ssl = await ts.post('/slack/events', 'ssl_check=1&token=legacyVerificationToken', {
      'content-type': 'application/x-www-form-urlencoded',
    });
    expect(ssl.status).toBe(200);
    expect(ssl.text).toBe('');
  });
});

describe('Slack configuration', () => {
  test('comes as a set, and its secrets are redacted like the others', () => {
    expect(() => parseConfig({ SLACK_BOT_TOKEN: 'xoxb-1234-abcd' })).toThrow(
      /SLACK_SIGNING_SECRET: required when SLACK_BOT_TOKEN is set\n\s+SLACK_INCIDENT_CHANNEL: required/,
    );
    expect(() => parseConfig({ SLACK_BOT_TOKEN: 'not-a-token' })).toThrow(
      /SLACK_BOT_TOKEN: must be a Slack token/,
    );
    const config = parseConfig({
      SLACK_BOT_TOKEN: 'xoxb-1234-abcd',
      SLACK_SIGNING_SECRET: SLACK_SECRET,
      SLACK_INCIDENT_CHANNEL: 'C07INCIDNT',
      SLACK_OPERATORS: 'U024BE7LH, sre-oncall',
    });
    expect(config).toMatchObject({
      SLACK_API_URL: 'https://slack.com/api/',
      SLACK_OPERATORS: ['U024BE7LH', 'sre-oncall'],
    });
    expect(secretsOf(config)).toEqual(expect.arrayContaining(['xoxb-1234-abcd', SLACK_SECRET]));
    expect(slackSettings(parseConfig({}))).toBeNull();
  });
});

describe('the Slack signature', () => {
  const body = 'payload=%7B%7D';
  const at = 1_757_485_870;
  const check = (ts: number, nowS: number, secret = SLACK_SECRET) =>
    verifySlackSignature(
      secret,
      body,
      new Headers(signed(body, 'x', { timestamp: ts }).headers),
      nowS * 1000,
    );

  test('is checked with Bolt’s verifier, over the raw body, within five minutes either way', () => {
    expect(check(at, at)).toEqual({ ok: true });
    expect(check(at, at + 300)).toEqual({ ok: true });
    expect(check(at, at - 300)).toEqual({ ok: true });
    expect(check(at, at + 301)).toMatchObject({ ok: false, reason: expect.stringContaining('5 minutes') });
    expect(check(at, at - 301)).toMatchObject({ ok: false, reason: expect.stringContaining('5 minutes') });
    expect(check(at, at, 'another-secret')).toMatchObject({
      ok: false,
      reason: expect.stringContaining('mismatch'),
    });
    const headers = new Headers(signed(body, 'x', { timestamp: at }).headers);
    expect(verifySlackSignature(SLACK_SECRET, `${body}&x=1`, headers, at * 1000)).toMatchObject({
      ok: false,
    });
  });
});

describe('/firebreak', () => {
  const reply = (slack: FakeSlack, n: number) =>
    until(async () => slack.delivered('chat.postEphemeral')[n - 1] ?? null).then((c) => said(c));

  test('status lists pending approvals; approve decides like the button', async () => {
    await using slack = await fakeSlack();
    await using ts = await slackServer(slack);
    const runId = await startGated(ts);
    const { approvalId } = await approvalRequest(slack);

    const ack = await send(ts, slashCommand('status'));
    expect(ack.status).toBe(200);
    const status = await reply(slack, 1);
    expect(status).toContain('Mitigations run');
    expect(status).toContain('Approvals pending (1)');
    expect(status).toContain(approvalId);

    await send(ts, slashCommand(`reject ${approvalId}`));
    expect(await reply(slack, 2)).toContain('a reason is required');
    await send(ts, slashCommand(`approve ${approvalId}`));
    expect(await reply(slack, 3)).toContain('Approval recorded');
    expect((await ts.finalRun(runId)).run.status).toBe('succeeded');
    expect(await ts.fb.store.getApproval(approvalId)).toMatchObject({
      status: 'approved',
      decisions: [{ by: APPROVER, via: 'slack' }],
    });

    await send(ts, slashCommand(`approve ${approvalId}`, { userId: 'U0LATE' }));
    expect(await reply(slack, 4)).toMatch(/Too late: approval .* is already approved by U024BE7LH via slack/);
  });

  test('pause and resume flip the kill switch, for operators only', async () => {
    await using slack = await fakeSlack();
    await using ts = await slackServer(slack);
    await send(ts, slashCommand('pause', { userId: STRANGER }));
    expect(await reply(slack, 1)).toContain('You may not pause');
    expect(await ts.fb.engine.isPaused()).toBe(false);

    await send(ts, slashCommand('pause'));
    expect(await reply(slack, 2)).toContain('Kill switch on');
    expect(await ts.fb.engine.isPaused()).toBe(true);
    await send(ts, slashCommand('status'));
    expect(await reply(slack, 3)).toContain('Kill switch ON');

    await send(ts, slashCommand('resume'));
    expect(await reply(slack, 4)).toContain('Kill switch off');
    expect(await ts.fb.engine.isPaused()).toBe(false);
  });

  test('run starts a runbook with JSON input as the Slack user', async () => {
    await using slack = await fakeSlack();
    await using ts = await slackServer(slack);
    await send(ts, slashCommand('run quick {“service”: “payments”}'));
    const started = await reply(slack, 1);
    const runId = /run `([0-9a-f-]{36})`/.exec(started)?.[1];
    expect(runId).toBeDefined();
    const run = await ts.finalRun(runId!);
    expect(run.run).toMatchObject({
      status: 'succeeded',
      requestedBy: `slack:${APPROVER}`,
      input: { service: 'payments' },
    });

    await send(ts, slashCommand('run quick {"service": 5}'));
    expect(await reply(slack, 2)).toContain('input for runbook quick is invalid');
  });
});

describe('the Slack outbox', () => {
  test('a 429 holds delivery for Retry-After, then the message goes out', async () => {
    await using slack = await fakeSlack();
    await using ts = await slackServer(slack);
    slack.failNext(1, { status: 429, retryAfterS: 1 });
    const r = await ts.post<{ runId: string }>('/api/runs', { runbook: 'quick', input: {} });
    const root = await slack.waitFor('chat.postMessage', (c) => said(c).includes('Quick look'));
    const limited = slack.calls.find((c) => c.status === 429)!;
    expect(limited.method).toBe('chat.postMessage');
    expect(said(limited)).toContain('Quick look');
    expect(root.at.getTime() - limited.at.getTime()).toBeGreaterThanOrEqual(950);
    expect(ts.server.slack!.counters.rateLimited).toBe(1);

    const run = await ts.finalRun(r.body.runId);
    expect(run.run.status).toBe('succeeded');
    const failed = (await runEvents(ts, r.body.runId)).filter((e) => e.type === 'slack.delivery_failed');
    expect(failed).toHaveLength(1);
    expect(failed[0]!.data).toMatchObject({
      method: 'chat.postMessage',
      error: expect.stringContaining('429'),
    });
  });

  test('Slack down never blocks a run; 500s are on the timeline and retried in order', async () => {
    await using slack = await fakeSlack();
    await using ts = await slackServer(slack);
    slack.failNext(1_000, { status: 500 });
    const r = await ts.post<{ runId: string }>('/api/runs', { runbook: 'quick', input: {} });
    const run = await ts.finalRun(r.body.runId);
    expect(run.run.status).toBe('succeeded');
    await until(async () => (ts.server.slack!.counters.failedAttempts >= 2 ? true : null));
    expect(slack.delivered('chat.postMessage')).toHaveLength(0);

    slack.heal();
    const last = await slack.waitFor('chat.postMessage', (c) => said(c).includes('run succeeded'));
    const posted = slack.delivered('chat.postMessage').map((c) => String(c.args.text));
    expect(posted.at(-1)).toBe(String(last.args.text));
    const order = [
      'Run of *Quick look*',
      '`look` started',
      '`look` done',
      '`look-again` started',
      '`look-again` done',
    ];
    expect(order.map((t) => posted.findIndex((p) => p.includes(t)))).toEqual([0, 1, 2, 3, 4]);
    expect(posted[2]).toContain('what we saw');

    const failed = (await runEvents(ts, r.body.runId)).filter((e) => e.type === 'slack.delivery_failed');
    expect(failed.length).toBeGreaterThanOrEqual(2);
    expect(failed[0]!.data).toMatchObject({ method: 'chat.postMessage', attempt: 1, error: 'HTTP 500' });
    expect(failed[1]!.data).toMatchObject({ attempt: 2, error: 'HTTP 500' });
    // The fake answers before the deliverer has recorded the send: wait for the count to catch up.
    await until(async () => (ts.server.slack!.counters.delivered === posted.length ? true : null));
  });

  test('a message Slack refuses for good is given up at once and said on the timeline', async () => {
    await using slack = await fakeSlack();
    await using ts = await slackServer(slack);
    slack.failNext(1, { status: 200, error: 'channel_not_found' });
    const r = await ts.post<{ runId: string }>('/api/runs', { runbook: 'quick', input: {} });
    const run = await ts.finalRun(r.body.runId);
    expect(run.run.status).toBe('succeeded');
    // The thread's first message is gone: the rest still reach the channel, unthreaded.
    const last = await slack.waitFor('chat.postMessage', (c) => said(c).includes('run succeeded'));
    expect(last.args.thread_ts).toBeUndefined();
    const abandoned = await until(async () => {
      const e = (await runEvents(ts, r.body.runId)).find((x) => x.type === 'slack.delivery_abandoned');
      return e ?? null;
    });
    expect(abandoned.data).toMatchObject({
      method: 'chat.postMessage',
      error: 'slack error channel_not_found',
    });
    expect(ts.server.slack!.counters.abandoned).toBe(1);
  });
});
