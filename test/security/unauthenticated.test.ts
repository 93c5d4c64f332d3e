// Finding 2 of issue 9: with no API tokens (the default), a web page the operator had open could act as
// admin. Cross-site POSTs (text/plain, Origin of another site) started runs, rejected gates and posted
// alerts; a DNS-rebinding page (Host and Origin both the attacker's name) read and approved gates and
// flipped the kill switch; and Istio's sidecar, forwarding the mesh's traffic from 127.0.0.6, counted as
// loopback. Over real sockets with raw requests, since fetch cannot set Host.
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { parseConfig } from '../../src/config/config.ts';
import { rawRequest } from '../support/raw-http.ts';
import { fixtureRaw } from '../support/senders.ts';
import { type TestServer, testServer } from '../support/server.ts';
import { fireAndWaitForGate, WEB_RUNBOOKS } from '../web/support.ts';

const EVIL = 'http://evil.example';
const JSON_TYPE = { 'content-type': 'application/json' };

describe('with no API tokens', () => {
  let srv: TestServer;
  let port: number;
  let gate: Awaited<ReturnType<typeof fireAndWaitForGate>>;
  const req = (r: Parameters<typeof rawRequest>[1]) => rawRequest(port, r);
  const crossSite = { origin: EVIL, 'sec-fetch-site': 'cross-site' };

  beforeAll(async () => {
    srv = await testServer({ runbooksDir: WEB_RUNBOOKS });
    port = srv.server.port;
    gate = await fireAndWaitForGate(srv, 'unauthenticated');
  });
  afterAll(async () => {
    await srv?.close();
  });

  test('serve listens on 127.0.0.1 unless told otherwise', () => {
    expect(parseConfig({}).HOST).toBe('127.0.0.1');
  });

  test('a cross-site POST /api/runs is refused (403), and a text/plain body is not JSON (415)', async () => {
    const body = JSON.stringify({ runbook: 'checkout-rollback', input: { service: 'x' } });
    const simple = await req({
      method: 'POST',
      path: '/api/runs',
      headers: { ...crossSite, 'content-type': 'text/plain' },
      body,
    });
    expect(simple.status, simple.body).toBe(403);
    expect(simple.json).toMatchObject({ error: { code: 'cross_site' } });
    const plain = await req({
      method: 'POST',
      path: '/api/runs',
      headers: { 'content-type': 'text/plain' },
      body,
    });
    expect(plain.status, plain.body).toBe(415);
    expect(plain.json).toMatchObject({ error: { code: 'unsupported_media_type' } });
    // Another site under Sec-Fetch-Site alone, or an Origin alone, is refused too.
    for (const headers of [
      { 'sec-fetch-site': 'cross-site' },
      { 'sec-fetch-site': 'same-site' },
      { origin: EVIL },
    ]) {
      const r = await req({ method: 'POST', path: '/api/runs', headers: { ...headers, ...JSON_TYPE }, body });
      expect(r.status, JSON.stringify(headers)).toBe(403);
    }
    expect(await srv.fb.store.listRuns({ runbookId: 'checkout-rollback' })).toHaveLength(1);
  });

  test('a cross-site reject of a gate is refused and the gate stays pending', async () => {
    const r = await req({
      method: 'POST',
      path: `/api/approvals/${gate.approval.id}/reject`,
      headers: { ...crossSite, 'content-type': 'text/plain' },
      body: JSON.stringify({ reason: 'csrf' }),
    });
    expect(r.status).toBe(403);
    expect((await srv.fb.store.getApproval(gate.approval.id))?.status).toBe('pending');
  });

  test('a cross-site webhook to a source without a secret is refused; text/plain gets 415', async () => {
    const body = fixtureRaw('generic/firing.json');
    const cross = await req({
      method: 'POST',
      path: '/webhooks/generic',
      headers: { ...crossSite, ...JSON_TYPE },
      body,
    });
    expect(cross.status).toBe(403);
    const plain = await req({
      method: 'POST',
      path: '/webhooks/generic',
      headers: { 'content-type': 'text/plain' },
      body,
    });
    expect(plain.status).toBe(415);
    expect((await srv.get<{ deadLetters: unknown[] }>('/api/dead-letters')).body.deadLetters).toHaveLength(0);
  });

  test('DNS rebinding: a Host that is not a loopback name gets 421, reads and writes alike', async () => {
    const rebound = { host: `evil.example:${port}`, origin: `${EVIL}:${port}` };
    const read = await req({ path: `/api/approvals?status=pending`, headers: rebound });
    expect(read.status).toBe(421);
    expect(read.json).toMatchObject({ error: { code: 'misdirected_request' } });
    expect(read.body).not.toContain(gate.approval.id);
    const approve = await req({
      method: 'POST',
      path: `/api/approvals/${gate.approval.id}/approve`,
      headers: { ...rebound, ...JSON_TYPE },
      body: '{}',
    });
    expect(approve.status).toBe(421);
    const page = await req({ path: `/incidents/${gate.incidentId}`, headers: rebound });
    expect(page.status).toBe(421);
    const kill = await req({
      method: 'POST',
      path: '/ui/kill-switch',
      headers: { ...rebound, 'content-type': 'application/x-www-form-urlencoded' },
      body: 'paused=true',
    });
    expect(kill.status).toBe(421);
    expect(await srv.fb.engine.isPaused()).toBe(false);
    expect((await srv.fb.store.getApproval(gate.approval.id))?.status).toBe('pending');
  });

  test('loopback Host names are answered: localhost, 127.0.0.0/8, [::1]', async () => {
    for (const host of [
      `localhost:${port}`,
      `127.0.0.1:${port}`,
      '127.1.2.3',
      `[::1]:${port}`,
      'LOCALHOST',
    ]) {
      const r = await req({ path: '/api/approvals?status=pending', headers: { host } });
      expect(r.status, host).toBe(200);
    }
    for (const host of ['127.0.0.1.evil.example', 'localhost.evil.example', '0.0.0.0', '10.0.0.8:8080']) {
      expect((await req({ path: '/api/runs', headers: { host } })).status, host).toBe(421);
    }
  });

  test('Kubernetes probes may use the pod IP as Host: /healthz and /readyz answer any Host', async () => {
    for (const path of ['/healthz', '/readyz']) {
      const r = await req({ path, headers: { host: '10.244.1.17:8080' } });
      expect(r.status, path).toBe(200);
    }
  });

  test('a page of this origin may post; another loopback port is another origin', async () => {
    const form = { 'content-type': 'application/x-www-form-urlencoded' };
    const ok = await req({
      method: 'POST',
      path: '/ui/kill-switch',
      headers: { host: `localhost:${port}`, origin: `http://localhost:${port}`, ...form },
      body: 'paused=false',
    });
    expect(ok.status, ok.body).toBe(303);
    const otherApp = await req({
      method: 'POST',
      path: '/ui/kill-switch',
      headers: { host: `localhost:${port}`, origin: 'http://localhost:3000', ...form },
      body: 'paused=true',
    });
    expect(otherApp.status).toBe(403);
    expect(await srv.fb.engine.isPaused()).toBe(false);
  });

  test('a mesh sidecar forwarding from 127.0.0.6 is not loopback: API 401, UI 403, webhook 401', async () => {
    const sidecar = { localAddress: '127.0.0.6' };
    const api = await req({ ...sidecar, path: '/api/approvals' });
    expect(api.status).toBe(401);
    const page = await req({ ...sidecar, path: '/' });
    expect(page.status).toBe(403);
    const hook = await req({
      ...sidecar,
      method: 'POST',
      path: '/webhooks/generic',
      headers: JSON_TYPE,
      body: fixtureRaw('generic/firing.json'),
    });
    expect(hook.status).toBe(401);
  });
});

