// Finding 6 of issue 9 (limits) and the web session faults that left every test green: bodies were
// unlimited on /api, a slow-header client held a socket for minutes, sign-out did not end the session,
// wrong sign-in tokens were never throttled. Also the session rules nothing tested: expiry, the Secure
// flag behind https, the Referer fallback, Origin: null, a token taken out of API_TOKENS, `/\evil`.
// Finding 7: a refused webhook was neither logged nor counted.
import { connect, type Socket } from 'node:net';
import { Hono } from 'hono';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { ManualClock } from '../../src/core/clock.ts';
import { HTTP_LIMITS } from '../../src/server.ts';
import { localPath } from '../../src/web/format.ts';
import { fromThisOrigin } from '../../src/web/session.ts';
import { type TestDatabase, testDatabase } from '../support/db.ts';
import { rawRequest } from '../support/raw-http.ts';
import { fixtureRaw } from '../support/senders.ts';
import { type TestServer, testServer } from '../support/server.ts';
import { API_TOKENS, signIn, TOKENS, WEB_RUNBOOKS, web } from '../web/support.ts';

describe('web sessions', () => {
  const clock = new ManualClock(new Date());
  let srv: TestServer;
  beforeAll(async () => {
    srv = await testServer({ runbooksDir: WEB_RUNBOOKS, env: { API_TOKENS }, server: { clock } });
  });
  afterAll(async () => {
    await srv?.close();
  });
  const page = (cookie: string) => web(srv, '/runbooks', { cookie });

  test('a session ends after 12 hours', async () => {
    const cookie = await signIn(srv, 'viewer');
    expect((await page(cookie)).status).toBe(200);
    clock.advance(12 * 3_600_000 - 1000);
    expect((await page(cookie)).status).toBe(200);
    clock.advance(1000);
    expect((await page(cookie)).status).toBe(303);
  });

  test('the cookie is Secure behind https (X-Forwarded-Proto), and not over plain http', async () => {
    const form = { token: TOKENS.viewer, next: '/' };
    const https = await web(srv, '/sign-in', { form, headers: { 'x-forwarded-proto': 'https' } });
    expect(https.headers.get('set-cookie')).toMatch(/;\s*Secure/i);
    const http = await web(srv, '/sign-in', { form });
    expect(http.headers.get('set-cookie')).not.toMatch(/Secure/i);
  });

  test('signing out ends the session on the server, not only in this browser', async () => {
    const cookie = await signIn(srv, 'viewer');
    const out = await web(srv, '/sign-out', { form: {}, cookie });
    expect(out.status).toBe(303);
    expect(out.headers.get('set-cookie')).toMatch(/firebreak_session=;/);
    // The old cookie, replayed, is no session any more.
    expect((await page(cookie)).status).toBe(303);
  });

  test('an admin signs everyone out; a viewer may not', async () => {
    const viewer = await signIn(srv, 'viewer');
    const approver = await signIn(srv, 'approver');
    expect((await web(srv, '/ui/sessions/revoke-all', { form: {}, cookie: viewer })).status).toBe(403);
    expect((await page(viewer)).status).toBe(200);
    const admin = await signIn(srv, 'admin');
    expect((await web(srv, '/', { cookie: admin })).text).toContain('Sign out everyone');
    expect((await web(srv, '/ui/sessions/revoke-all', { form: {}, cookie: admin })).status).toBe(303);
    for (const c of [viewer, approver, admin]) expect((await page(c)).status).toBe(303);
  });

  test('a form without Origin is accepted on a same-origin Referer; null, malformed or foreign ones are not', async () => {
    const cookie = await signIn(srv, 'operator');
    const post = (headers: Record<string, string | undefined>) =>
      web(srv, '/ui/kill-switch', {
        form: { paused: 'false' },
        cookie,
        headers: { origin: undefined, ...headers },
      });
    expect((await post({ referer: `${srv.url}/incidents` })).status).toBe(303);
    expect((await post({ referer: 'http://evil.example/incidents' })).status).toBe(403);
    expect((await post({ origin: 'null' })).status).toBe(403);
    expect((await post({ origin: 'http://' })).status).toBe(403);
    expect((await post({ referer: 'not a url' })).status).toBe(403);
  });

  test('with tokens too, the form origin is compared with this server, never with the Host it names', async () => {
    const cookie = await signIn(srv, 'operator');
    const rebound = `evil.example:${srv.server.port}`;
    const r = await rawRequest(srv.server.port, {
      method: 'POST',
      path: '/ui/kill-switch',
      headers: {
        host: rebound,
        origin: `http://${rebound}`,
        cookie,
        'content-type': 'application/x-www-form-urlencoded',
      },
      body: 'paused=true',
    });
    expect(r.status).toBe(403);
    expect(await srv.fb.engine.isPaused()).toBe(false);
  });

  test('five wrong tokens in a minute: the sixth attempt is 429, even with a right token, until the minute ends', async () => {
    for (let i = 0; i < 5; i++) {
      expect(
        (await web(srv, '/sign-in', { form: { token: `wrong-token-${i}-xxxx`, next: '/' } })).status,
      ).toBe(401);
    }
    const blocked = await web(srv, '/sign-in', { form: { token: TOKENS.viewer, next: '/' } });
    expect(blocked.status).toBe(429);
    expect(Number(blocked.headers.get('retry-after'))).toBeGreaterThan(0);
    clock.advance(61_000);
    expect((await web(srv, '/sign-in', { form: { token: TOKENS.viewer, next: '/' } })).status).toBe(303);
  });

  test('`next` never leaves the site, `/\\evil` included', async () => {
    expect(localPath('/\\evil.example')).toBe('/');
    expect(localPath('//evil.example')).toBe('/');
    expect(localPath('/runbooks?x=1')).toBe('/runbooks?x=1');
    const r = await web(srv, '/sign-in', { form: { token: TOKENS.viewer, next: '/\\evil.example' } });
    expect(r.location).toBe('/');
  });
});

