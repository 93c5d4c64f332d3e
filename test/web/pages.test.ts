// The web UI through real HTTP: pages render with their content and escape what alerts carry; sign-in
// with API tokens maps to the API's roles (a viewer cannot approve); forms from another origin, or with no
// origin at all, are refused; revert, replay and the kill switch; the live stream's first state.
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { fixtureJson } from '../support/senders.ts';
import { type TestServer, testServer } from '../support/server.ts';
import { until } from '../support/until.ts';
import { API_TOKENS, fireAndWaitForGate, signIn, TOKENS, WEB_RUNBOOKS, web } from './support.ts';

const EVIL = '<script>alert("pwned")</script>';

describe('the web UI', () => {
  let srv: TestServer;
  const cookies = { viewer: '', approver: '', operator: '' };
  let gated: Awaited<ReturnType<typeof fireAndWaitForGate>>;

  beforeAll(async () => {
    // The helpers' own API reads (finalRun) go with the admin token; the browser-like requests carry none.
    srv = await testServer({
      runbooksDir: WEB_RUNBOOKS,
      env: { API_TOKENS },
      headers: { authorization: `Bearer ${TOKENS.admin}` },
    });
    for (const role of ['viewer', 'approver', 'operator'] as const) cookies[role] = await signIn(srv, role);
    gated = await fireAndWaitForGate(srv, 'pages-escape', { summary: `${EVIL} on checkout`, service: EVIL });
  });
  afterAll(async () => {
    await srv?.close();
  });

  test('without a session a page redirects to sign-in, which renders the token form', async () => {
    const r = await web(srv, `/incidents/${gated.incidentId}`);
    expect(r.status).toBe(303);
    expect(r.location).toBe(`/sign-in?next=${encodeURIComponent(`/incidents/${gated.incidentId}`)}`);
    const form = await web(srv, '/sign-in');
    expect(form.status).toBe(200);
    expect(form.text).toContain('name="token"');
    expect(form.headers.get('content-security-policy')).toContain("script-src 'self'");
  });

  test('a wrong token is refused; a right one sets an HttpOnly SameSite=Strict session cookie', async () => {
    const wrong = await web(srv, '/sign-in', { form: { token: 'not-a-token-at-all', next: '/' } });
    expect(wrong.status).toBe(401);
    expect(wrong.headers.get('set-cookie')).toBeNull();

    const right = await web(srv, '/sign-in', { form: { token: TOKENS.viewer, next: '/runbooks' } });
    expect(right.status).toBe(303);
    expect(right.location).toBe('/runbooks');
    const cookie = right.headers.get('set-cookie') ?? '';
    expect(cookie).toMatch(/^firebreak_session=v2\.[\w-]{43}\./);
    expect(cookie).toMatch(/HttpOnly/i);
    expect(cookie).toMatch(/SameSite=Strict/i);
    expect(cookie).not.toContain(TOKENS.viewer);

    // A session is only as good as its MAC: a forged one is no session.
    const forged = cookie.split(';')[0]!.replace(/\.[\w-]{43}$/, `.${'A'.repeat(43)}`);
    expect((await web(srv, '/', { cookie: forged })).status).toBe(303);
    // Off-site `next` values are ignored.
    const offsite = await web(srv, '/sign-in', { form: { token: TOKENS.viewer, next: '//evil.example/' } });
    expect(offsite.location).toBe('/');
  });

  test('the incidents list shows status, severity, age and escapes the alert text', async () => {
    const r = await web(srv, '/', { cookie: cookies.viewer });
    expect(r.status, r.text).toBe(200);
    expect(r.text).toContain(`data-incident="${gated.incidentId}"`);
    expect(r.text).toContain('firing');
    expect(r.text).toContain('critical');
    expect(r.text).toContain('&lt;script&gt;alert(&quot;pwned&quot;)&lt;/script&gt; on checkout');
    expect(r.text).not.toContain(EVIL);
    expect(r.text).toContain('Kill switch');
  });

  test('the incident page shows the gate, the run graph, evidence, timeline and postmortem, escaped', async () => {
    const r = await web(srv, `/incidents/${gated.incidentId}`, { cookie: cookies.viewer });
    expect(r.status, r.text).toBe(200);
    const html = r.text;
    expect(html).toContain(`data-run="${gated.runId}"`);
    expect(html).toMatch(
      /<g data-step="approve-rollback" data-kind="approval" data-status="awaiting_approval"/,
    );
    expect(html).toMatch(/<g data-step="rollback" data-kind="mitigation" data-status="pending"/);
    expect(html).toContain(`data-approval="${gated.approval.id}"`);
    expect(html).toContain('Roll checkout back to the previous deploy?');
    expect(html).toContain('Error ratio by instance');
    expect(html).toContain('approval.requested');
    expect(html).toContain('Postmortem: ');
    expect(html).toContain(`/ui/incidents/${gated.incidentId}/events?after=`);
    // The label, the annotation and the Markdown evidence built from them all arrive as text.
    expect(html).not.toContain(EVIL);
    expect(html).not.toMatch(/<script>alert/);
    expect(html).toContain('<strong>&lt;script&gt;alert(&quot;pwned&quot;)&lt;/script&gt;</strong>');
    // A viewer is not offered the decision.
    expect(html).not.toContain(`/ui/approvals/${gated.approval.id}/approve`);
    expect(html).toContain('sign in with an approver token');
  });

  test('runbooks: the list, and one runbook with its SVG graph, triggers, game days and runs', async () => {
    const list = await web(srv, '/runbooks', { cookie: cookies.viewer });
    expect(list.status).toBe(200);
    expect(list.text).toContain('href="/runbooks/checkout-rollback"');
    expect(list.text).toContain('alertname=&quot;HighErrorRate&quot;');
    const one = await web(srv, '/runbooks/checkout-rollback', { cookie: cookies.viewer });
    expect(one.status).toBe(200);
    expect(one.text).toContain('<svg');
    expect(one.text).toMatch(/<path d="M[\d. ]+C/);
    expect(one.text).toContain('wednesday-drill');
    expect(one.text).toContain('0 10 * * 3 (Europe/Berlin)');
    expect(one.text).toContain(gated.runId.slice(0, 8));
    expect((await web(srv, '/runbooks/nope', { cookie: cookies.viewer })).status).toBe(404);
  });

  test('a viewer cannot approve (403) and the gate stays pending', async () => {
    const r = await web(srv, `/ui/approvals/${gated.approval.id}/approve`, {
      cookie: cookies.viewer,
      form: { return: `/incidents/${gated.incidentId}` },
    });
    expect(r.status).toBe(403);
    expect(r.text).toContain('viewer-on-call (viewer) may not approve');
    expect((await srv.fb.store.getApproval(gated.approval.id))?.status).toBe('pending');
  });

  test('forms from another origin, or with no origin, are refused', async () => {
    const path = `/ui/approvals/${gated.approval.id}/approve`;
    const form = { return: '/' };
    const crossSite = await web(srv, path, {
      cookie: cookies.approver,
      form,
      headers: { origin: 'http://evil.example' },
    });
    expect(crossSite.status).toBe(403);
    const noOrigin = await web(srv, path, { cookie: cookies.approver, form, headers: { origin: undefined } });
    expect(noOrigin.status).toBe(403);
    const fetchSite = await web(srv, path, {
      cookie: cookies.approver,
      form,
      headers: { 'sec-fetch-site': 'cross-site' },
    });
    expect(fetchSite.status).toBe(403);
    const signInFromAfar = await web(srv, '/sign-in', {
      form: { token: TOKENS.admin },
      headers: { origin: 'http://evil.example' },
    });
    expect(signInFromAfar.status).toBe(403);
    expect(signInFromAfar.headers.get('set-cookie')).toBeNull();
    expect((await srv.fb.store.getApproval(gated.approval.id))?.status).toBe('pending');
  });

  test('the live stream starts with the state of the incident runs', async () => {
    const abort = new AbortController();
    const res = await fetch(`${srv.url}/ui/incidents/${gated.incidentId}/events?after=0`, {
      headers: { cookie: cookies.viewer },
      signal: abort.signal,
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('text/event-stream');
    const reader = res.body!.getReader();
    let text = '';
    while (!text.includes('\n\n')) text += new TextDecoder().decode((await reader.read()).value);
    abort.abort();
    const [event, data] = text.split('\n');
    expect(event).toBe('event: state');
    const states = JSON.parse(data!.slice('data: '.length)) as {
      runId: string;
      steps: { name: string; status: string }[];
    }[];
    expect(states[0]?.runId).toBe(gated.runId);
    expect(states[0]?.steps).toContainEqual(
      expect.objectContaining({ name: 'approve-rollback', status: 'awaiting_approval' }),
    );
    expect((await fetch(`${srv.url}/ui/incidents/${gated.incidentId}/events`)).status).toBe(401);
  });

  test('an approver approves; the run goes on to the rollback and succeeds', async () => {
    const r = await web(srv, `/ui/approvals/${gated.approval.id}/approve`, {
      cookie: cookies.approver,
      form: { return: `/incidents/${gated.incidentId}` },
    });
    expect(r.status, r.text).toBe(303);
    expect(r.location).toBe(`/incidents/${gated.incidentId}?done=approved`);
    const view = await srv.finalRun(gated.runId);
    expect(view.run.status).toBe('succeeded');
    expect(view.steps.find((s) => s.stepKey === 'rollback')?.status).toBe('succeeded');
    const approval = await srv.fb.store.getApproval(gated.approval.id);
    expect(approval?.decisions).toEqual([expect.objectContaining({ by: 'approver-on-call', via: 'web' })]);

    const again = await web(srv, `/ui/approvals/${gated.approval.id}/approve`, {
      cookie: cookies.approver,
      form: {},
      headers: { accept: 'application/json' },
    });
    expect(again.status).toBe(409);
    expect(JSON.parse(again.text)).toEqual({
      ok: false,
      message: expect.stringContaining('already approved by approver-on-call via web'),
    });
  });

  test('reject needs a reason, and stops the run', async () => {
    const g = await fireAndWaitForGate(srv, 'pages-reject');
    const path = `/ui/approvals/${g.approval.id}/reject`;
    const noReason = await web(srv, path, { cookie: cookies.approver, form: { reason: '  ' } });
    // A missing field, not a refusal: 422, as on the API.
    expect(noReason.status).toBe(422);
    expect(noReason.text).toContain('a rejection needs a reason');
    const r = await web(srv, path, {
      cookie: cookies.approver,
      form: { reason: 'deploy is fine, it is the DB' },
    });
    expect(r.status).toBe(303);
    const view = await srv.finalRun(g.runId);
    expect(view.run.status).not.toBe('succeeded');
    expect(view.steps.find((s) => s.stepKey === 'approve-rollback')?.status).toBe('rejected');
  });

  test('revert (cancel with revert) needs an operator and stops a waiting run', async () => {
    const g = await fireAndWaitForGate(srv, 'pages-revert');
    const page = await web(srv, `/incidents/${g.incidentId}`, { cookie: cookies.operator });
    expect(page.text).toContain(`/ui/runs/${g.runId}/revert`);
    const byApprover = await web(srv, `/ui/runs/${g.runId}/revert`, { cookie: cookies.approver, form: {} });
    expect(byApprover.status).toBe(403);
    const r = await web(srv, `/ui/runs/${g.runId}/revert`, {
      cookie: cookies.operator,
      form: { return: `/incidents/${g.incidentId}` },
    });
    expect(r.status, r.text).toBe(303);
    expect(r.location).toBe(`/incidents/${g.incidentId}?done=reverting`);
    expect((await srv.finalRun(g.runId)).run.status).toBe('cancelled');
    const late = await web(srv, `/ui/runs/${g.runId}/revert`, { cookie: cookies.operator, form: {} });
    expect(late.status).toBe(409);
  });

  test('dead letters: listed escaped, replayed by an operator', async () => {
    const resolved = fixtureJson('alertmanager/resolved.json');
    resolved.groupKey = `{}:{group="${EVIL}"}`;
    const dl = await srv.post<{ deadLetterId: string }>('/webhooks/alertmanager', resolved, {
      authorization: undefined,
    });
    expect(dl.status, dl.text).toBe(202);
    const page = await web(srv, '/dead-letters', { cookie: cookies.viewer });
    expect(page.status).toBe(200);
    expect(page.text).toContain(`data-dead-letter="${dl.body.deadLetterId}"`);
    expect(page.text).not.toContain(EVIL);
    expect(page.text).not.toContain(`/ui/dead-letters/${dl.body.deadLetterId}/replay`);
    const replay = await web(srv, `/ui/dead-letters/${dl.body.deadLetterId}/replay`, {
      cookie: cookies.operator,
      form: {},
    });
    expect(replay.status, replay.text).toBe(303);
    expect(replay.location).toBe('/dead-letters?done=replayed');
    const after = await web(srv, '/dead-letters', { cookie: cookies.operator });
    expect(after.text).toContain('Replay again');
  });

  test('the kill switch: an operator pauses and resumes new mitigations', async () => {
    const denied = await web(srv, '/ui/kill-switch', { cookie: cookies.viewer, form: { paused: 'true' } });
    expect(denied.status).toBe(403);
    const pause = await web(srv, '/ui/kill-switch', {
      cookie: cookies.operator,
      form: { paused: 'true', return: '/' },
    });
    expect(pause.status).toBe(303);
    expect(await srv.fb.engine.isPaused()).toBe(true);
    const home = await web(srv, '/?done=paused', { cookie: cookies.viewer });
    expect(home.text).toContain('Kill switch ON');
    expect(home.text).toContain('new mitigations are paused');
    await web(srv, '/ui/kill-switch', { cookie: cookies.operator, form: { paused: 'false' } });
    await until(async () => ((await srv.fb.engine.isPaused()) ? null : true));
  });
});

describe('the web UI without API tokens', () => {
  test('answers loopback as the local admin, with no sign-in', async () => {
    await using srv = await testServer({ runbooksDir: WEB_RUNBOOKS });
    const r = await web(srv, '/');
    expect(r.status).toBe(200);
    expect(r.text).toContain('local');
    // Said plainly: anyone on this machine is an admin, and a gate's groups do not hold them back.
    expect(r.text).toContain('unauthenticated admin: loopback, no API_TOKENS');
    expect(r.text).toContain(
      'Loopback mode: no API_TOKENS: every loopback caller is an unauthenticated admin, and group gates are not enforced for it.',
    );
    const signIn = await web(srv, '/sign-in', { form: { token: 'whatever-token' } });
    expect(signIn.status).toBe(403);
    expect(signIn.text).toContain('Loopback only');
  });

  test('an open live stream does not hold up the server when it closes', async () => {
    const srv = await testServer({ runbooksDir: WEB_RUNBOOKS });
    try {
      const g = await fireAndWaitForGate(srv, 'pages-shutdown');
      const res = await fetch(`${srv.url}/ui/runs/${g.runId}/events`);
      expect(res.status).toBe(200);
      const reader = res.body!.getReader();
      await reader.read();
      const started = Date.now();
      await srv.close();
      expect(Date.now() - started).toBeLessThan(20_000);
      // The stream ended with the server rather than being cut off mid-event.
      for (let r = await reader.read(); !r.done; r = await reader.read()) {}
    } finally {
      await srv.close();
    }
  });
});