describe('exposing it without tokens', () => {
  test('a non-loopback HOST without API_TOKENS does not start, naming the setting that allows it', async () => {
    const start = testServer({ env: { HOST: '0.0.0.0' } });
    await expect(start).rejects.toThrow(/FIREBREAK_ALLOW_UNAUTHENTICATED/);
  });

  test('PUBLIC_URL: its host is answered and its origin may post; the warning shows when exposed', async () => {
    await using srv = await testServer({
      runbooksDir: WEB_RUNBOOKS,
      env: { PUBLIC_URL: 'https://firebreak.example.com', FIREBREAK_ALLOW_UNAUTHENTICATED: 'true' },
    });
    const port = srv.server.port;
    expect(srv.printed.join('\n')).toMatch(/WARNING.*unauthenticated/i);
    const host = { host: 'firebreak.example.com' };
    const ready = await rawRequest(port, { path: '/readyz', headers: host });
    expect(ready.json).toMatchObject({ ok: true, warnings: [expect.stringMatching(/unauthenticated/i)] });
    const page = await rawRequest(port, { path: '/', headers: host });
    expect(page.status).toBe(200);
    expect(page.body).toMatch(/class="banner bad"[^>]*>[^<]*unauthenticated/i);
    const form = { ...host, 'content-type': 'application/x-www-form-urlencoded' };
    const ok = await rawRequest(port, {
      method: 'POST',
      path: '/ui/kill-switch',
      headers: { ...form, origin: 'https://firebreak.example.com' },
      body: 'paused=true',
    });
    expect(ok.status, ok.body).toBe(303);
    expect(await srv.fb.engine.isPaused()).toBe(true);
    // The check compares with PUBLIC_URL, not with the Host the request names.
    const rebound = await rawRequest(port, {
      method: 'POST',
      path: '/ui/kill-switch',
      headers: { ...form, host: 'evil.example', origin: EVIL },
      body: 'paused=false',
    });
    expect(rebound.status).toBe(421);
    const sameHostOtherOrigin = await rawRequest(port, {
      method: 'POST',
      path: '/ui/kill-switch',
      headers: { ...form, origin: 'http://firebreak.example.com:8080' },
      body: 'paused=false',
    });
    expect(sameHostOtherOrigin.status).toBe(403);
    expect(await srv.fb.engine.isPaused()).toBe(true);
  });
});