describe('fromThisOrigin on its own (behind the request guard, which checks Origin too)', () => {
  const app = new Hono();
  app.post('/form', (c) => c.text(String(fromThisOrigin(c, { PUBLIC_URL: 'https://fb.example.com' }))));
  const from = async (headers: Record<string, string>) =>
    (await app.request('/form', { method: 'POST', headers })).text();

  test("PUBLIC_URL's origin, or a Referer of it when there is no Origin", async () => {
    expect(await from({ origin: 'https://fb.example.com' })).toBe('true');
    expect(await from({ referer: 'https://fb.example.com/incidents/1' })).toBe('true');
    expect(await from({ origin: 'https://fb.example.com', 'sec-fetch-site': 'same-origin' })).toBe('true');
  });

  test('never Origin: null, a malformed URL, another origin, another site, or nothing', async () => {
    expect(await from({ origin: 'null' })).toBe('false');
    expect(await from({ origin: 'null', referer: 'https://fb.example.com/' })).toBe('false');
    expect(await from({ origin: 'http://' })).toBe('false');
    expect(await from({ referer: 'not a url' })).toBe('false');
    expect(await from({ origin: 'https://fb.example.com.evil.example' })).toBe('false');
    expect(await from({ origin: 'https://fb.example.com', 'sec-fetch-site': 'cross-site' })).toBe('false');
    expect(await from({})).toBe('false');
  });
});

describe('a token taken out of API_TOKENS', () => {
  let db: TestDatabase;
  beforeAll(async () => {
    // Durable: the second server opens the first one's data (PGlite in a directory, not in memory).
    db = await testDatabase({ durable: true });
  });
  afterAll(async () => {
    await db?.drop();
  });

  test('ends the sessions signed in with it', async () => {
    let viewer: string;
    let approver: string;
    {
      await using srv = await testServer({ runbooksDir: WEB_RUNBOOKS, env: { API_TOKENS }, db });
      viewer = await signIn(srv, 'viewer');
      approver = await signIn(srv, 'approver');
    }
    const without = API_TOKENS.split(',')
      .filter((t) => !t.startsWith(TOKENS.viewer))
      .join(',');
    await using srv = await testServer({ runbooksDir: WEB_RUNBOOKS, env: { API_TOKENS: without }, db });
    expect((await web(srv, '/runbooks', { cookie: viewer })).status).toBe(303);
    expect((await web(srv, '/runbooks', { cookie: approver })).status).toBe(200);
  });
});

describe('body and connection limits', () => {
  let srv: TestServer;
  beforeAll(async () => {
    srv = await testServer({
      runbooksDir: WEB_RUNBOOKS,
      env: { FIREBREAK_MAX_CONNECTIONS: '16' },
      server: { httpLimits: { headersTimeoutMs: 300, checkEveryMs: 100 } },
    });
  });
  afterAll(async () => {
    await srv?.close();
  });

  test('the defaults: 10 s for headers, 30 s for a request, checked every second; applied to the server', () => {
    expect(HTTP_LIMITS).toEqual({ headersTimeoutMs: 10_000, requestTimeoutMs: 30_000, checkEveryMs: 1_000 });
    expect(srv.server.http.requestTimeout).toBe(30_000);
    // This server's header timeout is shortened (300 ms) so the next tests can watch it work.
    expect(srv.server.http.headersTimeout).toBe(300);
    expect(srv.server.http.maxConnections).toBe(16);
  });

  test('an API body over BODY_LIMIT_BYTES is 413 in the error shape; a postmortem over 256 KB too', async () => {
    const big = JSON.stringify({
      runbook: 'checkout-rollback',
      input: { service: 'x'.repeat(2 * 1024 * 1024) },
    });
    const r = await srv.post('/api/runs', big);
    expect(r.status).toBe(413);
    expect(r.body).toMatchObject({ error: { code: 'payload_too_large' } });
    const pm = await srv.request(
      'PUT',
      '/api/incidents/00000000-0000-4000-8000-000000000000/postmortem',
      'x'.repeat(300 * 1024),
      {
        'content-type': 'text/markdown',
      },
    );
    expect(pm.status).toBe(413);
    expect(pm.body).toMatchObject({ error: { code: 'payload_too_large' } });
  });

  test('a client that never finishes its headers is disconnected', async () => {
    const socket = connect({ host: '127.0.0.1', port: srv.server.port });
    await new Promise((r) => socket.once('connect', r));
    socket.write('GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ');
    const reply = await new Promise<string>((resolve) => {
      let text = '';
      socket.on('data', (d) => {
        text += d.toString();
      });
      socket.once('close', () => resolve(text));
    });
    expect(reply).toMatch(/^HTTP\/1\.1 408/);
  });

  test('connections past the cap are closed at once', async () => {
    const open: Socket[] = [];
    try {
      for (let i = 0; i < 16; i++) {
        const s = connect({ host: '127.0.0.1', port: srv.server.port });
        await new Promise((r) => s.once('connect', r));
        open.push(s);
      }
      const extra = connect({ host: '127.0.0.1', port: srv.server.port });
      const closedWithout = await new Promise<boolean>((resolve) => {
        let data = false;
        extra.on('data', () => {
          data = true;
        });
        extra.on('error', () => {});
        extra.once('close', () => resolve(!data));
        extra.once('connect', () => extra.write('GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n'));
      });
      expect(closedWithout).toBe(true);
    } finally {
      for (const s of open) s.destroy();
    }
  });
});

describe('refused webhooks are visible', () => {
  let srv: TestServer;
  const token = 'am-token-for-refusals-01';
  beforeAll(async () => {
    srv = await testServer({ env: { ALERTMANAGER_TOKEN: token } });
  });
  afterAll(async () => {
    await srv?.close();
  });

  test('a wrong token is counted by source and outcome and logged with the client, never the token', async () => {
    const body = fixtureRaw('alertmanager/firing-two-alerts.json');
    const presented = 'mistyped-token-0000000';
    const r = await rawRequest(srv.server.port, {
      method: 'POST',
      path: '/webhooks/alertmanager',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${presented}` },
      body,
    });
    expect(r.status).toBe(401);
    const ok = await srv.post('/webhooks/alertmanager', body, { authorization: `Bearer ${token}` });
    expect(ok.status).toBe(202);
    const metrics = (await srv.get('/metrics')).text;
    expect(metrics).toMatch(
      /firebreak_webhook_requests_total\{source="alertmanager",outcome="unauthorized"\} 1/,
    );
    expect(metrics).toMatch(/firebreak_webhook_requests_total\{source="alertmanager",outcome="accepted"\} 1/);
    const line = srv.logs
      .map((l) => JSON.parse(l) as Record<string, unknown>)
      .find((l) => l.msg === 'webhook refused');
    expect(line).toMatchObject({ level: 'warn', source: 'alertmanager', status: 401, client: '127.0.0.1' });
    expect(String(line?.reason)).toMatch(/credentials/);
    expect(srv.logs.join('\n')).not.toContain(presented);
  });
});
